package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.call;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Scopes, sliding windows, reloads and the bounded key memory of {@link RateLimiter}. */
class RateLimiterTest {

    private static Policy limited(String scope, int max, String window, RateLimiter limiter) throws PolicyException {
        return Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':" + window
                + ",'max':" + max + ",'scope':'" + scope + "'}]}}}"), limiter);
    }

    private static Verdict decide(Policy p, String identity, String session, long at) {
        return p.decide(new ToolCall("t", null, identity, session), at).verdict();
    }

    @Test
    void grantAndIdentityScopesCountPerIdentity() throws Exception {
        for (String scope : new String[]{"grant", "identity"}) {
            Policy p = limited(scope, 1, "'minute'", new RateLimiter());
            assertThat(decide(p, "a", "s1", T0)).isEqualTo(Verdict.ALLOWED);
            assertThat(decide(p, "a", "s2", T0)).as(scope + ": same identity, other session").isEqualTo(Verdict.RATE_LIMITED);
            assertThat(decide(p, "b", "s1", T0)).as(scope + ": other identity").isEqualTo(Verdict.ALLOWED);
        }
    }

    @Test
    void sessionScopeCountsPerSessionAndPerIdentityWithoutOne() throws Exception {
        Policy p = limited("session", 1, "'minute'", new RateLimiter());
        assertThat(decide(p, "a", "s1", T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "b", "s1", T0)).as("same session, other identity").isEqualTo(Verdict.RATE_LIMITED);
        assertThat(decide(p, "a", "s2", T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0)).as("no session: per identity").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0)).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(decide(p, "b", null, T0)).isEqualTo(Verdict.ALLOWED);
        // a session literally named like an identity does not share its count
        assertThat(decide(p, "z", "b", T0)).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void globalScopeIsOneCount() throws Exception {
        Policy p = limited("global", 2, "'minute'", new RateLimiter());
        assertThat(decide(p, "a", "s1", T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "b", "s2", T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, null, null, T0)).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void callersWithoutIdentityShareTheAnonymousCount() throws Exception {
        Policy p = limited("identity", 1, "'minute'", new RateLimiter());
        assertThat(decide(p, null, null, T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "anonymous", null, T0)).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void windowSlidesAcrossTheClockMinute() throws Exception {
        Policy p = limited("global", 3, "'minute'", new RateLimiter());
        long minuteEdge = T0 + 60_000;
        assertThat(decide(p, "a", null, minuteEdge - 3)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, minuteEdge - 2)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, minuteEdge - 1)).isEqualTo(Verdict.ALLOWED);
        // a fixed per-minute bucket would admit these; the sliding window does not
        assertThat(decide(p, "a", null, minuteEdge)).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(decide(p, "a", null, minuteEdge + 59_996)).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(decide(p, "a", null, minuteEdge + 59_997)).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void retryAfterIsWholeSecondsUntilTheOldestAdmissionLeavesTheWindow() throws Exception {
        Policy p = limited("global", 1, "'90s'", new RateLimiter());
        decide(p, "a", null, T0);
        assertThat(p.decide(new ToolCall("t", null, "a", null), T0 + 500).retryAfterSeconds()).isEqualTo(90);
        assertThat(p.decide(new ToolCall("t", null, "a", null), T0 + 89_001).retryAfterSeconds()).isEqualTo(1);
        assertThat(p.decide(new ToolCall("t", null, "a", null), T0 + 89_999).retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void aCallStampedBeforeTheNewestAdmissionIsCheckedAgainstItsNeighboursOnBothSides() throws Exception {
        Policy p = limited("global", 2, "10", new RateLimiter());
        assertThat(decide(p, "a", null, T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0 + 15_000)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0 + 5_000)).as("late, one admission within 10 s of it").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0 + 6_000)).as("late, three within 10 s").isEqualTo(Verdict.RATE_LIMITED);
        // conservative: 5 s and 15 s never share a window with 14 s and each other, but both are within 10 s of it
        assertThat(decide(p, "a", null, T0 + 14_000)).as("late, two within 10 s").isEqualTo(Verdict.RATE_LIMITED);
        assertThat(decide(p, "a", null, T0 + 26_000)).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void aSlightlyLateCallAfterAnIdlePeriodIsJudgedExactly() throws Exception {
        Policy p = limited("global", 2, "10", new RateLimiter());
        assertThat(decide(p, "a", null, T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0 + 100_000)).as("T0 is now forgotten").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0 + 99_999)).as("1 ms late, far from anything forgotten").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0 + 99_998)).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aCallStampedWithinAWindowOfForgottenAdmissionsIsRefused() throws Exception {
        Policy p = limited("global", 5, "10", new RateLimiter());
        assertThat(decide(p, "a", null, T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0 + 30_000)).as("T0 is forgotten: more than two windows old").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "a", null, T0 + 5_000)).as("might share a window with T0").isEqualTo(Verdict.RATE_LIMITED);
        assertThat(decide(p, "a", null, T0 + 10_000)).as("cannot share a window with T0").isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void countersSurviveAReloadWithAnUnchangedDefinition() throws Exception {
        RateLimiter limiter = new RateLimiter();
        Policy before = limited("identity", 2, "'minute'", limiter);
        decide(before, "a", null, T0);
        decide(before, "a", null, T0);
        // same definition spelled differently, other tools added: state is kept
        Policy after = Policy.load(q("{'version':'1','default':'allow','tools':{'t':{'limits':[{'counter':'c','window':'60s','max':2,"
                + "'scope':'identity'}]},'u':{'action':'deny'}}}"), limiter);
        assertThat(decide(after, "a", null, T0 + 1)).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(limiter.trackedKeys()).isEqualTo(1);
    }

    @Test
    void countersResetWhenTheDefinitionChanges() throws Exception {
        RateLimiter limiter = new RateLimiter();
        Policy before = limited("identity", 2, "'minute'", limiter);
        decide(before, "a", null, T0);
        decide(before, "a", null, T0);
        assertThat(decide(limited("identity", 3, "'minute'", limiter), "a", null, T0 + 1)).as("max changed").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(limited("identity", 2, "'hour'", limiter), "a", null, T0 + 1)).as("window changed").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(limited("session", 2, "'minute'", limiter), "a", null, T0 + 1)).as("scope changed").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(limited("identity", 2, "'minute'", limiter), "a", null, T0 + 1)).as("back to the original").isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void whenFullOnlyKeysIdleForTheirWindowAreEvictedAndNewKeysAreOtherwiseRefused() throws Exception {
        RateLimiter limiter = new RateLimiter(2);
        Policy p = limited("identity", 1, "'minute'", limiter);
        assertThat(decide(p, "a", null, T0)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "b", null, T0 + 1000)).isEqualTo(Verdict.ALLOWED);
        Decision refused = p.decide(new ToolCall("t", null, "c", null), T0 + 2000);
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.reason()).contains("maximum number of keys");
        assertThat(refused.retryAfterSeconds()).isEqualTo(58);
        assertThat(limiter.trackedKeys()).isEqualTo(2);
        // "a" is idle for a full window first: it is evicted, "b" is kept
        assertThat(decide(p, "c", null, T0 + 60_000)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "b", null, T0 + 60_500)).as("b's admission is still inside its window").isEqualTo(Verdict.RATE_LIMITED);
        assertThat(limiter.trackedKeys()).isLessThanOrEqualTo(2);
    }

    @Test
    void anEvictedKeyNeverAdmitsACallWithinAWindowOfItsForgottenAdmissions() throws Exception {
        RateLimiter limiter = new RateLimiter(1);
        Policy p = limited("identity", 1, "'minute'", limiter);
        assertThat(decide(p, "a", null, T0 + 50_000)).isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "b", null, T0 + 110_000)).as("evicts a").isEqualTo(Verdict.ALLOWED);
        assertThat(decide(p, "c", null, T0 + 200_000)).as("evicts b").isEqualTo(Verdict.ALLOWED);
        // a call for "a" stamped inside a's old window: "a" was forgotten, so the limiter must refuse rather than guess
        assertThat(decide(p, "a", null, T0 + 100_000)).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void boundMustBePositive() {
        assertThatThrownBy(() -> new RateLimiter(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxTrackedKeys must be at least 1, got 0");
    }

    @Test
    void identitiesAreNeverConfusedWithEachOther() throws Exception {
        Policy p = limited("identity", 1, "'minute'", new RateLimiter());
        for (int i = 0; i < 100; i++) {
            assertThat(decide(p, "agent-" + i, null, T0)).isEqualTo(Verdict.ALLOWED);
        }
        assertThat(decide(p, "agent-7", null, T0)).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void decisionCarriesCounterAndRule() throws Exception {
        Policy p = limited("identity", 1, "'minute'", new RateLimiter());
        p.decide(call("t", "{}", "a"), T0);
        Decision d = p.decide(call("t", "{}", "a"), T0 + 1);
        assertThat(d).isEqualTo(new Decision(Verdict.RATE_LIMITED, "t", "tools[\"t\"].limits[0]",
                "rate limit exceeded: counter \"c\" admits 1 call per minute per identity", "c", 60));
    }
}
