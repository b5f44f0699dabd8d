package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One JSON-RPC message of a request body, as parsed.
 *
 * @param node   the whole message object
 * @param method the method for requests and notifications; {@code null} for responses
 * @param id     the id, or {@code null} when absent (a notification, or a response to an unparseable request)
 */
public record JsonRpcMessage(ObjectNode node, String method, JsonNode id) {

    public boolean isRequest() {
        return method != null && id != null;
    }

    public boolean isToolCall() {
        return McpMethods.TOOLS_CALL.equals(method);
    }

    public boolean isToolsList() {
        return McpMethods.TOOLS_LIST.equals(method) && id != null;
    }
}
