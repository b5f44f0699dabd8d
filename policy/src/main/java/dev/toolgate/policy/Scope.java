package dev.toolgate.policy;

/** Who shares one count of a limit. */
public enum Scope {
    /**
     * Per grant: one agent's authorization. Counted per caller subject, as {@link #IDENTITY} is; a grant is only as
     * trustworthy as the subject, so grant budgets mean what they say once callers come with verified identity
     * ({@link Caller.Source#JWT}, {@link Caller.Source#SERVICE_ACCOUNT}).
     */
    GRANT("grant"),
    /** Per caller subject. */
    IDENTITY("identity"),
    /** Per MCP session; per caller subject for calls without a session (never sharing a count with a session). */
    SESSION("session"),
    /** One count shared by every caller. */
    GLOBAL("global");

    private final String spelling;

    Scope(String spelling) {
        this.spelling = spelling;
    }

    /** The policy document's spelling: {@code grant}, {@code identity}, {@code session}, {@code global}. */
    public String spelling() {
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
