package dev.toolgate.policy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.toolgate.policy.PropertyCheck.Draw;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static dev.toolgate.policy.PropertyCheck.forAll;
import static org.assertj.core.api.Assertions.assertThat;

/** Numbers compare exactly whatever their JSON spelling. */
class NumberComparisonPropertiesTest {

    record Input(BigDecimal limit, BigDecimal amount, int spelling, boolean equalValue) {
    }

    /** A decimal in [-1e12, 1e12] with scale 6, drawn as a magnitude and a sign so that it shrinks towards 0. */
    static BigDecimal decimal(Draw d) {
        // magnitude in millionths: [0, 1e18]; small magnitudes are common edge cases, so half the draws stay below 1e6 (one unit)
        long millionths = d.bool() ? d.longBetween(0, 1_000_000_000_000_000_000L) : d.longBetween(0, 1_000_000);
        BigDecimal magnitude = BigDecimal.valueOf(millionths, 6);
        return d.bool() ? magnitude.negate() : magnitude;
    }

    @Test
    void comparisonsFollowExactDecimalOrderInAnySpelling() {
        forAll(200, d -> new Input(decimal(d), decimal(d), d.intBetween(0, 2), d.bool()),
                in -> comparisonsFollowExactDecimalOrderInAnySpelling(in.limit(), in.amount(), in.spelling(), in.equalValue()));
    }

    private static void comparisonsFollowExactDecimalOrderInAnySpelling(BigDecimal limit, BigDecimal amount, int spelling,
            boolean equalValue) throws Exception {
        if (equalValue) {
            amount = limit.setScale(limit.scale() + 2); // same value, other spelling
        }
        String written = switch (spelling) {
            case 0 -> limit.toPlainString();
            case 1 -> limit.stripTrailingZeros().toString().replace("E+", "e");   // scientific, e.g. 1e3
            default -> limit.setScale(limit.scale() + 3).toPlainString();       // trailing zeros, e.g. 1000.000
        };
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'deny_if':["
                + "{'conditions':[{'arg':'a','op':'gt','value':" + written + "}],'on_deny':'gt'},"
                + "{'conditions':[{'arg':'a','op':'eq','value':" + written + "}],'on_deny':'eq'}]}}}"), new RateLimiter());
        var arguments = JsonNodeFactory.withExactBigDecimals(true).objectNode().put("a", amount);
        Decision d = p.decide(new ToolCall("t", arguments, "x", null), T0);
        int c = amount.compareTo(limit);
        assertThat(d.reason()).isEqualTo(c > 0 ? "gt" : c == 0 ? "eq" : "allowed by tools[\"t\"]");
    }
}
