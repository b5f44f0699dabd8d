package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;

/**
 * JSON-RPC ids compared by value, as the peers compare them: a server may echo request id {@code 2} as {@code 2.0} or
 * {@code 2e0}, and those answer the same request; the string {@code "2"} is a different id.
 */
public final class JsonRpcIds {

    private JsonRpcIds() {
    }

    /**
     * A key equal for equal ids: numbers as {@link BigDecimal} without trailing zeros (so no plain-string expansion of
     * an id like {@code 1e999999999}), strings as themselves; {@code null} for a missing, null or non-scalar id.
     */
    public static Object key(JsonNode id) {
        if (id == null) {
            return null;
        }
        if (id.isNumber()) {
            return id.decimalValue().stripTrailingZeros();
        }
        if (id.isTextual()) {
            return id.textValue();
        }
        return null;
    }
}
