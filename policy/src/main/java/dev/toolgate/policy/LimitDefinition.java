package dev.toolgate.policy;

/**
 * What a counter is: its name and rule. Counter state is keyed by the whole definition, so a reload that keeps the
 * definition keeps the counts, and one that changes window, max or scope starts afresh.
 *
 * @param counter      the counter's name
 * @param windowMillis sliding window length
 * @param max          calls admitted in any interval of the window's length
 * @param scope        who shares a count
 */
public record LimitDefinition(String counter, long windowMillis, int max, Scope scope) {

    public LimitDefinition {
        if (counter == null || scope == null || windowMillis < 1 || max < 1) {
            throw new IllegalArgumentException("a counter needs a name, a scope, a window of at least 1 ms and a max of at least 1");
        }
    }

    /** "30 calls per minute per identity". */
    String describe() {
        return max + (max == 1 ? " call" : " calls") + " per " + Windows.describe(windowMillis) + " " + scopeText();
    }

    /** "window 60s, max 30, scope grant". */
    String rule() {
        return "window " + (windowMillis / 1000) + "s, max " + max + ", scope " + scope.spelling();
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
