package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One {@code tools/call} to decide.
 *
 * @param tool      the tool name, exactly as the client sent it
 * @param arguments the arguments object; {@code null} or a missing node is treated as an empty object
 * @param identity  the caller identity; {@code null} means {@code "anonymous"}
 * @param session   the MCP session id; {@code null} means the protocol has none (session scope then counts per identity)
 */
public record ToolCall(String tool, JsonNode arguments, String identity, String session) {
}
