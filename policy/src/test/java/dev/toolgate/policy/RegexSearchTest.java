package dev.toolgate.policy;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The required-literal prefilter in front of RE2J: which literal each pattern yields (or none), and, above all, that
 * {@link RegexSearch#find} always answers what RE2J alone answers — a prefilter that rejected a matching input would
 * let a {@code deny_if} miss.
 */
class RegexSearchTest {

    private static String literalOf(String regex) {
        Pattern.compile(regex); // only patterns that compile reach the reader
        RequiredLiteral literal = RequiredLiteral.of(regex);
        return literal == null ? null : literal.toString();
    }

    @Test
    void longestUnquantifiedRunOfTheTopLevelConcatenation() {
        assertThat(literalOf("(?i)ignore (all|previous) instructions")).isEqualTo("(?i)instructions");
        assertThat(literalOf("^acct_(test|sandbox)_")).isEqualTo("acct_");
        assertThat(literalOf("drop\\s+table")).isEqualTo("table");
        assertThat(literalOf("@evil\\.com$")).isEqualTo("@evil.com");
        assertThat(literalOf("abcd*")).as("a quantified character is not required").isEqualTo("abc");
        assertThat(literalOf("xyz{2}uvw")).isEqualTo("uvw");
        assertThat(literalOf("[a-z]+foo\\.bar")).isEqualTo("foo.bar");
        assertThat(literalOf("[]abc]xyz")).as("] first in a class is a member").isEqualTo("xyz");
        assertThat(literalOf("[^]a)(]qrs")).isEqualTo("qrs");
        assertThat(literalOf("[[:alpha:]]qqq[x\\]]")).isEqualTo("qqq");
        assertThat(literalOf("(?i:abc)defg")).as("scoped flags stay in their group").isEqualTo("defg");
        assertThat(literalOf("(?P<name>abc)defg")).isEqualTo("defg");
        assertThat(literalOf("(a(b)c)+wxyz(d)")).isEqualTo("wxyz");
        assertThat(literalOf("(?is)Secret")).isEqualTo("(?i)Secret");
        assertThat(literalOf("(?i-s)Secret")).isEqualTo("(?i)Secret");
        assertThat(literalOf("(?s-i)Secret")).isEqualTo("Secret");
        assertThat(literalOf("x".repeat(100))).hasSize(RequiredLiteral.MAX_LENGTH);
    }

    @Test
    void givesUpOnWhatItDoesNotFullyRead() {
        assertThat(literalOf("abc|defg")).as("top-level alternation").isNull();
        assertThat(literalOf("abc(?i)defg")).as("flags in mid-pattern change what follows").isNull();
        assertThat(literalOf("\\x41bcd")).isNull();
        assertThat(literalOf("\\QABC\\E")).isNull();
        assertThat(literalOf("\\pLabcd")).isNull();
        assertThat(literalOf("abcd\\n")).isNull();
        assertThat(literalOf("x{,3}abcd")).as("RE2 reads this brace as a literal; the reader does not try").isNull();
        assertThat(literalOf("ab")).as("too short to pay").isNull();
        assertThat(literalOf("a.b.c")).isNull();
        assertThat(literalOf("(abc)")).isNull();
        assertThat(literalOf("\u00e9t\u00e9s")).as("non-ASCII characters are not literals for the scan").isNull();
    }

    @Test
    void caseFoldingBeyondAsciiStillMatches() {
        // Under (?i) RE2 folds k with U+212A (Kelvin sign) and s with U+017F (long s): the scan must not reject these.
        for (String input : List.of("IGNORE ALL INSTRUCTION\u017f", "ignore previous instructions", "\u212aeep it",
                "please IgNoRe AlL iNsTrUcTiOnS now")) {
            String regex = input.startsWith("\u212a") ? "(?i)keep it" : "(?i)ignore (all|previous) instructions";
            assertThat(RegexSearch.compile(regex).find(input)).as(input).isEqualTo(Pattern.compile(regex).matcher(input).find()).isTrue();
        }
        assertThat(RegexSearch.compile("(?i)ignore (all|previous) instructions").find("x".repeat(700) + " instruction")).isFalse();
        assertThat(RegexSearch.compile("Keep").find("\u212aeep")).as("case-sensitive: exact").isFalse();
    }

    /**
     * Differential check: random patterns built from the pieces the reader handles (and some it must give up on),
     * random inputs built from the same characters, case-flipped and with the non-ASCII fold partners; the answer
     * with the prefilter must equal RE2J's every time. Seeded, so a failure reproduces.
     */
    @Test
    void answersExactlyWhatRe2jAnswers() {
        String[] atoms = {"a", "b", "k", "s", "K", "S", "e", " ", "\\.", "\\-", ".", "-", "[ab]", "[^a]", "[]k]", "[[:alpha:]]",
                "\\d", "\\s", "\\w", "\\b", "\\B", "^", "$", "(a|b)", "(?:ks)", "(?i:ab)", "(?P<n>s)", "\\x41", "\\pL", "(?i)", "|",
                "(k(s)?)", "[s-u]", "x", "y"};
        String[] quantifiers = {"", "", "", "", "*", "+", "?", "{2}", "{1,2}", "{0}", "*?", "??"};
        String[] literals = {"a", "b", "k", "s", "e", "K", "S", "x", " ", "-", "\\."};
        String[] prefixes = {"", "", "(?i)", "(?s)", "(?-i)", "(?im)", "(?U)"};
        char[] alphabet = {'a', 'b', 'k', 's', 'e', 'x', 'y', 'K', 'S', 'A', 'B', 'E', ' ', '.', '-', '1', '\u212a', '\u017f', '\u00e9'};
        Random random = new Random(20261122);
        int compiled = 0;
        int withLiteral = 0;
        int matchedWithLiteral = 0;
        int rejectedByScan = 0;
        for (int p = 0; p < 4000; p++) {
            StringBuilder regex = new StringBuilder(prefixes[random.nextInt(prefixes.length)]);
            int pieces = 1 + random.nextInt(7);
            for (int k = 0; k < pieces; k++) {
                if (random.nextBoolean()) {
                    int length = 1 + random.nextInt(4); // a literal chunk, so that many patterns have a required run
                    for (int c = 0; c < length; c++) {
                        regex.append(literals[random.nextInt(literals.length)]);
                    }
                } else {
                    regex.append(atoms[random.nextInt(atoms.length)]).append(quantifiers[random.nextInt(quantifiers.length)]);
                }
            }
            Pattern re2j;
            try {
                re2j = Pattern.compile(regex.toString());
            } catch (PatternSyntaxException e) {
                continue;
            }
            compiled++;
            RegexSearch search = RegexSearch.compile(regex.toString());
            if (search.requiredLiteral() != null) {
                withLiteral++;
            }
            for (String input : inputs(random, alphabet, search.requiredLiteral())) {
                boolean expected = re2j.matcher(input).find();
                assertThat(search.find(input)).as("/%s/ on \"%s\" (literal %s)", regex, input, search.requiredLiteral()).isEqualTo(expected);
                if (search.requiredLiteral() != null) {
                    matchedWithLiteral += expected ? 1 : 0;
                    rejectedByScan += search.requiredLiteral().mayOccurIn(input) ? 0 : 1;
                }
            }
        }
        // the check is only worth something if it exercised both sides of the prefilter many times
        assertThat(compiled).isGreaterThan(3000);
        assertThat(withLiteral).isGreaterThan(1500);
        assertThat(matchedWithLiteral).isGreaterThan(8000);
        assertThat(rejectedByScan).isGreaterThan(50000);
    }

    private static List<String> inputs(Random random, char[] alphabet, RequiredLiteral literal) {
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            StringBuilder s = new StringBuilder();
            int length = random.nextInt(14);
            for (int k = 0; k < length; k++) {
                s.append(alphabet[random.nextInt(alphabet.length)]);
            }
            if (literal != null && random.nextBoolean()) {
                // plant the literal (case-flipped, k/s sometimes swapped for their fold partners) to reach RE2J often
                StringBuilder planted = new StringBuilder();
                for (char c : literal.text().toCharArray()) {
                    planted.append(switch (random.nextInt(4)) {
                        case 0 -> Character.toUpperCase(c);
                        case 1 -> Character.toLowerCase(c) == 'k' ? '\u212a' : Character.toLowerCase(c) == 's' ? '\u017f' : c;
                        default -> c;
                    });
                }
                s.insert(random.nextInt(s.length() + 1), planted);
            }
            inputs.add(s.toString());
        }
        return inputs;
    }
}
