package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

/** JSON value helpers with exact number semantics: numbers compare by value whatever their spelling ({@code 1e3 == 1000}). */
final class JsonValues {

    private JsonValues() {
    }

    /** The exact value of a number node, or {@code null} when it is not a finite number. */
    static BigDecimal decimal(JsonNode node) {
        if (node == null || !node.isNumber()) {
            return null;
        }
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return BigDecimal.valueOf(node.longValue());
        }
        if (node.isDouble() || node.isFloat()) {
            double d = node.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return null;
            }
        }
        return node.decimalValue();
    }

    /**
     * Compares a number node with an exact value; {@code null} when the node is no finite number.
     * Avoids allocating for the common case of two integers that fit a long.
     */
    static Integer compare(JsonNode node, BigDecimal value, long valueAsLong, boolean valueIsLong) {
        if (valueIsLong && node.isIntegralNumber() && node.canConvertToLong()) {
            return Long.compare(node.longValue(), valueAsLong);
        }
        BigDecimal actual = decimal(node);
        return actual == null ? null : actual.compareTo(value);
    }

    /** JSON equality where numbers compare by exact value, recursively. */
    static boolean jsonEquals(JsonNode a, JsonNode b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (a.isNumber() && b.isNumber()) {
            if (a.isIntegralNumber() && b.isIntegralNumber() && a.canConvertToLong() && b.canConvertToLong()) {
                return a.longValue() == b.longValue();
            }
            BigDecimal x = decimal(a);
            BigDecimal y = decimal(b);
            if (x == null || y == null) {
                return a.equals(b);
            }
            return x.compareTo(y) == 0;
        }
        if (a.getNodeType() != b.getNodeType()) {
            return false;
        }
        if (a.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!jsonEquals(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!jsonEquals(field.getValue(), b.get(field.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** "object", "array", "string", "number", "boolean" or "null", for error messages. */
    static String typeName(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return switch (node.getNodeType()) {
            case OBJECT, POJO -> "object";
            case ARRAY -> "array";
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase();
        };
    }
}
