package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code window} syntax of a limit: "second", "minute", "hour", "day", whole seconds, or "90s"/"15m"/"2h"/"1d". */
final class Windows {

    static final long MAX_SECONDS = 366L * 24 * 3600;
    static final String EXPECTED = "expected \"second\", \"minute\", \"hour\", \"day\", a whole number of seconds ≥ 1, "
            + "or a string like \"90s\", \"15m\", \"2h\", \"1d\"";
    private static final Pattern WITH_UNIT = Pattern.compile("([0-9]{1,12})([smhd])");

    private Windows() {
    }

    /** The window in milliseconds, or -1 after adding an error at {@code path}. */
    static long parseMillis(JsonNode node, String path, List<PolicyError> errors) {
        return parseMillis(node, path, errors, "window");
    }

    /** As {@link #parseMillis(JsonNode, String, List)}, naming the value {@code noun} in errors. */
    static long parseMillis(JsonNode node, String path, List<PolicyError> errors, String noun) {
        long seconds;
        if (node.isNumber()) {
            BigDecimal value = JsonValues.decimal(node);
            if (value == null || value.stripTrailingZeros().scale() > 0) {
                errors.add(new PolicyError(path, noun + " must be a whole number of seconds, got " + node.asText()));
                return -1;
            }
            if (value.signum() <= 0) {
                errors.add(new PolicyError(path, noun + " must be at least 1 second, got " + node.asText()));
                return -1;
            }
            if (value.compareTo(BigDecimal.valueOf(MAX_SECONDS)) > 0) {
                return tooLong(node.asText(), path, errors, noun);
            }
            seconds = value.longValueExact();
        } else if (node.isTextual()) {
            String text = node.textValue();
            switch (text) {
                case "second" -> seconds = 1;
                case "minute" -> seconds = 60;
                case "hour" -> seconds = 3600;
                case "day" -> seconds = 86400;
                default -> {
                    Matcher m = WITH_UNIT.matcher(text);
                    if (!m.matches()) {
                        errors.add(new PolicyError(path, "invalid " + noun + " " + PolicyPaths.quote(text) + "; " + EXPECTED));
                        return -1;
                    }
                    long n = Long.parseLong(m.group(1));
                    long unit = switch (m.group(2)) {
                        case "s" -> 1;
                        case "m" -> 60;
                        case "h" -> 3600;
                        default -> 86400;
                    };
                    if (n == 0) {
                        errors.add(new PolicyError(path, noun + " must be at least 1 second, got " + PolicyPaths.quote(text)));
                        return -1;
                    }
                    if (n > MAX_SECONDS / unit) {
                        return tooLong(PolicyPaths.quote(text), path, errors, noun);
                    }
                    seconds = n * unit;
                }
            }
        } else {
            errors.add(new PolicyError(path, EXPECTED + ", got " + JsonValues.typeName(node)));
            return -1;
        }
        return seconds * 1000;
    }

    private static long tooLong(String shown, String path, List<PolicyError> errors, String noun) {
        errors.add(new PolicyError(path, noun + " must be at most 366 days (" + MAX_SECONDS + " seconds), got " + shown));
        return -1;
    }

    /** "minute", "90s", "2h". */
    static String describe(long millis) {
        long s = millis / 1000;
        if (s == 1) {
            return "second";
        }
        if (s == 60) {
            return "minute";
        }
        if (s == 3600) {
            return "hour";
        }
        if (s == 86400) {
            return "day";
        }
        if (s % 86400 == 0) {
            return s / 86400 + "d";
        }
        if (s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
