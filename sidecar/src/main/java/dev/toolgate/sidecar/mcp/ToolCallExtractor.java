package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.databind.JsonNode;

/** Pulls the tool name and arguments out of a {@code tools/call} message, refusing any shape a server might read differently. */
public final class ToolCallExtractor {

    /** @param tool the tool name; @param arguments the arguments object or {@code null} */
    public record ExtractedCall(String tool, JsonNode arguments) {
    }

    private ToolCallExtractor() {
    }

    public static ExtractedCall extract(JsonRpcMessage message) throws JsonRpcRejection {
        if (message.id() == null) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_REQUEST,
                    "Invalid Request: tools/call must be a request with a non-null \"id\", not a notification", null);
        }
        JsonNode params = message.node().get("params");
        if (params == null || !params.isObject()) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_PARAMS, "Invalid params: tools/call needs a \"params\" object", message.id());
        }
        JsonNode name = params.get("name");
        if (name == null || !name.isTextual()) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_PARAMS, "Invalid params: tools/call \"params.name\" must be a string", message.id());
        }
        JsonNode arguments = params.get("arguments");
        if (arguments != null && arguments.isNull()) {
            arguments = null;
        }
        if (arguments != null && !arguments.isObject()) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_PARAMS, "Invalid params: tools/call \"params.arguments\" must be an object", message.id());
        }
        DoubleExactNumbers.check(params, "params", message.id());
        return new ExtractedCall(name.textValue(), arguments);
    }
}
