package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.call;
import static dev.toolgate.policy.PolicyTestSupport.errorsOf;
import static dev.toolgate.policy.PolicyTestSupport.policy;
import static org.assertj.core.api.Assertions.assertThat;

/** An entry's {@code approval} settings, and a call a human approved going on to its limits. */
class ApprovalTermsTest {

    @Test
    void approvalRequiredCarriesTheEntrysTermsOrTheDefaults() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'wire':{'action':'require_approval'},"
                + "'refund':{'action':'require_approval','approval':{'mode':'retry','expires_after':'15m','arguments':'digest'},"
                + "'deny_if':[{'conditions':[{'arg':'amount','op':'gt','value':100}]}]}}}");
        assertThat(p.decide(call("wire", "{}", "x"), T0).approval()).isEqualTo(ApprovalTerms.DEFAULT);
        assertThat(p.decide(call("refund", "{'amount':101}", "x"), T0).approval())
                .isEqualTo(new ApprovalTerms("retry", 900_000L, false));
        assertThat(p.decide(call("refund", "{'amount':5}", "x"), T0).approval()).as("allowed: no approval asked").isNull();
    }

    @Test
    void anApprovedCallGoesOnToItsLimitsButNotPastItsArguments() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'wire':{'action':'require_approval',"
                + "'args':{'required':['amount']},'rate_limit':{'max':1,'window':'minute','scope':'global'}}}}");
        ToolCall wire = call("wire", "{'amount':1}", "x");
        assertThat(p.decide(wire, T0).verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(p.decide(wire.approve(), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(wire.approve(), T0 + 1).verdict()).as("limits still apply").isEqualTo(Verdict.RATE_LIMITED);
        assertThat(p.decide(call("wire", "{}", "x").approve(), T0).verdict()).isEqualTo(Verdict.INVALID_ARGUMENTS);
    }

    @Test
    void approvalOnlyOnAnEntryThatRequiresItAndOnlyValidSettings() {
        assertThat(errorsOf("{'version':'1','default':'deny','tools':{'t':{'approval':{}}}}")).extracting(PolicyError::toString)
                .containsExactly("tools[\"t\"].approval: approval settings apply only to an entry with \"action\": \"require_approval\"");
        assertThat(errorsOf("{'version':'1','default':'deny','tools':{'t':{'action':'require_approval','approval':{'mode':'wait','expires_after':'1 hour',"
                + "'arguments':'hide','wait':1}}}}")).extracting(PolicyError::toString).containsExactlyInAnyOrder(
                "tools[\"t\"].approval.wait: unknown field \"wait\"; expected one of mode, expires_after, arguments, hold_for",
                "tools[\"t\"].approval.mode: expected \"retry\" (the agent is answered at once and retries the same call once a human approved it), "
                        + "\"hold\" (the request waits for the decision, up to hold_for) or \"elicit\" (2026-07-28 clients that take form "
                        + "elicitation are answered \"input required\" and re-send the call; others as in retry mode), got \"wait\"",
                "tools[\"t\"].approval.expires_after: invalid expires_after \"1 hour\"; " + Windows.EXPECTED,
                "tools[\"t\"].approval.arguments: expected \"show\" (the approver sees the arguments) or \"digest\" (only their SHA-256, for sensitive arguments), got \"hide\"");
    }

    @Test
    void holdModeWaitsUpToHoldForTwoMinutesByDefaultAndAtMostTen() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'wire':{'action':'require_approval','approval':{'mode':'hold'}},"
                + "'refund':{'action':'require_approval','approval':{'mode':'hold','hold_for':'30s','expires_after':'15m'}}}}");
        ApprovalTerms wire = p.decide(call("wire", "{}", "x"), T0).approval();
        assertThat(wire).isEqualTo(new ApprovalTerms("hold", 3_600_000L, true, 120_000L));
        assertThat(wire.holds()).isTrue();
        assertThat(p.decide(call("refund", "{}", "x"), T0).approval()).isEqualTo(new ApprovalTerms("hold", 900_000L, true, 30_000L));
        assertThat(ApprovalTerms.DEFAULT.holds()).isFalse();
        assertThat(ApprovalTerms.DEFAULT.holdForMillis()).isZero();
        assertThat(errorsOf("{'version':'1','default':'deny','tools':{'a':{'action':'require_approval','approval':{'mode':'hold','hold_for':'11m'}},"
                + "'b':{'action':'require_approval','approval':{'hold_for':'1m'}},"
                + "'c':{'action':'require_approval','approval':{'mode':'hold','hold_for':'soon'}}}}")).extracting(PolicyError::toString)
                .containsExactlyInAnyOrder(
                        "tools[\"a\"].approval.hold_for: hold_for must be at most 10m (a held request keeps the agent waiting on an open "
                                + "connection; use retry mode for longer waits), got \"11m\"",
                        "tools[\"b\"].approval.hold_for: hold_for applies only to \"mode\": \"hold\" (in retry mode the agent is answered at once)",
                        "tools[\"c\"].approval.hold_for: invalid hold_for \"soon\"; " + Windows.EXPECTED);
    }

    @Test
    void elicitModeHoldsNothingAndRefusesHoldFor() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'wire':{'action':'require_approval','approval':{'mode':'elicit','expires_after':'10m'}}}}");
        ApprovalTerms wire = p.decide(call("wire", "{}", "x"), T0).approval();
        assertThat(wire).isEqualTo(new ApprovalTerms("elicit", 600_000L, true, 0L));
        assertThat(wire.elicits()).isTrue();
        assertThat(wire.holds()).isFalse();
        assertThat(ApprovalTerms.DEFAULT.elicits()).isFalse();
        assertThat(errorsOf("{'version':'1','default':'deny','tools':{'a':{'action':'require_approval','approval':{'mode':'elicit','hold_for':'1m'}},"
                + "'b':{'action':'require_approval','approval':{'mode':'ELICIT'}}}}")).extracting(PolicyError::toString)
                .containsExactlyInAnyOrder(
                        "tools[\"a\"].approval.hold_for: hold_for applies only to \"mode\": \"hold\" (in elicit mode nothing is held: the client "
                                + "is answered \"input required\" at once and re-sends the call)",
                        "tools[\"b\"].approval.mode: expected \"retry\" (the agent is answered at once and retries the same call once a human "
                                + "approved it), \"hold\" (the request waits for the decision, up to hold_for) or \"elicit\" (2026-07-28 clients that "
                                + "take form elicitation are answered \"input required\" and re-send the call; others as in retry mode), got \"ELICIT\"");
    }

    @Test
    void theMcpPolicySpellingRendersToTheDocumentsApprovalObject() throws Exception {
        var spec = PolicyTestSupport.json(PolicyTestSupport.q("{'default':'deny','tools':{'update_amount':{'action':'require_approval',"
                + "'approval':{'mode':'retry','expiresAfter':'30m','arguments':'digest'}}}}"));
        assertThat(PolicySpec.render(spec).document().path("tools").path("update_amount").path("approval").toString())
                .isEqualTo("{\"mode\":\"retry\",\"expires_after\":\"30m\",\"arguments\":\"digest\"}");
        assertThat(PolicySpec.parse(spec).toJson().toString()).contains("\"expires_after\":\"30m\"");
        var typo = PolicyTestSupport.json(PolicyTestSupport.q("{'default':'deny','tools':{'t':{'action':'require_approval','approval':{'expires_after':'1h'}}}}"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PolicySpec.parse(typo)).isInstanceOfSatisfying(PolicyException.class,
                e -> assertThat(e.errors()).extracting(PolicyError::toString).containsExactly(
                        "spec.tools[\"t\"].approval.expires_after: unknown field \"expires_after\"; expected one of mode, expiresAfter, arguments, holdFor"));
        var hold = PolicyTestSupport.json(PolicyTestSupport.q("{'default':'deny','tools':{'t':{'action':'require_approval','approval':{'mode':'hold','holdFor':'45s'}}}}"));
        assertThat(PolicySpec.render(hold).document().path("tools").path("t").path("approval").toString())
                .isEqualTo("{\"mode\":\"hold\",\"hold_for\":\"45s\"}");
        var elicit = PolicyTestSupport.json(PolicyTestSupport.q("{'default':'deny','tools':{'t':{'action':'require_approval','approval':{'mode':'elicit','expiresAfter':'5m'}}}}"));
        assertThat(PolicySpec.render(elicit).document().path("tools").path("t").path("approval").toString())
                .isEqualTo("{\"mode\":\"elicit\",\"expires_after\":\"5m\"}");
        var elicitHeld = PolicyTestSupport.json(PolicyTestSupport.q("{'default':'deny','tools':{'t':{'action':'require_approval','approval':{'mode':'elicit','holdFor':'1m'}}}}"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PolicySpec.parse(elicitHeld)).isInstanceOfSatisfying(PolicyException.class,
                e -> assertThat(e.errors()).extracting(PolicyError::toString).singleElement().asString()
                        .startsWith("spec.tools[\"t\"].approval.holdFor: hold_for applies only to \"mode\": \"hold\" (in elicit mode"));
        var tooLong = PolicyTestSupport.json(PolicyTestSupport.q("{'default':'deny','tools':{'t':{'action':'require_approval','approval':{'mode':'hold','holdFor':'1h'}}}}"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PolicySpec.parse(tooLong)).isInstanceOfSatisfying(PolicyException.class,
                e -> assertThat(e.errors()).extracting(PolicyError::toString).singleElement().asString()
                        .startsWith("spec.tools[\"t\"].approval.holdFor: hold_for must be at most 10m"));
    }
}
