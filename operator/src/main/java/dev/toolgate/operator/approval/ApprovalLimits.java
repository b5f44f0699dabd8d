package dev.toolgate.operator.approval;

import java.time.Duration;

/** The bounds on what an approval may be: each keeps an approval a small, audited exception. */
public final class ApprovalLimits {

    /** At most this many identical calls per approval. */
    public static final int MAX_USES = 1000;
    /** {@code validFor} at most a day. */
    public static final Duration MAX_VALID_FOR = Duration.ofHours(24);
    /** A request waits at most a week. */
    public static final Duration MAX_EXPIRES_AFTER = Duration.ofDays(7);
    /** Arguments larger than this (as JSON) are not stored: the approver sees their digest only. */
    public static final int MAX_ARGUMENT_BYTES = 16 * 1024;
    public static final int MAX_CONSUMERS_SHOWN = 20;

    private ApprovalLimits() {
    }

    /** "90s", "30m", "2h", "1d" (or an ISO-8601 duration); null when it is neither. */
    public static Duration parseDuration(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,9})([smhd])").matcher(text.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text.trim());
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
