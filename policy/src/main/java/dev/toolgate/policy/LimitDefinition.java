package dev.toolgate.policy;

/**
 * What a counter is: its name and rule. Counter state is keyed by the whole definition, so a reload that keeps the
 * definition keeps the counts, and one that changes window, max or scope starts afresh.
 *
 * @param counter      the counter's name
 * @param windowMillis sliding window length
 * @param max          calls admitted in any interval of the window's length
 * @param scope        who shares a count
 * @param shadow       true for the counter of calls decided in audit mode ({@code "enforcement": "audit"}): a definition
 *                     of its own, so its counts are kept apart from the enforced counter of the same name, which only
 *                     enforced calls reach
 */
public record LimitDefinition(String counter, long windowMillis, int max, Scope scope, boolean shadow) {

    public LimitDefinition {
        if (counter == null || scope == null || windowMillis < 1 || max < 1) {
            throw new IllegalArgumentException("a counter needs a name, a scope, a window of at least 1 ms and a max of at least 1");
        }
    }

    /** An enforced counter. */
    public LimitDefinition(String counter, long windowMillis, int max, Scope scope) {
        this(counter, windowMillis, max, scope, false);
    }

    /** The same counter's shadow: what calls in audit mode count against. */
    public LimitDefinition asShadow() {
        return shadow ? this : new LimitDefinition(counter, windowMillis, max, scope, true);
    }

    /** "30 calls per minute per identity". */
    String describe() {
        return max + (max == 1 ? " call" : " calls") + " per " + Windows.describe(windowMillis) + " " + scopeText();
    }

    /** "window 60s, max 30, scope grant". */
    String rule() {
        return "window " + (windowMillis / 1000) + "s, max " + max + ", scope " + scope.spelling() + (shadow ? ", shadow" : "");
    }

    private String scopeText() {
        return switch (scope) {
            case GRANT -> "per grant";
            case IDENTITY -> "per identity";
            case SESSION -> "per session";
            case GLOBAL -> "in total";
        };
    }
}
