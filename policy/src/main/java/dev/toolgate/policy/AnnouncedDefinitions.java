package dev.toolgate.policy;

/**
 * What the MCP server has announced of its tools, for the pins of a policy ({@code "pin"} on a tool entry): the
 * {@link ToolDefinitionDigest} of the definition last seen in a {@code tools/list} result, per tool name. The sidecar
 * keeps it from the listings it relays; {@link Policy#evaluate(java.util.List, AnnouncedDefinitions)} denies a call to a
 * pinned tool whose announced digest is not the pin, or that has not been announced at all.
 */
@FunctionalInterface
public interface AnnouncedDefinitions {

    /** The digest of the definition of {@code tool} the server announced last, or {@code null} when none was seen. */
    String digest(String tool);

    /**
     * Whether the server said its tools changed ({@code notifications/tools/list_changed}) since {@code tool}'s
     * definition was last seen: then {@link #digest} is {@code null} until a later tools/list result announces it again,
     * and the denial says to list the tools again rather than that none was ever announced.
     */
    default boolean unverified(String tool) {
        return false;
    }
}
