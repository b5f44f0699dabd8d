package dev.toolgate.sidecar.mcp;

import java.util.List;

/**
 * Revision 2026-07-28 mirrors the method and tool name in {@code Mcp-Method} / {@code Mcp-Name} headers. A server or
 * gateway may route on them, so a request whose headers disagree with the body it carries is refused, with the
 * revision's own answer: HTTP 400 and {@code -32020} (HeaderMismatch).
 */
public final class McpHeaderCheck {

    private McpHeaderCheck() {
    }

    /** @throws JsonRpcRejection when the mirrored headers are present and do not match the body */
    public static void check(List<String> methodHeaders, List<String> nameHeaders, ParsedBody body) throws JsonRpcRejection {
        if (methodHeaders.isEmpty() && nameHeaders.isEmpty()) {
            return;
        }
        if (methodHeaders.size() > 1 || nameHeaders.size() > 1) {
            throw reject("Mcp-Method and Mcp-Name may appear at most once each", body);
        }
        if (body == null) {
            throw reject("Mcp-Method/Mcp-Name headers sent without a JSON-RPC body", null);
        }
        if (body.batch()) {
            throw reject("Mcp-Method/Mcp-Name headers cannot describe a batch", body);
        }
        JsonRpcMessage message = body.messages().get(0);
        if (!methodHeaders.isEmpty()) {
            String header = methodHeaders.get(0);
            if (!header.equals(message.method())) {
                throw reject("Mcp-Method header \"" + header + "\" disagrees with the body's method \"" + message.method() + "\"", body);
            }
        }
        if (!nameHeaders.isEmpty()) {
            String header = nameHeaders.get(0);
            String bodyName = nameOf(message);
            if (!header.equals(bodyName)) {
                throw reject("Mcp-Name header \"" + header + "\" disagrees with the body's name "
                        + (bodyName == null ? "(none)" : "\"" + bodyName + "\""), body);
            }
        }
    }

    private static String nameOf(JsonRpcMessage message) {
        var params = message.node().get("params");
        if (params == null || !params.isObject()) {
            return null;
        }
        // tools/call and prompts/get name the target in params.name; resources/read in params.uri.
        var name = params.get("name");
        if (name != null && name.isTextual()) {
            return name.textValue();
        }
        var uri = params.get("uri");
        return uri != null && uri.isTextual() ? uri.textValue() : null;
    }

    private static JsonRpcRejection reject(String why, ParsedBody body) {
        var id = body != null && !body.batch() ? body.messages().get(0).id() : null;
        return new JsonRpcRejection(ErrorCodes.HEADER_MISMATCH, "Header mismatch: " + why, id);
    }
}
