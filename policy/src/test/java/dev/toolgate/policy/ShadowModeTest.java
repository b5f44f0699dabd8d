package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.json;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code "enforcement": "audit"}: calls are decided as they would be, the decision says it is not enforced, and limits
 * count in shadow counters that enforced calls never see.
 */
class ShadowModeTest {

    /**
     * 'loud' is audited, 'quiet' enforced; both share the top-level counter 'all' (2 a minute, global) and each has a
     * counter of its own (1 a minute).
     */
    private static String document(String documentEnforcement, String loudEnforcement) {
        return "{'version':'1','default':'deny'" + (documentEnforcement == null ? "" : ",'enforcement':'" + documentEnforcement + "'")
                + ",'limits':[{'counter':'all','window':'minute','max':2,'scope':'global'}],'tools':{"
                + "'loud':{" + (loudEnforcement == null ? "" : "'enforcement':'" + loudEnforcement + "',")
                + "'rate_limit':{'max':1,'window':'minute'}},"
                + "'quiet':{'enforcement':'enforce','rate_limit':{'max':1,'window':'minute'}},"
                + "'gone':{'enforcement':'audit','action':'deny','reason':'not here'},"
                + "'ask':{'enforcement':'audit','action':'require_approval'},"
                + "'typed':{'enforcement':'audit','args':{'type':'object','required':['n']}},"
                + "'big':{'enforcement':'audit','deny_if':[{'conditions':[{'arg':'n','op':'gt','value':10}],'on_deny':'too big'}]}}}";
    }

    private static Policy load(String doc, CounterStore store) throws PolicyException {
        return Policy.load(q(doc), store);
    }

    private static ToolCall call(String tool) {
        return new ToolCall(tool, null, "agent", null);
    }

