package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.policy;
import static org.assertj.core.api.Assertions.assertThat;

/** Grants: who may call what, first match in document order, then the document's own tools and default. */
class GrantsTest {

    static final String BILLING_BOT = "system:serviceaccount:shop:billing-bot";

    /**
     * Issue 15's example: read tools for everyone; update_customer only for the billing bot (and CI's service accounts),
     * 30 a minute per agent; update_amount for the finance group with approval, and for nobody else.
     */
    static final String SHOP = "{'version':'1','default':'deny','hide_denied_tools':true,"
            + "'tools':{'get_*':{},'list_*':{}},"
            + "'grants':["
            + "{'name':'billing-bot','callers':{'subjects':['" + BILLING_BOT + "','system:serviceaccount:ci:*']},"
            + "'tools':{'update_customer':{'limits':[{'counter':'update_customer_rate','window':'minute','max':30,'scope':'grant'}]}}},"
            + "{'name':'finance','callers':{'groups':['finance']},"
            + "'tools':{'update_amount':{'action':'require_approval','reason':'Amounts need a human.'}}}]}";

    static Caller serviceAccount(String subject) {
        return new Caller(subject, Set.of(), Caller.Source.SERVICE_ACCOUNT);
    }

    static Caller jwt(String subject, String... groups) {
        return new Caller(subject, Set.of(groups), Caller.Source.JWT);
    }

    private static ToolCall call(String tool, Caller caller) {
        return new ToolCall(tool, null, caller, null);
    }

    @Test
    void readToolsAreForEveryoneAndDecidedByTheDocumentsOwnEntries() {
        Policy p = policy(SHOP);
        for (Caller caller : List.of(Caller.anonymous(), Caller.fromHeader("agent-a"), serviceAccount(BILLING_BOT),
                jwt("alice", "finance"))) {
            Decision d = p.decide(call("get_customer", caller), T0);
            assertThat(d.verdict()).as("%s", caller).isEqualTo(Verdict.ALLOWED);
            assertThat(d.rule()).isEqualTo("tools[\"get_*\"]");
            assertThat(d.grant()).isEmpty();
        }
    }

