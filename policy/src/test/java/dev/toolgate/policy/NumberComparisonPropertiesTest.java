package dev.toolgate.policy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.BigRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Scale;

import java.math.BigDecimal;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;

/** Numbers compare exactly whatever their JSON spelling. */
class NumberComparisonPropertiesTest {

    @Property(tries = 200)
    void comparisonsFollowExactDecimalOrderInAnySpelling(@ForAll @BigRange(min = "-1e12", max = "1e12") @Scale(6) BigDecimal limit,
                                                         @ForAll @BigRange(min = "-1e12", max = "1e12") @Scale(6) BigDecimal amount,
                                                         @ForAll @IntRange(min = 0, max = 2) int spelling,
                                                         @ForAll boolean equalValue) throws Exception {
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
