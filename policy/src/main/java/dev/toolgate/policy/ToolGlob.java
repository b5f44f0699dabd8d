package dev.toolgate.policy;

import java.util.ArrayDeque;

/**
 * A tool-name glob: {@code *} matches any run of characters (including none); every other character matches itself.
 * Precedence among globs is the number of literal (non-{@code *}) characters: more wins.
 */
final class ToolGlob {

    private final String pattern;
    private final String prefix;
    private final String suffix;
    private final int literalCount;

    ToolGlob(String pattern) {
        this.pattern = pattern;
        int firstStar = pattern.indexOf('*');
        int lastStar = pattern.lastIndexOf('*');
        this.prefix = pattern.substring(0, firstStar);
        this.suffix = pattern.substring(lastStar + 1);
        int literals = 0;
        for (int i = 0; i < pattern.length(); i++) {
            if (pattern.charAt(i) != '*') {
                literals++;
            }
        }
        this.literalCount = literals;
    }

    static boolean isGlob(String name) {
        return name.indexOf('*') >= 0;
    }

    String pattern() {
        return pattern;
    }

    int literalCount() {
        return literalCount;
    }

    boolean matches(String name) {
        if (name.length() < literalCount || !name.startsWith(prefix) || !name.endsWith(suffix)) {
            return false;
        }
        // classic linear-space wildcard match with single-star backtracking: O(n*m) worst case, no recursion
        int p = 0;
        int s = 0;
        int starP = -1;
        int starS = 0;
        int pn = pattern.length();
        int sn = name.length();
        while (s < sn) {
            if (p < pn && pattern.charAt(p) == '*') {
                starP = p++;
                starS = s;
            } else if (p < pn && pattern.charAt(p) == name.charAt(s)) {
                p++;
                s++;
            } else if (starP >= 0) {
                p = starP + 1;
                s = ++starS;
            } else {
                return false;
            }
        }
        while (p < pn && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pn;
    }

    /**
     * Whether every name {@code specific} matches is also matched by {@code general} (each may be a glob or an exact
     * name). Sound, never claiming cover that does not hold: {@code general} must match {@code specific}'s text with each
     * of {@code specific}'s {@code *} absorbed by one of its own {@code *}s (a pattern's {@code *} is never a literal, so
     * plain matching of the text does exactly that).
     */
    static boolean covers(String general, String specific) {
        if (!isGlob(general)) {
            return general.equals(specific);
        }
        return new ToolGlob(general).matches(specific);
    }

    /** Cheap necessary condition for {@link #commonMatch}: the literal prefixes and suffixes must be compatible. */
    boolean mayOverlap(ToolGlob other) {
        return (prefix.startsWith(other.prefix) || other.prefix.startsWith(prefix))
                && (suffix.endsWith(other.suffix) || other.suffix.endsWith(suffix));
    }

    /**
     * A name both globs match, or {@code null} when no such name exists. Walks the product of the two patterns' automata
     * (a {@code *} may absorb any character the other side needs), so the answer is exact, not a heuristic.
     */
    static String commonMatch(String a, String b) {
        int n = a.length();
        int m = b.length();
        // parent links let us rebuild one witness name; -1 = unvisited
        int[] from = new int[(n + 1) * (m + 1)];
        char[] emitted = new char[(n + 1) * (m + 1)];
        boolean[] emits = new boolean[(n + 1) * (m + 1)];
        java.util.Arrays.fill(from, -1);
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        from[0] = 0;
        queue.add(0);
        int goal = n * (m + 1) + m;
        while (!queue.isEmpty()) {
            int state = queue.poll();
            if (state == goal) {
                StringBuilder witness = new StringBuilder();
                for (int s = goal; s != 0; s = from[s]) {
                    if (emits[s]) {
                        witness.append(emitted[s]);
                    }
                }
                return witness.reverse().toString();
            }
            int i = state / (m + 1);
            int j = state % (m + 1);
            boolean aStar = i < n && a.charAt(i) == '*';
            boolean bStar = j < m && b.charAt(j) == '*';
            if (aStar) {
                visit(state, i + 1, j, m, from, queue, emits, emitted, false, ' ');
                if (j < m && !bStar) {
                    visit(state, i, j + 1, m, from, queue, emits, emitted, true, b.charAt(j));
                }
            }
            if (bStar) {
                visit(state, i, j + 1, m, from, queue, emits, emitted, false, ' ');
                if (i < n && !aStar) {
                    visit(state, i + 1, j, m, from, queue, emits, emitted, true, a.charAt(i));
                }
            }
            if (i < n && j < m && !aStar && !bStar && a.charAt(i) == b.charAt(j)) {
                visit(state, i + 1, j + 1, m, from, queue, emits, emitted, true, a.charAt(i));
            }
        }
        return null;
    }

    private static void visit(int parent, int i, int j, int m, int[] from, ArrayDeque<Integer> queue,
                              boolean[] emits, char[] emitted, boolean emit, char c) {
        int state = i * (m + 1) + j;
        if (from[state] == -1 && state != 0) {
            from[state] = parent;
            emits[state] = emit;
            emitted[state] = c;
            queue.add(state);
        }
    }

    @Override
    public String toString() {
        return pattern;
    }
}
