package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request body the sidecar refuses to forward because it is not a well-formed JSON-RPC/MCP request.
 *
 * @param code    JSON-RPC error code ({@link ErrorCodes#PARSE_ERROR}, {@link ErrorCodes#INVALID_REQUEST}, {@link ErrorCodes#INVALID_PARAMS})
 * @param id      the offending message's id when known, else {@code null}
 */
public final class JsonRpcRejection extends Exception {
    private final int code;
    private final transient JsonNode id;

    public JsonRpcRejection(int code, String message, JsonNode id) {
        super(message, null, false, false);
        this.code = code;
        this.id = id;
    }

    public int code() {
        return code;
    }

    public JsonNode id() {
        return id;
    }
}