    @Test
    void refusalsInAuditModeAreTheWouldBeVerdictNotEnforced() throws Exception {
        Policy p = load(document(null, "audit"), new RateLimiter());
        Decision gone = p.decide(call("gone"), T0);
        assertThat(gone.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(gone.reason()).isEqualTo("not here");
        assertThat(gone.enforced()).isFalse();
        assertThat(gone.shadowed()).isTrue();
        assertThat(gone.proceeds()).isTrue();
        assertThat(gone.enforcement()).isEqualTo("audit");
        assertThat(p.decide(call("ask"), T0)).satisfies(d -> {
            assertThat(d.verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
            assertThat(d.approval()).isEqualTo(ApprovalTerms.DEFAULT);
            assertThat(d.proceeds()).isTrue();
        });
        assertThat(p.decide(new ToolCall("typed", json("{}"), "agent", null), T0).verdict()).isEqualTo(Verdict.INVALID_ARGUMENTS);
        assertThat(p.decide(new ToolCall("big", json("{\"n\":11}"), "agent", null), T0)).satisfies(d -> {
            assertThat(d.verdict()).isEqualTo(Verdict.DENIED);
            assertThat(d.rule()).isEqualTo("tools[\"big\"].deny_if[0]");
            assertThat(d.shadowed()).isTrue();
        });
        // would-be allowed is audited too, and an unlisted tool under the enforced default is denied for real
        assertThat(p.decide(new ToolCall("big", json("{\"n\":1}"), "agent", null), T0)).satisfies(d -> {
            assertThat(d.allowed()).isTrue();
            assertThat(d.enforced()).isFalse();
            assertThat(d.shadowed()).isFalse();
        });
        assertThat(p.decide(call("unlisted"), T0)).satisfies(d -> {
            assertThat(d.verdict()).isEqualTo(Verdict.DENIED);
            assertThat(d.enforced()).isTrue();
            assertThat(d.proceeds()).isFalse();
        });
    }

    @Test
    void theDocumentsEnforcementAppliesToItsDefaultAndEntriesWithoutTheirOwnAndAToolsOwnWins() throws Exception {
        Policy p = load(document("audit", null), new RateLimiter());
        assertThat(p.audit()).isTrue();
        assertThat(p.decide(call("unlisted"), T0)).satisfies(d -> {
            assertThat(d.verdict()).isEqualTo(Verdict.DENIED);
            assertThat(d.rule()).isEqualTo("default");
            assertThat(d.enforced()).isFalse();
        });
        assertThat(p.decide(call("loud"), T0).enforced()).isFalse();
        assertThat(p.decide(call("quiet"), T0).enforced()).isTrue();
        assertThat(load(document("enforce", "audit"), new RateLimiter()).decide(call("loud"), T0).enforced()).isFalse();
        assertThat(load(document(null, null), new RateLimiter()).decide(call("loud"), T0).enforced()).isTrue();
        Policy allowByDefault = load("{'version':'1','default':'allow','enforcement':'audit'}", new RateLimiter());
        assertThat(allowByDefault.decide(call("x"), T0)).satisfies(d -> {
            assertThat(d.allowed()).isTrue();
            assertThat(d.enforced()).isFalse();
        });
    }

    @Test
    void aShadowedCallOverTheLimitIsReportedRateLimitedAndEnforcedCallsOfAnotherToolAreUnaffected() throws Exception {
        Policy p = load(document(null, "audit"), new RateLimiter());
        assertThat(p.decide(call("loud"), T0).allowed()).isTrue();
        Decision over = p.decide(call("loud"), T0 + 1);
        assertThat(over.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(over.rule()).isEqualTo("tools[\"loud\"].rate_limit");
        assertThat(over.counter()).isEqualTo("tools[\"loud\"].rate_limit");
        assertThat(over.retryAfterSeconds()).isEqualTo(60);
        assertThat(over.enforced()).isFalse();
        assertThat(over.proceeds()).isTrue();
        // the audited calls went to the shadow of 'all': the enforced tool still has both of its units
        assertThat(p.decide(call("quiet"), T0 + 2).allowed()).isTrue();
        Decision quietOver = p.decide(call("quiet"), T0 + 3);
        assertThat(quietOver.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(quietOver.counter()).isEqualTo("tools[\"quiet\"].rate_limit");
        assertThat(quietOver.enforced()).isTrue();
    }

    @Test
    void shadowCountsAreKeptApartSoSwitchingAToolToEnforceStartsItsRealCountersFresh() throws Exception {
        RateLimiter store = new RateLimiter();
        Policy audit = load(document(null, "audit"), store);
        audit.decide(call("loud"), T0);
        assertThat(audit.decide(call("loud"), T0 + 1).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        // the same counters, now enforced: the shadow history does not count, so enforcement does not refuse at once
        Policy enforce = load(document(null, "enforce"), store);
        assertThat(enforce.decide(call("loud"), T0 + 2)).satisfies(d -> {
            assertThat(d.allowed()).isTrue();
            assertThat(d.enforced()).isTrue();
        });
        assertThat(enforce.decide(call("loud"), T0 + 3).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        // and back in audit mode, the shadow counters continue where they were
        assertThat(load(document(null, "audit"), store).decide(call("loud"), T0 + 4).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(new LimitDefinition("c", 60_000, 1, Scope.GLOBAL).asShadow())
                .isNotEqualTo(new LimitDefinition("c", 60_000, 1, Scope.GLOBAL))
                .isEqualTo(new LimitDefinition("c", 60_000, 1, Scope.GLOBAL, true));
    }

    @Test
    void aBatchWhoseOnlyRefusalsAreShadowedConsumesTheEnforcedCountersOfItsCalls() throws Exception {
        Policy p = load(document(null, "audit"), new RateLimiter());
        List<Decision> batch = p.decideAll(List.of(call("quiet"), call("gone"), call("loud")), T0);
        assertThat(batch).extracting(Decision::verdict).containsExactly(Verdict.ALLOWED, Verdict.DENIED, Verdict.ALLOWED);
        assertThat(batch).allMatch(Decision::proceeds);
        assertThat(batch).extracting(Decision::enforced).containsExactly(true, false, false);
        // forwarded, so 'quiet' consumed its unit; the would-be denial of 'gone' kept the shadow calls from counting
        assertThat(p.decide(call("quiet"), T0 + 1).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(p.decide(call("loud"), T0 + 2).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("loud"), T0 + 3).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aShadowCallOverItsLimitNeverHoldsBackAnEnforcedSibling() throws Exception {
        Policy p = load(document(null, "audit"), new RateLimiter());
        p.decide(call("loud"), T0);
        List<Decision> batch = p.decideAll(List.of(call("loud"), call("quiet")), T0 + 1);
        assertThat(batch).extracting(Decision::verdict).containsExactly(Verdict.RATE_LIMITED, Verdict.ALLOWED);
        assertThat(batch).allMatch(Decision::proceeds);
        assertThat(p.decide(call("quiet"), T0 + 2).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void anEnforcedRefusalRefusesTheBatchAndNothingCountsNotEvenInTheShadow() throws Exception {
        Policy p = load(document(null, "audit"), new RateLimiter());
        List<Decision> batch = p.decideAll(List.of(call("loud"), call("unlisted")), T0);
        assertThat(batch).extracting(Decision::verdict).containsExactly(Verdict.ALLOWED, Verdict.DENIED);
        assertThat(batch.get(1).proceeds()).isFalse();
        assertThat(p.decide(call("loud"), T0 + 1).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void theTwoPhasesAcquireEnforcedAndShadowCountersApart() throws Exception {
        RateLimiter store = new RateLimiter();
        Policy p = load(document(null, "audit"), store);
        Evaluation e = p.evaluate(List.of(call("quiet"), call("loud")));
        assertThat(e.hasShadowDemands()).isTrue();
        assertThat(e.demands().get(0).counters()).hasSize(2);
        assertThat(e.demands().get(1).counters()).isEmpty();
        assertThat(e.shadowDemands().get(0).counters()).isEmpty();
        assertThat(e.shadowDemands().get(1).counters()).hasSize(2);
        assertThatThrownBy(() -> e.complete(List.of(Admission.admitted(), Admission.admitted())))
                .isInstanceOf(IllegalStateException.class);
        List<Decision> decided = e.decide(store, T0).toCompletableFuture().join();
        assertThat(decided).extracting(Decision::verdict).containsExactly(Verdict.ALLOWED, Verdict.ALLOWED);
        assertThat(decided).extracting(Decision::enforced).containsExactly(true, false);
        assertThat(p.evaluate(List.of(call("quiet"))).hasShadowDemands()).isFalse();
    }

    @Test
    void toolsInAuditModeAreNeverHidden() throws Exception {
        Policy p = load(document(null, "audit"), new RateLimiter());
        assertThat(p.neverCallable("gone")).isFalse();
        assertThat(p.neverCallable("unlisted")).isTrue();
        assertThat(load(document("audit", null), new RateLimiter()).neverCallable("unlisted")).isFalse();
        Policy enforced = load("{'version':'1','default':'deny','tools':{'gone':{'action':'deny'}}}", new RateLimiter());
        assertThat(enforced.neverCallable("gone")).isTrue();
    }

    @Test
    void enforcementIsValidatedWithItsPath() {
        assertThat(PolicyTestSupport.errorsOf("{'version':'1','default':'deny','enforcement':'dryrun',"
                + "'tools':{'t':{'enforcement':true}},'grants':[{'name':'g','callers':{'subjects':['a']},'tools':{'u':{'enforcement':'Audit'}}}]}"))
                .extracting(PolicyError::toString).containsExactly(
                        "enforcement: expected \"enforce\" (refusals are carried out) or \"audit\" (calls are decided, counted and audited "
                                + "as they would be, but forwarded), got \"dryrun\"",
                        "tools[\"t\"].enforcement: expected \"enforce\" (refusals are carried out) or \"audit\" (calls are decided, counted "
                                + "and audited as they would be, but forwarded), got true",
                        "grants[0].tools[\"u\"].enforcement: expected \"enforce\" (refusals are carried out) or \"audit\" (calls are decided, "
                                + "counted and audited as they would be, but forwarded), got \"Audit\"");
    }

    @Test
    void aGrantsEntryInAuditModeDecidesInAuditMode() throws Exception {
        Policy p = load("{'version':'1','default':'deny','tools':{'t':{}},'grants':[{'name':'ops','callers':{'subjects':['ops']},"
                + "'tools':{'t':{'enforcement':'audit','action':'deny'}}}]}", new RateLimiter());
        assertThat(p.decide(new ToolCall("t", null, "ops", null), T0)).satisfies(d -> {
            assertThat(d.verdict()).isEqualTo(Verdict.DENIED);
            assertThat(d.grant()).isEqualTo("ops");
            assertThat(d.proceeds()).isTrue();
        });
        assertThat(p.decide(new ToolCall("t", null, "other", null), T0).enforced()).isTrue();
    }

    @Test
    void theMcpPolicySpellingIsTheSameName() throws Exception {
        PolicyDocument document = PolicySpec.parse(json("{\"default\":\"deny\",\"enforcement\":\"audit\",\"tools\":{\"t\":{\"enforcement\":\"enforce\"}}}"));
        assertThat(document.canonicalJson()).contains("\"enforcement\":\"audit\"", "\"t\":{\"enforcement\":\"enforce\"}");
        assertThatThrownBy(() -> PolicySpec.parse(json("{\"default\":\"deny\",\"tools\":{\"t\":{\"enforcement\":\"off\"}}}")))
                .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errors()).extracting(PolicyError::path)
                        .containsExactly("spec.tools[\"t\"].enforcement"));
    }
}
