package dev.toolgate.policy;

/** Who shares one count of a limit. */
public enum Scope {
    /**
     * Per grant and caller: one agent's authorization. Counted per (deciding grant, caller subject): the same subject's
     * calls decided by two grants use two budgets, and calls decided by the document's own entries count under the grant
     * {@code ""}, per subject. A budget is only as trustworthy as the subject, so it means what it says once callers come
     * with verified identity ({@link Caller.Source#JWT}, {@link Caller.Source#SERVICE_ACCOUNT}).
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
