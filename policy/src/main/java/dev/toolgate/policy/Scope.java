package dev.toolgate.policy;

/** Who shares one count of a limit. */
enum Scope {
    /** Per caller identity (a grant is what hosted gateways call one agent's authorization; here it is the identity). */
    GRANT("grant"),
    /** Per caller identity. */
    IDENTITY("identity"),
    /** Per MCP session; per identity for calls without a session. */
    SESSION("session"),
    /** One count for the whole sidecar. */
    GLOBAL("global");

    private final String spelling;

    Scope(String spelling) {
        this.spelling = spelling;
    }

    String spelling() {
        return spelling;
    }

    static Scope fromSpelling(String text) {
        for (Scope scope : values()) {
            if (scope.spelling.equals(text)) {
                return scope;
            }
        }
        return null;
    }
}
