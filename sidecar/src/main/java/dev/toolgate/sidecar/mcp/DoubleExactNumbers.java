package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;

/**
 * The policy compares numbers exactly (as decimals); JavaScript servers, and most JSON libraries for non-integers, read
 * them as IEEE-754 doubles. Where the two readings differ a policy can be steered: with {@code deny_if id eq
 * 9007199254740993} the client sends {@code ...992}, or {@code 1e400} passes a {@code maximum} the server then sees as
 * Infinity. So every number in a {@code tools/call}'s params must read as the same value both ways: an integer the
 * double holds exactly, or a decimal that is the double's own decimal form (at most 15 significant digits, or the
 * shortest form that reads back as that double), in the double's normal range.
 */
final class DoubleExactNumbers {

    private static final BigInteger MAX_SAFE = BigInteger.valueOf((1L << 53) - 1);
    private static final int DOUBLE_DIGITS = 15; // DBL_DIG: any decimal with this many significant digits survives a double

    private DoubleExactNumbers() {
    }

    /** @throws JsonRpcRejection naming the first number (by its JSON path from {@code where}) a double cannot carry */
    static void check(JsonNode node, String where, JsonNode id) throws JsonRpcRejection {
        if (node.isContainerNode()) {
            if (node.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    if (field.getValue().isContainerNode() || field.getValue().isNumber()) {
                        check(field.getValue(), where + "." + field.getKey(), id);
                    }
                }
            } else {
                for (int i = 0; i < node.size(); i++) {
                    check(node.get(i), where + "[" + i + "]", id);
                }
            }
        } else if (node.isNumber() && !readsTheSameAsDouble(node)) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_PARAMS, "Invalid params: number " + ForwardedBody.number(node) + " at " + where
                    + " cannot be read as the same value by an IEEE-754 double (JavaScript) reader: send integers within ±2^53 and"
                    + " decimals of at most 15 significant digits, or the number as a string", id);
        }
    }

    static boolean readsTheSameAsDouble(JsonNode node) {
        if (node.isIntegralNumber()) {
            if (node.canConvertToLong() && Math.abs(node.longValue()) <= MAX_SAFE.longValue()) {
                return true;
            }
            BigInteger value = node.bigIntegerValue();
            double d = value.doubleValue();
            return Double.isFinite(d) && new BigDecimal(d).toBigIntegerExact().equals(value);
        }
        BigDecimal value = node.decimalValue();
        if (value.signum() == 0) {
            return true;
        }
        double d = value.doubleValue();
        if (!Double.isFinite(d) || Math.abs(d) < Double.MIN_NORMAL) {
            return false;
        }
        if (value.stripTrailingZeros().precision() <= DOUBLE_DIGITS) {
            return true;
        }
        return new BigDecimal(d).compareTo(value) == 0 || new BigDecimal(Double.toString(d)).compareTo(value) == 0;
    }
}
