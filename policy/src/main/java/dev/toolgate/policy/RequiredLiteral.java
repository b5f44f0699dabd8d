package dev.toolgate.policy;

/**
 * Text that every match of an RE2 pattern must contain, found by reading the pattern's top level, and a scan for it.
 *
 * <p>Soundness is the whole point: a literal that is not really required would let an input that matches the pattern
 * be answered "no match", and a {@code deny_if} would let a call through. So the reader accepts only a small, fully
 * understood part of the syntax and gives up ({@link #of} returns null) on everything else:
 * <ul>
 * <li>an optional leading flags group {@code (?flags)}; a flags group anywhere else changes the meaning of what follows
 * it, so it ends the analysis;</li>
 * <li>a top level that is one concatenation (a top-level {@code |} ends it);</li>
 * <li>atoms: printable ASCII characters, escaped ASCII punctuation ({@code \.}), {@code . ^ $}, the classes and
 * assertions {@code \d \D \s \S \w \W \b \B \A \z}, bracket classes, and groups (skipped whole, like classes);
 * any other escape ({@code \x \p \Q \n} …) ends it;</li>
 * <li>quantifiers {@code * + ? {n} {n,} {n,m}}, each optionally lazy; any other {@code {} ends it.</li>
 * </ul>
 * A run of unquantified literal atoms with nothing between them must appear verbatim in every match (a concatenation
 * matches adjacent pieces, and a literal atom matches exactly its character); the longest run is kept, without
 * surrounding spaces (any part of a required literal is required too). Under
 * {@code (?i)} RE2 folds case by Unicode simple folding, under which {@code k} also matches U+212A and {@code s} also
 * matches U+017F, so the scan treats every non-ASCII input character as matching any pattern character.
 */
final class RequiredLiteral {

    /** Shorter literals reject too little to pay for the scan. */
    static final int MIN_LENGTH = 3;
    /** Any part of a required literal is required too; a bound keeps the scan's worst case small. */
    static final int MAX_LENGTH = 32;

    private final String text;
    private final boolean ignoreCase;
    private final char[] lower;

    private RequiredLiteral(String text, boolean ignoreCase) {
        this.text = text;
        this.ignoreCase = ignoreCase;
        this.lower = ignoreCase ? asciiLower(text).toCharArray() : null;
    }

    String text() {
        return text;
    }

    boolean ignoreCase() {
        return ignoreCase;
    }

