package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * One compiled {@code deny_if} condition. Immutable. Semantics (see README): a missing argument makes every operator
 * false except {@code not_exists}; an argument of the wrong type for the operator makes it true (fail closed).
 */
final class Condition {

    private final ArgPath path;
    private final Operator op;
    private final JsonNode value;
    private final BigDecimal number;
    private final long numberAsLong;
    private final boolean numberIsLong;
    private final String text;
    private final RegexSearch pattern;

    Condition(ArgPath path, Operator op, JsonNode value, RegexSearch pattern) {
        this.path = path;
        this.op = op;
        this.value = value;
        this.number = value != null && value.isNumber() ? JsonValues.decimal(value) : null;
        this.numberIsLong = number != null && isLong(number);
        this.numberAsLong = numberIsLong ? number.longValueExact() : 0;
        this.text = value != null && value.isTextual() ? value.textValue() : null;
        this.pattern = pattern;
    }

    private static boolean isLong(BigDecimal d) {
        try {
            d.longValueExact();
            return true;
        } catch (ArithmeticException e) {
            return false;
        }
    }

    boolean holds(JsonNode arguments) {
        JsonNode actual = path.resolve(arguments);
        if (actual == ArgPath.MISSING) {
            return op == Operator.NOT_EXISTS;
        }
        if (actual == ArgPath.SHAPE_MISMATCH) {
            // the value is not there, so exists/not_exists answer factually; every value test fails closed
            return op != Operator.EXISTS;
        }
        return switch (op) {
            case EXISTS -> true;
            case NOT_EXISTS -> false;
            case EQ -> JsonValues.jsonEquals(actual, value);
            case NE -> !JsonValues.jsonEquals(actual, value);
            case GT, GTE, LT, LTE -> compare(actual);
            case IN -> contains(value, actual);
            case NOT_IN -> !contains(value, actual);
            case CONTAINS -> containsValue(actual);
            case STARTS_WITH -> !actual.isTextual() || actual.textValue().startsWith(text);
            case ENDS_WITH -> !actual.isTextual() || actual.textValue().endsWith(text);
            case MATCHES -> !actual.isTextual() || pattern.find(actual.textValue());
        };
    }

    private boolean compare(JsonNode actual) {
        Integer c = actual.isNumber() ? JsonValues.compare(actual, number, numberAsLong, numberIsLong) : null;
        if (c == null) {
            return true; // not a (finite) number: fail closed
        }
        return switch (op) {
            case GT -> c > 0;
            case GTE -> c >= 0;
            case LT -> c < 0;
            default -> c <= 0;
        };
    }

    private boolean containsValue(JsonNode actual) {
        if (actual.isTextual()) {
            return text == null || actual.textValue().contains(text);
        }
        if (actual.isArray()) {
            return contains(actual, value);
        }
        return true; // neither string nor array: fail closed
    }

    private static boolean contains(JsonNode array, JsonNode element) {
        for (JsonNode candidate : array) {
            if (JsonValues.jsonEquals(candidate, element)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return path + " " + op.spelling() + (value == null ? "" : " " + value);
    }
}