    @Test
    void updateCustomerOnlyForTheBillingBotAndCiServiceAccounts() {
        Policy p = policy(SHOP);
        Decision bot = p.decide(call("update_customer", serviceAccount(BILLING_BOT)), T0);
        assertThat(bot.verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(bot.grant()).isEqualTo("billing-bot");
        assertThat(bot.rule()).isEqualTo("grants[0].tools[\"update_customer\"]");
        assertThat(p.decide(call("update_customer", serviceAccount("system:serviceaccount:ci:deployer")), T0).grant())
                .isEqualTo("billing-bot");

        for (Caller other : List.of(Caller.anonymous(), serviceAccount("system:serviceaccount:shop:web"),
                Caller.fromHeader("billing-bot"), jwt("alice", "finance"),
                // a subject that merely starts like a matching one, or carries the glob character itself
                serviceAccount(BILLING_BOT + "-2"), serviceAccount("system:serviceaccount:shop:*"))) {
            Decision d = p.decide(call("update_customer", other), T0);
            assertThat(d.verdict()).as("%s", other).isEqualTo(Verdict.DENIED);
            assertThat(d.rule()).isEqualTo("default");
            assertThat(d.grant()).isEmpty();
        }
    }

    @Test
    void aTokenFromAnotherIssuerNamingAServiceAccountMatchesNoServiceAccountPattern() {
        Policy p = policy(SHOP);
        assertThat(p.decide(call("update_customer", jwt(BILLING_BOT)), T0).verdict()).isEqualTo(Verdict.DENIED);
        assertThat(p.decide(call("update_customer", jwt("system:serviceaccount:ci:x")), T0).verdict()).isEqualTo(Verdict.DENIED);
        // the identity header is trusted as sent where it is the configured source, service-account names included
        assertThat(p.decide(call("update_customer", Caller.fromHeader(BILLING_BOT)), T0).grant()).isEqualTo("billing-bot");
    }

    @Test
    void updateCustomerAdmitsThirtyAMinutePerAgentUnderTheGrant() {
        Policy p = policy(SHOP);
        Caller bot = serviceAccount(BILLING_BOT);
        for (int i = 0; i < 30; i++) {
            assertThat(p.decide(call("update_customer", bot), T0 + i).verdict()).isEqualTo(Verdict.ALLOWED);
        }
        Decision limited = p.decide(call("update_customer", bot), T0 + 30);
        assertThat(limited.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(limited.grant()).isEqualTo("billing-bot");
        assertThat(limited.rule()).isEqualTo("grants[0].tools[\"update_customer\"].limits[0]");
        assertThat(limited.counter()).isEqualTo("update_customer_rate");
        assertThat(limited.reason()).isEqualTo("rate limit exceeded: counter \"update_customer_rate\" admits 30 calls per minute per grant");
        // another agent of the same grant has its own 30
        assertThat(p.decide(call("update_customer", serviceAccount("system:serviceaccount:ci:deployer")), T0 + 31).verdict())
                .isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("update_customer", bot), T0 + 60_000).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void updateAmountForTheFinanceGroupWithApprovalAndForNobodyElse() {
        Policy p = policy(SHOP);
        Decision finance = p.decide(call("update_amount", jwt("alice", "staff", "finance")), T0);
        assertThat(finance.verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(finance.reason()).isEqualTo("Amounts need a human.");
        assertThat(finance.grant()).isEqualTo("finance");
        assertThat(finance.rule()).isEqualTo("grants[1].tools[\"update_amount\"]");
        for (Caller other : List.of(jwt("bob", "finance-ops", "Finance"), jwt("finance"), serviceAccount(BILLING_BOT),
                Caller.fromHeader("finance"), Caller.anonymous())) {
            Decision d = p.decide(call("update_amount", other), T0);
            assertThat(d.verdict()).as("%s", other).isEqualTo(Verdict.DENIED);
            assertThat(d.grant()).isEmpty();
        }
    }

    @Test
    void theFirstGrantWithAnEntryForTheToolDecidesAndGrantsDoNotMerge() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'update_*':{'action':'deny','reason':'no writes'}},'grants':["
                + "{'name':'writers','callers':{'groups':['writers']},'tools':{'update_customer':{}}},"
                + "{'name':'auditors','callers':{'groups':['auditors']},'tools':{'update_customer':{'action':'deny','reason':'read only'},"
                + "'update_amount':{}}}]}");
        Caller both = jwt("carol", "auditors", "writers");
        // writers comes first and has an entry for update_customer: its allow decides, auditors' deny is never consulted
        Decision d = p.decide(call("update_customer", both), T0);
        assertThat(d.verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(d.grant()).isEqualTo("writers");
        // writers has no entry for update_amount: the next matching grant decides
        assertThat(p.decide(call("update_amount", both), T0).grant()).isEqualTo("auditors");
        Decision auditor = p.decide(call("update_customer", jwt("dan", "auditors")), T0);
        assertThat(auditor.reason()).isEqualTo("read only");
        assertThat(auditor.grant()).isEqualTo("auditors");
        // a grant entry beats the document's own entry for its callers; everyone else meets the document's deny
        Decision other = p.decide(call("update_customer", jwt("eve")), T0);
        assertThat(other.reason()).isEqualTo("no writes");
        assertThat(other.rule()).isEqualTo("tools[\"update_*\"]");
        assertThat(other.grant()).isEmpty();
    }

    @Test
    void withinAGrantAnExactNameBeatsAGlobAndMoreLiteralCharactersWin() {
        Policy p = policy("{'version':'1','default':'deny','grants':[{'name':'ops','callers':{'subjects':['ops-*']},"
                + "'tools':{'*':{'action':'deny'},'delete_*':{'action':'require_approval'},'delete_cache':{}}}]}");
        Caller ops = Caller.fromHeader("ops-1");
        assertThat(p.decide(call("delete_cache", ops), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("delete_db", ops), T0).verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        Decision other = p.decide(call("restart", ops), T0);
        assertThat(other.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(other.rule()).isEqualTo("grants[0].tools[\"*\"]");
    }

    @Test
    void aStarSubjectMatchesEveryIdentifiedCallerButNeverAnAnonymousOne() {
        Policy p = policy("{'version':'1','default':'deny','grants':[{'name':'identified','callers':{'subjects':['*']},"
                + "'tools':{'search':{}}}]}");
        assertThat(p.decide(call("search", Caller.fromHeader("x")), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("search", jwt("")), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("search", serviceAccount("system:serviceaccount:a:b")), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("search", Caller.anonymous()), T0).verdict()).isEqualTo(Verdict.DENIED);
        assertThat(p.decide(new ToolCall("search", null, (Caller) null, null), T0).verdict()).isEqualTo(Verdict.DENIED);
        assertThat(p.decide(call("search", new Caller("someone", Set.of("g"), Caller.Source.ANONYMOUS)), T0).verdict())
                .isEqualTo(Verdict.DENIED);
    }

    @Test
    void hideDeniedToolsHidesPerCallerWhatThatCallerCouldNeverCall() {
        Policy p = policy(SHOP);
        Caller bot = serviceAccount(BILLING_BOT);
        Caller finance = jwt("alice", "finance");
        assertThat(p.neverCallable("update_customer", bot)).isFalse();
        assertThat(p.neverCallable("update_customer", finance)).isTrue();
        assertThat(p.neverCallable("update_customer", Caller.anonymous())).isTrue();
        // approval may be given: visible to its grant's callers
        assertThat(p.neverCallable("update_amount", finance)).isFalse();
        assertThat(p.neverCallable("update_amount", bot)).isTrue();
        assertThat(p.neverCallable("get_customer", bot)).isFalse();
        assertThat(p.neverCallable("delete_customer", bot)).isTrue();
        // without a caller: what a caller no grant matches sees
        assertThat(p.neverCallable("update_customer")).isTrue();
        assertThat(p.neverCallable("get_customer")).isFalse();
        assertThat(p.neverCallable("update_customer", null)).isTrue();
    }

    @Test
    void aGrantEntryThatDeniesHidesTheToolFromItsCallersEvenWhereTheDocumentAllowsIt() {
        Policy p = policy("{'version':'1','default':'allow','grants':[{'name':'interns','callers':{'groups':['interns']},"
                + "'tools':{'drop_*':{'action':'deny'},'reset':{'deny_if':[{'conditions':[]}]}}}]}");
        Caller intern = jwt("ivy", "interns");
        assertThat(p.neverCallable("drop_table", intern)).isTrue();
        assertThat(p.neverCallable("reset", intern)).isTrue();
        assertThat(p.neverCallable("drop_table", jwt("olga"))).isFalse();
        Decision d = p.decide(call("reset", intern), T0);
        assertThat(d.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(d.rule()).isEqualTo("grants[0].tools[\"reset\"].deny_if[0]");
        assertThat(d.grant()).isEqualTo("interns");
    }

    @Test
    void grantScopeCountsPerGrantAndSubjectWhileIdentityScopeCountsPerSubject() {
        // one counter name, one definition (grant scope, 1 a minute), met under two grants and the document's own entry
        String limit = "'limits':[{'counter':'writes','window':'minute','max':1,'scope':'grant'}]";
        String identityLimit = "'limits':[{'counter':'any','window':'minute','max':2,'scope':'identity'}]";
        Policy p = policy("{'version':'1','default':'deny','tools':{'note':{" + limit + "}},'grants':["
                + "{'name':'a','callers':{'groups':['a']},'tools':{'write_a':{" + limit + "},'both_a':{" + identityLimit + "}}},"
                + "{'name':'b','callers':{'groups':['b']},'tools':{'write_b':{" + limit + "},'both_b':{" + identityLimit + "}}}]}");
        Caller zoe = jwt("zoe", "a", "b");
        assertThat(p.decide(call("write_a", zoe), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("write_a", zoe), T0 + 1).verdict()).isEqualTo(Verdict.RATE_LIMITED);
        // the same subject under another grant: another budget
        assertThat(p.decide(call("write_b", zoe), T0 + 2).verdict()).isEqualTo(Verdict.ALLOWED);
        // and under the document's own entries (grant ""): another again
        assertThat(p.decide(call("note", zoe), T0 + 3).verdict()).isEqualTo(Verdict.ALLOWED);
        // another subject of grant a: its own budget
        assertThat(p.decide(call("write_a", jwt("yan", "a")), T0 + 4).verdict()).isEqualTo(Verdict.ALLOWED);
        // identity scope ignores the grant: zoe's two units are shared by both grants
        assertThat(p.decide(call("both_a", zoe), T0 + 5).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("both_b", zoe), T0 + 6).verdict()).isEqualTo(Verdict.ALLOWED);
        Decision third = p.decide(call("both_a", zoe), T0 + 7);
        assertThat(third.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(third.grant()).isEqualTo("a");
    }

    @Test
    void topLevelLimitsApplyToCallsGrantsDecideAndCountUnderTheDecidingGrant() {
        Policy p = policy("{'version':'1','default':'deny','limits':[{'counter':'all','window':'minute','max':1,'scope':'grant'}],"
                + "'tools':{'read':{}},'grants':[{'name':'w','callers':{'subjects':['w-*']},'tools':{'write':{}}}]}");
        Caller w = Caller.fromHeader("w-1");
        assertThat(p.decide(call("write", w), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        Decision limited = p.decide(call("write", w), T0 + 1);
        assertThat(limited.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(limited.rule()).isEqualTo("limits[0]");
        assertThat(limited.grant()).isEqualTo("w");
        assertThat(p.decide(call("read", w), T0 + 2).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void evaluateGivesEachDemandItsDecidingGrantAndCompleteDecidesAsDecideAll() {
        InMemoryCounterStore store = new InMemoryCounterStore();
        Policy p = Policy.compile(PolicyDocumentTestAccess.parse(SHOP), store);
        List<ToolCall> calls = List.of(call("update_customer", serviceAccount(BILLING_BOT)), call("get_customer", Caller.anonymous()));
        Evaluation e = p.evaluate(calls);
        assertThat(e.demands()).extracting(Demand::grant).containsExactly("billing-bot", "");
        assertThat(e.demands().get(0).scopeKey(Scope.GRANT)).isEqualTo("11:billing-bot" + BILLING_BOT);
        List<Decision> decisions = e.complete(store.acquire(e.demands(), T0, e.mayConsume()).toCompletableFuture().join());
        assertThat(decisions).extracting(Decision::grant).containsExactly("billing-bot", "");
        assertThat(policy(SHOP).decideAll(calls, T0)).isEqualTo(decisions);
    }

    @Test
    void theExactToolNamesOfGrantsBoundMetricLabelsToo() {
        assertThat(policy(SHOP).exactToolNames()).containsExactly("update_customer", "update_amount");
        assertThat(policy(SHOP).grantNames()).containsExactly("billing-bot", "finance");
    }

    /** Parses with the test's quote convention. */
    static final class PolicyDocumentTestAccess {
        static PolicyDocument parse(String singleQuoted) {
            try {
                return PolicyDocument.parse(PolicyTestSupport.q(singleQuoted));
            } catch (PolicyException e) {
                throw new AssertionError(e.errors().toString(), e);
            }
        }
    }
}
