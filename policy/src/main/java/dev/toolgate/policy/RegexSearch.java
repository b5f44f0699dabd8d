package dev.toolgate.policy;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * An RE2 regular expression searched for anywhere in a string ({@code find}), in linear time. RE2J simulates an NFA
 * for every input character (it has no DFA): about 25 ns a character, so a {@code deny_if} pattern over a long
 * argument was the largest single cost of a decision. Most patterns a policy uses must contain some literal text
 * ({@code (?i)ignore (all|previous) instructions} cannot match without {@code " instructions"}); an input lacking that
 * text is answered "no match" by a plain scan, and RE2J runs only on the rest. See {@link RequiredLiteral} for which
 * patterns get the scan: anything it does not fully understand gets none, so the answer is always RE2J's.
 */
final class RegexSearch {

    private final Pattern pattern;
    private final RequiredLiteral literal;

    private RegexSearch(Pattern pattern, RequiredLiteral literal) {
        this.pattern = pattern;
        this.literal = literal;
    }

    /** Compiles {@code regex} with RE2 syntax and no flags. */
    static RegexSearch compile(String regex) throws PatternSyntaxException {
        Pattern pattern = Pattern.compile(regex);
        return new RegexSearch(pattern, RequiredLiteral.of(regex));
    }

    boolean find(String input) {
        if (literal != null && !literal.mayOccurIn(input)) {
            return false;
        }
        return pattern.matcher(input).find();
    }

    /** The literal every match must contain, or null when the pattern gets no prefilter (for tests). */
    RequiredLiteral requiredLiteral() {
        return literal;
    }

    @Override
    public String toString() {
        return pattern.pattern();
    }
}
