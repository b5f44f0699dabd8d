package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.json;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Layering: a document's {@code baselines} (cluster and namespace policies) decide every call too, and can only
 * tighten: a deny anywhere wins, every layer's limits count (all or nothing), the strongest refusal is the answer.
 */
class BaselinesTest {

    /** The server's own policy: everything allowed, 'update_customer' 3 a minute per identity (counter 'writes'). */
    private static final String SERVER = "'version':'1','default':'allow','tools':{"
            + "'update_customer':{'limits':[{'counter':'writes','window':'minute','max':3,'scope':'identity'}]},"
            + "'delete_customer':{},'refund':{'action':'require_approval'},'list_customers':{}}";

    /** A cluster baseline: no deletes, refunds need approval, and its own counter 'writes' (2 a minute, per identity). */
    private static final String CLUSTER = "{'source':'McpClusterPolicy/org','policy':{'version':'1','default':'allow','tools':{"
            + "'delete_*':{'action':'deny','reason':'deletes are not allowed in this cluster'},"
            + "'update_*':{'limits':[{'counter':'writes','window':'minute','max':2,'scope':'identity'}]}}}}";

    /** A namespace baseline: arguments checked, and 'refund' denied above 100. */
    private static final String NAMESPACE = "{'source':'McpNamespacePolicy/shop/strict','policy':{'version':'1','default':'allow','tools':{"
            + "'refund':{'deny_if':[{'conditions':[{'arg':'amount','op':'gt','value':100}],'on_deny':'refunds above 100 need finance'}]},"
            + "'update_customer':{'args':{'type':'object','required':['id']}}}}}";

    private static Policy layered(String... baselines) throws PolicyException {
        return Policy.load(q("{" + SERVER + ",'baselines':[" + String.join(",", baselines) + "]}"), new RateLimiter());
    }

    private static ToolCall call(String tool, String args, String who) {
        return new ToolCall(tool, args == null ? null : json(q(args)), who, null);
    }

