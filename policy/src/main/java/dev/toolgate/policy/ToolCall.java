package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One {@code tools/call} to decide.
 *
 * @param tool      the tool name, exactly as the client sent it
 * @param arguments the arguments object; {@code null} or a missing node is treated as an empty object
 * @param caller    who makes the call; {@code null} means {@link Caller#anonymous()}
 * @param session   the MCP session id; {@code null} means the protocol has none (session scope then counts per subject)
 * @param approved  a human approved this very call (same caller, tool and arguments digest): an entry with
 *                  {@code action: require_approval} then goes on to its limits instead of asking again
 */
public record ToolCall(String tool, JsonNode arguments, Caller caller, String session, boolean approved) {

    public ToolCall {
        if (caller == null) {
            caller = Caller.anonymous();
        }
    }

    public ToolCall(String tool, JsonNode arguments, Caller caller, String session) {
        this(tool, arguments, caller, session, false);
    }

    /** The same call, approved by a human. */
    public ToolCall approve() {
        return new ToolCall(tool, arguments, caller, session, true);
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
