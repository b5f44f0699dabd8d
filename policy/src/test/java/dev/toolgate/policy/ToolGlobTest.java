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
}
