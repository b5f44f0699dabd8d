package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Policy#decideAll}: a batch consumes rate-limit capacity only when every one of its calls is allowed. */
class BatchDecisionsTest {

    /** 't' counts in a global counter of {@code max} per minute; 'bad' is denied; 'pay' needs an amount ≤ 10. */
    private static Policy policy(int max, RateLimiter limiter) throws PolicyException {
        return Policy.load(q("{'version':'1','default':'deny','tools':{"
                + "'t':{'limits':[{'counter':'c','window':'minute','max':" + max + ",'scope':'global'}]},"
                + "'bad':{'action':'deny'},"
                + "'pay':{'args':{'type':'object','properties':{'amount':{'type':'number','maximum':10}}}},"
                + "'ask':{'action':'require_approval'}}}"), limiter);
    }

    private static ToolCall t() {
        return new ToolCall("t", null, "agent", null);
    }

    private static ToolCall named(String tool) {
        return new ToolCall(tool, null, "agent", null);
    }

    private static List<Verdict> verdicts(List<Decision> decisions) {
        return decisions.stream().map(Decision::verdict).toList();
    }

    @Test
    void aBatchWithADeniedCallConsumesNothingHoweverOftenItIsSent() throws Exception {
        Policy p = policy(2, new RateLimiter());
        for (int i = 0; i < 5; i++) {
            // the sibling's would-be verdict is reported, though nothing was consumed for it
            assertThat(verdicts(p.decideAll(List.of(t(), named("bad")), T0 + i)))
                    .containsExactly(Verdict.ALLOWED, Verdict.DENIED);
        }
        assertThat(p.decide(t(), T0 + 10).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(t(), T0 + 11).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(t(), T0 + 12).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void everyRefusalBeforeTheLimitsKeepsTheBatchFromConsuming() throws Exception {
        Policy p = policy(1, new RateLimiter());
        ToolCall tooMuch = new ToolCall("pay", PolicyTestSupport.json("{\"amount\":11}"), "agent", null);
        assertThat(verdicts(p.decideAll(List.of(t(), tooMuch), T0))).containsExactly(Verdict.ALLOWED, Verdict.INVALID_ARGUMENTS);
        assertThat(verdicts(p.decideAll(List.of(named("ask"), t()), T0))).containsExactly(Verdict.APPROVAL_REQUIRED, Verdict.ALLOWED);
        assertThat(verdicts(p.decideAll(List.of(t(), named("no-such-tool")), T0))).containsExactly(Verdict.ALLOWED, Verdict.DENIED);
        assertThat(p.decide(t(), T0).verdict()).as("the single unit is still there").isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void twoCallsOnOneCounterAndKeyAreTwoUnits() throws Exception {
        Policy p = policy(2, new RateLimiter());
        assertThat(p.decide(t(), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        // one unit left: the first call fits, the second does not, so neither consumes
        List<Decision> batch = p.decideAll(List.of(t(), t()), T0 + 1_000);
        assertThat(verdicts(batch)).containsExactly(Verdict.ALLOWED, Verdict.RATE_LIMITED);
        assertThat(batch.get(1).counter()).isEqualTo("c");
        assertThat(batch.get(1).rule()).isEqualTo("tools[\"t\"].limits[0]");
        assertThat(batch.get(1).retryAfterSeconds()).as("when the admission at T0 leaves the window").isEqualTo(59);
        assertThat(p.decide(t(), T0 + 2_000).verdict()).as("the unit the batch did not take").isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(t(), T0 + 3_000).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aBatchThatFitsConsumesOneUnitPerCall() throws Exception {
        Policy p = policy(3, new RateLimiter());
        assertThat(verdicts(p.decideAll(List.of(t(), t()), T0))).containsExactly(Verdict.ALLOWED, Verdict.ALLOWED);
        assertThat(verdicts(p.decideAll(List.of(t(), t()), T0 + 1))).containsExactly(Verdict.ALLOWED, Verdict.RATE_LIMITED);
        assertThat(p.decide(t(), T0 + 2).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(t(), T0 + 3).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aCallThatDoesNotFitTakesNothingFromTheCallsAfterIt() throws Exception {
        Policy p = policy(3, new RateLimiter());
        p.decide(t(), T0);
        p.decide(t(), T0 + 10_000);
        // one unit left at T0+20s: the first call takes it, the two after it each need a second unit
        List<Decision> batch = p.decideAll(List.of(t(), t(), t()), T0 + 20_000);
        assertThat(verdicts(batch)).containsExactly(Verdict.ALLOWED, Verdict.RATE_LIMITED, Verdict.RATE_LIMITED);
        assertThat(batch.get(1).retryAfterSeconds()).as("two units free once T0 leaves the window").isEqualTo(40);
        assertThat(batch.get(2).retryAfterSeconds()).isEqualTo(40);
        assertThat(p.decideAll(List.of(t(), t()), T0 + 60_000)).extracting(Decision::verdict)
                .containsExactly(Verdict.ALLOWED, Verdict.ALLOWED);
    }

    @Test
    void aBatchNeedingMoreUnitsThanMaxIsRefusedWithTheWindowAsRetryAfter() throws Exception {
        Policy p = policy(2, new RateLimiter());
        List<Decision> batch = p.decideAll(List.of(t(), t(), t()), T0);
        assertThat(verdicts(batch)).containsExactly(Verdict.ALLOWED, Verdict.ALLOWED, Verdict.RATE_LIMITED);
        assertThat(batch.get(2).retryAfterSeconds()).isEqualTo(60);
        assertThat(p.decideAll(List.of(t(), t()), T0)).extracting(Decision::verdict).containsOnly(Verdict.ALLOWED);
    }

    @Test
    void anExhaustedSiblingOfADeniedCallIsReportedRateLimited() throws Exception {
        Policy p = policy(1, new RateLimiter());
        p.decide(t(), T0);
        List<Decision> batch = p.decideAll(List.of(t(), named("bad")), T0 + 30_000);
        assertThat(verdicts(batch)).containsExactly(Verdict.RATE_LIMITED, Verdict.DENIED);
        assertThat(batch.get(0).retryAfterSeconds()).isEqualTo(30);
    }

    @Test
    void topLevelAndEntryCountersAreCheckedTogetherAcrossTheBatch() throws Exception {
        Policy p = Policy.load(q("{'version':'1','default':'deny','limits':[{'counter':'all','window':'minute','max':3,'scope':'global'}],"
                + "'tools':{'t':{'limits':[{'counter':'mine','window':'minute','max':1,'scope':'identity'}]},'u':{}}}"), new RateLimiter());
        ToolCall ta = new ToolCall("t", null, "a", null);
        ToolCall tb = new ToolCall("t", null, "b", null);
        ToolCall u = new ToolCall("u", null, "a", null);
        assertThat(verdicts(p.decideAll(List.of(ta, tb, u, u), T0)))
                .as("four units of 'all' wanted, three available").containsExactly(Verdict.ALLOWED, Verdict.ALLOWED, Verdict.ALLOWED, Verdict.RATE_LIMITED);
        List<Decision> twice = p.decideAll(List.of(ta, u, ta), T0);
        assertThat(verdicts(twice)).containsExactly(Verdict.ALLOWED, Verdict.ALLOWED, Verdict.RATE_LIMITED);
        assertThat(twice.get(2).counter()).isEqualTo("mine");
        assertThat(verdicts(p.decideAll(List.of(ta, tb, u), T0))).as("nothing was consumed so far").containsOnly(Verdict.ALLOWED);
        assertThat(p.decide(u, T0).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(p.decide(new ToolCall("t", null, "c", null), T0).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aFullLimiterRefusesTheNewKeyAndTheBatchConsumesNothing() throws Exception {
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':'minute','max':2,"
                + "'scope':'identity'}]}}}"), new RateLimiter(1));
        ToolCall a = new ToolCall("t", null, "a", null);
        ToolCall b = new ToolCall("t", null, "b", null);
        assertThat(p.decide(a, T0).verdict()).isEqualTo(Verdict.ALLOWED); // a's key fills the limiter and is not idle
        List<Decision> batch = p.decideAll(List.of(a, b), T0 + 1);
        assertThat(verdicts(batch)).containsExactly(Verdict.ALLOWED, Verdict.RATE_LIMITED);
        assertThat(batch.get(1).reason()).isEqualTo(Policy.LIMITER_FULL);
        assertThat(p.decide(a, T0 + 2).verdict()).as("a's second unit is still free").isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(a, T0 + 3).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aBatchOfOneDecidesExactlyLikeDecide() throws Exception {
        Policy single = policy(2, new RateLimiter());
        Policy batched = policy(2, new RateLimiter());
        List<ToolCall> calls = List.of(t(), named("bad"), t(), named("ask"), t(), named("nope"), t());
        List<Decision> expected = new ArrayList<>();
        List<Decision> actual = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            expected.add(single.decide(calls.get(i), T0 + i * 5_000L));
            actual.addAll(batched.decideAll(List.of(calls.get(i)), T0 + i * 5_000L));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(verdicts(expected)).containsExactly(Verdict.ALLOWED, Verdict.DENIED, Verdict.ALLOWED, Verdict.APPROVAL_REQUIRED,
                Verdict.RATE_LIMITED, Verdict.DENIED, Verdict.RATE_LIMITED);
    }

    @Test
    void emptyAndNullInput() throws Exception {
        Policy p = policy(1, new RateLimiter());
        assertThat(p.decideAll(List.of(), T0)).isEmpty();
        assertThatThrownBy(() -> p.decideAll(null, T0)).isInstanceOf(IllegalArgumentException.class);
        List<ToolCall> withNull = new ArrayList<>();
        withNull.add(t());
        withNull.add(null);
        assertThatThrownBy(() -> p.decideAll(withNull, T0)).isInstanceOf(IllegalArgumentException.class).hasMessage("calls[1] is null");
        assertThat(p.decide(t(), T0).verdict()).as("a rejected input consumed nothing").isEqualTo(Verdict.ALLOWED);
    }
}