    /** False only when no match of the pattern can be in {@code input}. */
    boolean mayOccurIn(String input) {
        if (!ignoreCase) {
            return input.contains(text);
        }
        int m = lower.length;
        int last = input.length() - m;
        char first = lower[0];
        outer:
        for (int i = 0; i <= last; i++) {
            if (!sameIgnoringCase(input.charAt(i), first)) {
                continue;
            }
            for (int k = 1; k < m; k++) {
                if (!sameIgnoringCase(input.charAt(i + k), lower[k])) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** {@code p} is ASCII lower case; a non-ASCII {@code c} may fold to it, so it counts as the same. */
    private static boolean sameIgnoringCase(char c, char p) {
        if (c >= 0x80) {
            return true;
        }
        if (c >= 'A' && c <= 'Z') {
            c = (char) (c + ('a' - 'A'));
        }
        return c == p;
    }

    /** The longest required literal of an RE2 pattern that compiles, or null when there is none or the reader gives up. */
    static RequiredLiteral of(String regex) {
        int i = 0;
        int n = regex.length();
        boolean ignoreCase = false;
        int flagsEnd = leadingFlagsEnd(regex);
        if (flagsEnd > 0) {
            ignoreCase = flagsSetIgnoreCase(regex.substring(2, flagsEnd - 1));
            i = flagsEnd;
        }
        StringBuilder run = new StringBuilder();
        String best = "";
        while (i < n) {
            char c = regex.charAt(i);
            int atomEnd;
            boolean literal = false;
            switch (c) {
                case '|', ')', '*', '+', '?', '{' -> {
                    return null; // top-level alternation, or something a compiled pattern should not have here
                }
                case '(' -> {
                    if (regex.startsWith("(?", i) && !isScopedOrNamedGroup(regex, i + 2)) {
                        return null; // a flags group: changes the meaning of the rest
                    }
                    atomEnd = groupEnd(regex, i);
                }
                case '[' -> atomEnd = classEnd(regex, i);
                case '\\' -> {
                    if (i + 1 >= n) {
                        return null;
                    }
                    char d = regex.charAt(i + 1);
                    if (d < 0x80 && !Character.isLetterOrDigit(d) && d >= 0x20) {
                        literal = true;
                        c = d;
                    } else if ("dDsSwWbBAz".indexOf(d) < 0) {
                        return null;
                    }
                    atomEnd = i + 2;
                }
                case '.', '^', '$' -> atomEnd = i + 1;
                default -> {
                    literal = c >= 0x20 && c < 0x7f;
                    atomEnd = i + 1;
                }
            }
            if (atomEnd < 0) {
                return null;
            }
            int next = quantifiersEnd(regex, atomEnd);
            if (next < 0) {
                return null;
            }
            if (literal && next == atomEnd) {
                run.append(c);
            } else {
                best = longer(best, run);
                run.setLength(0);
            }
            i = next;
        }
        best = longer(best, run).strip(); // a space is the most frequent character: a poor first character to scan for
        if (best.length() < MIN_LENGTH) {
            return null;
        }
        return new RequiredLiteral(best.length() > MAX_LENGTH ? best.substring(0, MAX_LENGTH) : best, ignoreCase);
    }

    private static String longer(String best, StringBuilder run) {
        return run.length() > best.length() ? run.toString() : best;
    }

    /** End (exclusive) of a leading {@code (?flags)} group, or 0 when the pattern does not start with one. */
    private static int leadingFlagsEnd(String regex) {
        if (!regex.startsWith("(?")) {
            return 0;
        }
        for (int j = 2; j < regex.length(); j++) {
            char c = regex.charAt(j);
            if (c == ')') {
                return j + 1;
            }
            if ("imsU-".indexOf(c) < 0) {
                return 0; // (?: (?P< (?i: … a group, read as an atom
            }
        }
        return 0;
    }

    private static boolean flagsSetIgnoreCase(String flags) {
        int minus = flags.indexOf('-');
        return (minus < 0 ? flags : flags.substring(0, minus)).indexOf('i') >= 0;
    }

    /** After "(?": a named group or a group with scoped flags ({@code (?i:…)}), as opposed to a bare flags group. */
    private static boolean isScopedOrNamedGroup(String regex, int j) {
        if (j < regex.length() && (regex.charAt(j) == 'P' || regex.charAt(j) == '<')) {
            return true;
        }
        while (j < regex.length() && "imsU-".indexOf(regex.charAt(j)) >= 0) {
            j++;
        }
        return j < regex.length() && regex.charAt(j) == ':';
    }

    /** End (exclusive) of the group opening at {@code start}, or -1. */
    private static int groupEnd(String regex, int start) {
        int depth = 0;
        int j = start;
        while (j < regex.length()) {
            char c = regex.charAt(j);
            switch (c) {
                case '\\' -> {
                    if (j + 1 >= regex.length() || regex.charAt(j + 1) == 'Q') {
                        return -1; // \Q…\E quotes parentheses: not worth reading
                    }
                    j += 2;
                }
                case '[' -> {
                    j = classEnd(regex, j);
                    if (j < 0) {
                        return -1;
                    }
                }
                case '(' -> {
                    depth++;
                    j++;
                }
                case ')' -> {
                    depth--;
                    j++;
                    if (depth == 0) {
                        return j;
                    }
                }
                default -> j++;
            }
        }
        return -1;
    }

    /**
     * End (exclusive) of the bracket class opening at {@code start}, or -1. RE2: a {@code ]} right after {@code [} or
     * {@code [^} is a member; {@code [:name:]} is a named class (in a pattern that compiled, a {@code [:} followed
     * later by {@code :]} is always one); a backslash escapes the next character.
     */
    private static int classEnd(String regex, int start) {
        int n = regex.length();
        int j = start + 1;
        if (j < n && regex.charAt(j) == '^') {
            j++;
        }
        if (j < n && regex.charAt(j) == ']') {
            j++;
        }
        while (j < n) {
            char c = regex.charAt(j);
            if (c == ']') {
                return j + 1;
            }
            if (c == '\\') {
                if (j + 1 >= n || regex.charAt(j + 1) == 'Q') {
                    return -1;
                }
                j += 2;
            } else if (c == '[' && j + 1 < n && regex.charAt(j + 1) == ':') {
                int close = regex.indexOf(":]", j + 2);
                j = close < 0 ? j + 1 : close + 2;
            } else {
                j++;
            }
        }
        return -1;
    }

    /** Position after any quantifiers at {@code j} (j itself when there are none), or -1 for a brace it cannot read. */
    private static int quantifiersEnd(String regex, int j) {
        int n = regex.length();
        while (j < n) {
            char c = regex.charAt(j);
            if (c == '*' || c == '+' || c == '?') {
                j++;
            } else if (c == '{') {
                int k = j + 1;
                int digits = k;
                while (k < n && isAsciiDigit(regex.charAt(k))) {
                    k++;
                }
                if (k == digits) {
                    return -1;
                }
                if (k < n && regex.charAt(k) == ',') {
                    k++;
                    while (k < n && isAsciiDigit(regex.charAt(k))) {
                        k++;
                    }
                }
                if (k >= n || regex.charAt(k) != '}') {
                    return -1;
                }
                j = k + 1;
            } else {
                return j;
            }
        }
        return j;
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String asciiLower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return (ignoreCase ? "(?i)" : "") + text;
    }
}
