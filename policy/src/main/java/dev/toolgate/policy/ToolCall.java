package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One {@code tools/call} to decide.
 *
 * @param tool      the tool name, exactly as the client sent it
 * @param arguments the arguments object; {@code null} or a missing node is treated as an empty object
 * @param caller    who makes the call; {@code null} means {@link Caller#anonymous()}
 * @param session   the MCP session id; {@code null} means the protocol has none (session scope then counts per subject)
 */
public record ToolCall(String tool, JsonNode arguments, Caller caller, String session) {

    public ToolCall {
        if (caller == null) {
            caller = Caller.anonymous();
        }
    }

    /** A call whose caller an identity header names ({@link Caller#fromHeader}); {@code null} means anonymous. */
    public ToolCall(String tool, JsonNode arguments, String identity, String session) {
        this(tool, arguments, Caller.fromHeader(identity), session);
    }

    /** The caller's subject: the identity given, or {@code "anonymous"}. */
    public String identity() {
        return caller.subject();
    }
}
