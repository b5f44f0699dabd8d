package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.toolgate.policy.PropertyCheck.forAll;
import static org.assertj.core.api.Assertions.assertThat;

/** Glob matching and the exact ambiguity check, against brute force. */
class ToolGlobTest {

    @Test
    void matching() {
        assertThat(new ToolGlob("*").matches("")).isTrue();
        assertThat(new ToolGlob("a*").matches("a")).isTrue();
        assertThat(new ToolGlob("*a*a*").matches("aa")).isTrue();
        assertThat(new ToolGlob("*a*a*").matches("a")).isFalse();
        assertThat(new ToolGlob("a*b").matches("ab")).isTrue();
        assertThat(new ToolGlob("a*b").matches("abab")).isTrue();
        assertThat(new ToolGlob("a*b").matches("aba")).isFalse();
        assertThat(new ToolGlob("mcp.*.read").matches("mcp.files.read")).isTrue();
        assertThat(new ToolGlob("**").literalCount()).isZero();
    }

    @Test
    void commonMatchWitnesses() {
        assertThat(ToolGlob.commonMatch("get_*", "*_set")).isEqualTo("get_set");
        assertThat(ToolGlob.commonMatch("get_*", "set_*")).isNull();
        assertThat(ToolGlob.commonMatch("a*", "*b")).isEqualTo("ab");
        assertThat(ToolGlob.commonMatch("*", "*")).isEmpty();
        assertThat(ToolGlob.commonMatch("a*c", "b*")).isNull();
    }

    @Test
    void commonMatchIsExact() {
        forAll(300, d -> List.of(d.stringOf("ab*", 1, 4), d.stringOf("ab*", 1, 4)), globs -> commonMatchIsExact(globs.get(0), globs.get(1)));
    }

    private static void commonMatchIsExact(String a, String b) {
        ToolGlob ga = new ToolGlob(a.contains("*") ? a : a + "*");
        ToolGlob gb = new ToolGlob(b.contains("*") ? b : b + "*");
        String pa = ga.pattern();
        String pb = gb.pattern();
        String witness = ToolGlob.commonMatch(pa, pb);
        if (witness != null) {
            assertThat(ga.matches(witness)).isTrue();
            assertThat(gb.matches(witness)).isTrue();
            assertThat(ga.mayOverlap(gb)).isTrue();
        } else {
            // a shortest common name needs at most all literal characters of both; 'c' stands for any other character
            assertThat(anyCommon("", pa.length() + pb.length(), ga, gb)).as("%s vs %s", pa, pb).isFalse();
        }
    }

    private static boolean anyCommon(String prefix, int remaining, ToolGlob a, ToolGlob b) {
        if (a.matches(prefix) && b.matches(prefix)) {
            return true;
        }
        if (remaining == 0) {
            return false;
        }
        for (char c : new char[]{'a', 'b', 'c'}) {
            if (anyCommon(prefix + c, remaining - 1, a, b)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void coverExamples() {
        assertThat(ToolGlob.covers("*", "anything*")).isTrue();
        assertThat(ToolGlob.covers("system:serviceaccount:ci:*", "system:serviceaccount:ci:deployer")).isTrue();
        assertThat(ToolGlob.covers("a*", "ab*")).isTrue();
        assertThat(ToolGlob.covers("ab*", "a*")).isFalse();
        assertThat(ToolGlob.covers("a*b", "a*b*b")).isTrue();
        assertThat(ToolGlob.covers("exact", "exact")).isTrue();
        assertThat(ToolGlob.covers("exact", "exa*")).isFalse();
        // the text "*" as a name is matched by a star, never by a literal
        assertThat(ToolGlob.covers("x", "*")).isFalse();
    }

    /** The shadowing check relies on this: a claimed cover always holds, for every name the covered pattern matches. */
    @Test
    void coverIsSound() {
        forAll(300, d -> List.of(d.stringOf("ab*", 0, 4), d.stringOf("ab*", 0, 4)), globs -> {
            String general = globs.get(0);
            String specific = globs.get(1);
            if (ToolGlob.covers(general, specific)) {
                assertThat(counterexample("", 6, specific, general)).as("%s covers %s", general, specific).isNull();
            }
        });
    }

    /** A name of at most {@code remaining} more characters that {@code specific} matches and {@code general} does not. */
    private static String counterexample(String prefix, int remaining, String specific, String general) {
        if (matches(specific, prefix) && !matches(general, prefix)) {
            return prefix;
        }
        if (remaining == 0) {
            return null;
        }
        for (char c : new char[]{'a', 'b', 'c'}) {
            String found = counterexample(prefix + c, remaining - 1, specific, general);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static boolean matches(String pattern, String name) {
        return ToolGlob.isGlob(pattern) ? new ToolGlob(pattern).matches(name) : pattern.equals(name);
    }
}
