package dev.toolgate.sidecar.mcp;

/** MCP method names and header names the sidecar looks at. */
public final class McpMethods {
    public static final String TOOLS_CALL = "tools/call";
    public static final String TOOLS_LIST = "tools/list";
    /** The server says its tool list changed (a notification, on any stream). */
    public static final String TOOLS_LIST_CHANGED = "notifications/tools/list_changed";

    public static final String SESSION_ID_HEADER = "Mcp-Session-Id";
    /** Revision 2026-07-28: headers that mirror the body so intermediaries can route without parsing it. */
    public static final String METHOD_HEADER = "Mcp-Method";
    public static final String NAME_HEADER = "Mcp-Name";

    private McpMethods() {
    }
}