    @Test
    void aDenyInABaselineWinsOverTheServersAllowAndNamesTheBaseline() throws Exception {
        Policy p = layered(CLUSTER);
        Decision d = p.decide(call("delete_customer", null, "a"), T0);
        assertThat(d.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(d.rule()).isEqualTo("McpClusterPolicy/org:tools[\"delete_*\"]");
        assertThat(d.reason()).isEqualTo("deletes are not allowed in this cluster (baseline McpClusterPolicy/org)");
        assertThat(p.decide(call("list_customers", null, "a"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.neverCallable("delete_customer")).isTrue();
        assertThat(p.neverCallable("list_customers")).isFalse();
        assertThat(p.baselineSources()).containsExactly("McpClusterPolicy/org");
    }

    @Test
    void withoutBaselinesTheSameDocumentDecidesAsBefore() throws Exception {
        Policy p = Policy.load(q("{" + SERVER + "}"), new RateLimiter());
        assertThat(p.decide(call("delete_customer", null, "a"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.baselineSources()).isEmpty();
    }

    @Test
    void theStrictestLimitBindsAndCountersOfTheSameNameStayApart() throws Exception {
        Policy p = layered(CLUSTER);
        // the baseline's 'writes' admits 2, the server's 3: the third call is refused by the baseline
        assertThat(p.decide(call("update_customer", "{'id':1}", "a"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("update_customer", "{'id':1}", "a"), T0 + 1).verdict()).isEqualTo(Verdict.ALLOWED);
        Decision third = p.decide(call("update_customer", "{'id':1}", "a"), T0 + 2);
        assertThat(third.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(third.rule()).isEqualTo("McpClusterPolicy/org:tools[\"update_*\"].limits[0]");
        assertThat(third.reason()).endsWith("(baseline McpClusterPolicy/org)");
        assertThat(third.retryAfterSeconds()).isEqualTo(60);
        // same name 'writes' in both layers, yet each call took one unit of each, not two of one: another identity
        // still gets exactly two
        assertThat(p.decide(call("update_customer", "{'id':1}", "b"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("update_customer", "{'id':1}", "b"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("update_customer", "{'id':1}", "b"), T0).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aCallRefusedByOneLayerConsumesNothingInAnother() throws Exception {
        Policy p = layered(CLUSTER, NAMESPACE);
        // refused by the namespace baseline's args schema: the cluster's and the server's counters are untouched
        for (int i = 0; i < 5; i++) {
            Decision d = p.decide(call("update_customer", "{}", "a"), T0 + i);
            assertThat(d.verdict()).isEqualTo(Verdict.INVALID_ARGUMENTS);
            assertThat(d.rule()).isEqualTo("McpNamespacePolicy/shop/strict:tools[\"update_customer\"].args");
        }
        assertThat(p.decide(call("update_customer", "{'id':1}", "a"), T0 + 10).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("update_customer", "{'id':1}", "a"), T0 + 11).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void theStrongestRefusalAnswersWhateverLayerItComesFrom() throws Exception {
        Policy p = layered(CLUSTER, NAMESPACE);
        // the server (and the cluster) require approval for refund; the namespace denies above 100: the deny wins
        Decision big = p.decide(call("refund", "{'amount':500}", "a"), T0);
        assertThat(big.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(big.reason()).isEqualTo("refunds above 100 need finance (baseline McpNamespacePolicy/shop/strict)");
        Decision small = p.decide(call("refund", "{'amount':5}", "a"), T0);
        assertThat(small.verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(small.rule()).isEqualTo("tools[\"refund\"]");
        // once a human approved the call, every layer lets it through
        assertThat(p.decide(call("refund", "{'amount':5}", "a").approve(), T0).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void aBaselineInAuditModeReportsButNeverRefuses() throws Exception {
        String audit = "{'source':'McpClusterPolicy/trial','policy':{'version':'1','default':'allow','enforcement':'audit','tools':{"
                + "'list_*':{'action':'deny','reason':'would deny listing'},"
                + "'update_*':{'rate_limit':{'max':1,'window':'minute'}}}}}";
        Policy p = layered(audit);
        Decision listed = p.decide(call("list_customers", null, "a"), T0);
        assertThat(listed.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(listed.enforced()).isFalse();
        assertThat(listed.proceeds()).isTrue();
        assertThat(listed.rule()).startsWith("McpClusterPolicy/trial:");
        assertThat(p.neverCallable("list_customers")).isFalse();
        // its shadow counter says 'would be rate limited' on the second call; the server's own limit (3) still enforces
        assertThat(p.decide(call("update_customer", "{'id':1}", "a"), T0).proceeds()).isTrue();
        Decision second = p.decide(call("update_customer", "{'id':1}", "a"), T0);
        assertThat(second.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(second.enforced()).isFalse();
        assertThat(p.decide(call("update_customer", "{'id':1}", "a"), T0).proceeds()).isTrue();
        Decision fourth = p.decide(call("update_customer", "{'id':1}", "a"), T0);
        assertThat(fourth.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(fourth.enforced()).isTrue();
        assertThat(fourth.rule()).isEqualTo("tools[\"update_customer\"].limits[0]");
    }

    @Test
    void aBatchIsAllOrNothingAcrossLayers() throws Exception {
        Policy p = layered(CLUSTER);
        // two updates fit the baseline's 2, a delete in the same batch is denied by it: nothing is consumed
        List<Decision> refused = p.decideAll(List.of(call("update_customer", "{'id':1}", "a"), call("update_customer", "{'id':2}", "a"),
                call("delete_customer", null, "a")), T0);
        assertThat(refused).extracting(Decision::verdict).containsExactly(Verdict.ALLOWED, Verdict.ALLOWED, Verdict.DENIED);
        List<Decision> admitted = p.decideAll(List.of(call("update_customer", "{'id':1}", "a"), call("update_customer", "{'id':2}", "a")), T0);
        assertThat(admitted).extracting(Decision::verdict).containsExactly(Verdict.ALLOWED, Verdict.ALLOWED);
        assertThat(p.decide(call("update_customer", "{'id':3}", "a"), T0).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void anAsynchronousStoreDecidesTheSame() throws Exception {
        Policy p = Policy.load(q("{" + SERVER + ",'baselines':[" + CLUSTER + "]}"), new DeferredCounterStoreTest.DeferredCounterStore());
        Evaluation e = p.evaluate(List.of(call("update_customer", "{'id':1}", "a")));
        assertThat(e.demands()).hasSize(2); // one per layer
        for (int i = 0; i < 2; i++) {
            assertThat(p.evaluate(List.of(call("update_customer", "{'id':1}", "a"))).decide(p.limiter(), T0).toCompletableFuture().join())
                    .extracting(Decision::verdict).containsExactly(Verdict.ALLOWED);
        }
        assertThat(p.evaluate(List.of(call("update_customer", "{'id':1}", "a"))).decide(p.limiter(), T0).toCompletableFuture().join().get(0).rule())
                .startsWith("McpClusterPolicy/org:");
    }

    @Test
    void theHashCoversTheBaselines() throws Exception {
        assertThat(layered(CLUSTER).hash()).isNotEqualTo(layered(NAMESPACE).hash())
                .isNotEqualTo(Policy.load(q("{" + SERVER + "}"), new RateLimiter()).hash());
    }

    @Test
    void whatABaselineMayNotSayIsRefusedWithItsPath() {
        String bad = "{'source':'McpClusterPolicy/bad','policy':{'version':'1','default':'allow','hide_denied_tools':true,"
                + "'grants':[],'tools':{'x':{'pin':'sha256:" + "0".repeat(64) + "'},'y':{'action':'block'}}}}";
        assertThatThrownBy(() -> layered(bad, CLUSTER, "{'source':'McpClusterPolicy/org','policy':{'version':'1','default':'allow'}}", "{'policy':3,'extra':1}"))
                .isInstanceOf(PolicyException.class)
                .satisfies(e -> assertThat(((PolicyException) e).errors()).extracting(PolicyError::toString).contains(
                        "baselines[0].policy.grants: not allowed in a baseline: a baseline applies to every caller alike; per-identity grants"
                                + " belong to the server's McpPolicy",
                        "baselines[0].policy.tools[\"x\"].pin: not allowed in a baseline: a pin names one server's tool definition; pin it"
                                + " in that server's McpPolicy",
                        "baselines[2].source: baseline \"McpClusterPolicy/org\" is listed twice",
                        "baselines[3].extra: unknown field; expected one of source, policy",
                        "baselines[3].policy: expected a policy document (a JSON object), got number"))
                .satisfies(e -> assertThat(((PolicyException) e).errors()).anySatisfy(err -> {
                    assertThat(err.path()).isEqualTo("baselines[0].policy.tools[\"y\"].action");
                }))
                .satisfies(e -> assertThat(((PolicyException) e).errors()).anySatisfy(err ->
                        assertThat(err.path()).isEqualTo("baselines[0].policy.hide_denied_tools")));
    }

    @Test
    void aBaselineSpecIsCheckedOnItsOwnWithSpecPaths() {
        assertThatThrownBy(() -> PolicySpec.parseBaseline(json(q("{'default':'allow','grants':[],'tools':{'x':{'denyIf':[{'conditions':"
                + "[{'arg':'a','op':'gtt','value':1}]}]}}}"))))
                .isInstanceOf(PolicyException.class)
                .satisfies(e -> assertThat(((PolicyException) e).errors()).extracting(PolicyError::path)
                        .contains("spec.grants", "spec.tools[\"x\"].denyIf[0].conditions[0].op"));
    }
}
