package dev.toolgate.sidecar.mcp;

import java.util.List;

/**
 * A request body that passed strict JSON-RPC parsing.
 *
 * @param batch    whether the body was a JSON array of messages
 * @param messages the messages, in body order (one for a non-batch body)
 */
public record ParsedBody(boolean batch, List<JsonRpcMessage> messages) {

    public boolean containsToolsList() {
        return messages.stream().anyMatch(JsonRpcMessage::isToolsList);
    }
}
