package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.call;
import static dev.toolgate.policy.PolicyTestSupport.policy;
import static org.assertj.core.api.Assertions.assertThat;

/** One test per step of POLICY.md's decision order, first match wins. */
class DecisionOrderTest {

    @Test
    void exactNameBeatsAnyGlob() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'get_user':{},'get_*':{'action':'deny'},'*':{'action':'deny'}}}");
        Decision d = p.decide(call("get_user", "{}", "a"), T0);
        assertThat(d.verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(d.rule()).isEqualTo("tools[\"get_user\"]");
    }

    @Test
    void globWithMoreLiteralCharactersWinsWhateverTheDocumentOrder() {
        Policy p = policy("{'version':'1','default':'allow','tools':{'*':{'action':'deny','reason':'catch-all'},"
                + "'get_*':{'action':'deny','reason':'getters'},'get_user_*':{}}}");
        assertThat(p.decide(call("get_user_email", "{}", "a"), T0).rule()).isEqualTo("tools[\"get_user_*\"]");
        assertThat(p.decide(call("get_user_email", "{}", "a"), T0).tool()).isEqualTo("get_user_email");
        assertThat(p.decide(call("get_order", "{}", "a"), T0).reason()).isEqualTo("getters");
        assertThat(p.decide(call("delete", "{}", "a"), T0).reason()).isEqualTo("catch-all");
        assertThat(p.toolGlobs()).containsExactly("get_user_*", "get_*", "*");
    }

    @Test
    void globStarMatchesAnyRunIncludingNone() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'a*b*c':{}}}");
        assertThat(p.decide(call("abc", "{}", "x"), T0).allowed()).isTrue();
        assertThat(p.decide(call("a--b--c", "{}", "x"), T0).allowed()).isTrue();
        assertThat(p.decide(call("a--c--b", "{}", "x"), T0).allowed()).isFalse();
        assertThat(p.decide(call("abcd", "{}", "x"), T0).allowed()).isFalse();
    }

    @Test
    void noEntryUnderDefaultDenyIsDeniedNamingTheDefault() {
        Decision d = policy("{'version':'1','default':'deny'}").decide(call("x", "{}", "a"), T0);
        assertThat(d).isEqualTo(new Decision(Verdict.DENIED, "x", "default",
                "no policy entry matches this tool and the default is deny", null, 0));
    }

    @Test
    void noEntryUnderDefaultAllowIsAllowedButTopLevelLimitsStillApply() {
        Policy p = policy("{'version':'1','default':'allow','limits':[{'counter':'all','window':'minute','max':1,'scope':'global'}]}");
        assertThat(p.decide(call("x", "{}", "a"), T0)).isEqualTo(new Decision(Verdict.ALLOWED, "x", "default", "allowed by default", null, 0));
        Decision limited = p.decide(call("y", "{}", "b"), T0 + 1);
        assertThat(limited.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(limited.rule()).isEqualTo("limits[0]");
        assertThat(limited.reason()).isEqualTo("rate limit exceeded: counter \"all\" admits 1 call per minute in total");
    }

    @Test
    void actionDenyComesBeforeArgumentValidation() {
        Policy p = policy("{'version':'1','default':'allow','tools':{'t':{'action':'deny','reason':'no','args':{'type':'object','required':['x']}}}}");
        assertThat(p.decide(call("t", "{}", "a"), T0)).isEqualTo(new Decision(Verdict.DENIED, "t", "tools[\"t\"]", "no", null, 0));
        Policy withoutReason = policy("{'version':'1','default':'allow','tools':{'t*':{'action':'deny'}}}");
        assertThat(withoutReason.decide(call("tx", "{}", "a"), T0).reason()).isEqualTo("tools matching \"t*\" is denied by policy");
    }

    @Test
    void invalidArgumentsNameTheFailingPathAndComeBeforeDenyIf() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'pay':{'args':{'type':'object','properties':{'amount':{'type':'integer'},"
                + "'items':{'type':'array','items':{'type':'object','properties':{'price':{'type':'number'}}}}}},"
                + "'deny_if':[{'conditions':[],'on_deny':'never'}]}}}");
        Decision d = p.decide(call("pay", "{'amount':'12'}", "a"), T0);
        assertThat(d.verdict()).isEqualTo(Verdict.INVALID_ARGUMENTS);
        assertThat(d.rule()).isEqualTo("tools[\"pay\"].args");
        assertThat(d.reason()).isEqualTo("invalid arguments: arguments.amount: string found, integer expected");
        assertThat(p.decide(call("pay", "{'items':[{'price':1},{'price':'x'}]}", "a"), T0).reason())
                .isEqualTo("invalid arguments: arguments.items[1].price: string found, number expected");
        assertThat(p.decide(call("pay", "{'amount':12}", "a"), T0).reason()).isEqualTo("never");
    }

    @Test
    void missingArgumentsAreAnEmptyObject() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'t':{'args':{'type':'object','required':['x']}}}}");
        assertThat(p.decide(call("t", null, "a"), T0).reason()).isEqualTo("invalid arguments: arguments: required property 'x' not found");
    }

    @Test
    void schemaPatternUsesALinearTimeEngine() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'t':{'args':{'properties':{'s':{'type':'string','pattern':'^(a+)+$'}}}}}}");
        String hostile = "a".repeat(5000) + "!";
        assertThat(p.decide(call("t", "{'s':'" + hostile + "'}", "a"), T0).verdict()).isEqualTo(Verdict.INVALID_ARGUMENTS);
        assertThat(p.decide(call("t", "{'s':'aaa'}", "a"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void firstMatchingDenyIfItemWins() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'t':{'deny_if':["
                + "{'conditions':[{'arg':'a','op':'eq','value':1},{'arg':'b','op':'eq','value':2}],'on_deny':'both'},"
                + "{'conditions':[{'arg':'a','op':'eq','value':1}],'on_deny':'a only'},"
                + "{'conditions':[{'arg':'c','op':'exists'}]}]}}}");
        assertThat(p.decide(call("t", "{'a':1,'b':2}", "x"), T0).reason()).isEqualTo("both");
        Decision second = p.decide(call("t", "{'a':1,'b':3}", "x"), T0);
        assertThat(second.reason()).isEqualTo("a only");
        assertThat(second.rule()).isEqualTo("tools[\"t\"].deny_if[1]");
        assertThat(p.decide(call("t", "{'c':0}", "x"), T0).reason()).isEqualTo("denied by tools[\"t\"].deny_if[2]");
        assertThat(p.decide(call("t", "{'a':2}", "x"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void requireApprovalTurnsAMatchingDenyIfIntoApprovalRequired() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'refund':{'action':'require_approval','deny_if':["
                + "{'conditions':[{'arg':'amount','op':'gt','value':1000}],'on_deny':'Refunds over 1000 need a human.'}]}}}");
        Decision d = p.decide(call("refund", "{'amount':1001}", "x"), T0);
        assertThat(d).isEqualTo(new Decision(Verdict.APPROVAL_REQUIRED, "refund", "tools[\"refund\"].deny_if[0]",
                "Refunds over 1000 need a human.", null, 0, "", ApprovalTerms.DEFAULT));
        assertThat(p.decide(call("refund", "{'amount':1000}", "x"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.neverCallable("refund")).isFalse();
    }

    @Test
    void requireApprovalWithoutDenyIfAlwaysNeedsApproval() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'wire':{'action':'require_approval'},'fax':{'action':'require_approval','reason':'Ask Bob.'}}}");
        assertThat(p.decide(call("wire", "{}", "x"), T0)).isEqualTo(new Decision(Verdict.APPROVAL_REQUIRED, "wire", "tools[\"wire\"]",
                "tool \"wire\" requires human approval", null, 0, "", ApprovalTerms.DEFAULT));
        assertThat(p.decide(call("fax", "{}", "x"), T0).reason()).isEqualTo("Ask Bob.");
    }

    @Test
    void deniedAndInvalidCallsNeverConsumeRateLimitCapacity() {
        Policy p = policy("{'version':'1','default':'deny','limits':[{'counter':'all','window':'minute','max':1,'scope':'global'}],"
                + "'tools':{'t':{'args':{'required':['ok']},'deny_if':[{'conditions':[{'arg':'bad','op':'exists'}]}]}}}");
        for (int i = 0; i < 5; i++) {
            assertThat(p.decide(call("t", "{}", "x"), T0).verdict()).isEqualTo(Verdict.INVALID_ARGUMENTS);
            assertThat(p.decide(call("t", "{'ok':1,'bad':1}", "x"), T0).verdict()).isEqualTo(Verdict.DENIED);
            assertThat(p.decide(call("other", "{}", "x"), T0).verdict()).isEqualTo(Verdict.DENIED);
        }
        assertThat(p.decide(call("t", "{'ok':1}", "x"), T0).verdict()).isEqualTo(Verdict.ALLOWED);
        assertThat(p.decide(call("t", "{'ok':1}", "x"), T0).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void topLevelAndEntryLimitsAreCheckedTogetherAllOrNothing() {
        Policy p = policy("{'version':'1','default':'deny','limits':[{'counter':'global','window':'minute','max':3,'scope':'global'}],"
                + "'tools':{'t':{'limits':[{'counter':'per_id','window':'minute','max':1,'scope':'identity'}]},'u':{}}}");
        assertThat(p.decide(call("t", "{}", "a"), T0).allowed()).isTrue();
        Decision second = p.decide(call("t", "{}", "a"), T0);
        assertThat(second.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(second.counter()).isEqualTo("per_id");
        assertThat(second.rule()).isEqualTo("tools[\"t\"].limits[0]");
        // the refused call did not take a unit of "global": two more calls fit
        assertThat(p.decide(call("u", "{}", "b"), T0).allowed()).isTrue();
        assertThat(p.decide(call("t", "{}", "c"), T0).allowed()).isTrue();
        Decision globalOut = p.decide(call("t", "{}", "d"), T0);
        assertThat(globalOut.counter()).isEqualTo("global");
        assertThat(globalOut.rule()).isEqualTo("limits[0]");
    }

    @Test
    void rateLimitShorthandCountsGloballyUnderItsOwnCounterName() {
        Policy p = policy("{'version':'1','default':'deny','tools':{'search':{'rate_limit':{'max':2,'window':'90s'}},"
                + "'fetch':{'rate_limit':{'max':1,'window':60,'scope':'identity'}}}}");
        assertThat(p.decide(call("search", "{}", "a"), T0).allowed()).isTrue();
        assertThat(p.decide(call("search", "{}", "b"), T0).allowed()).isTrue();
        Decision d = p.decide(call("search", "{}", "c"), T0 + 1000);
        assertThat(d.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(d.counter()).isEqualTo("tools[\"search\"].rate_limit");
        assertThat(d.rule()).isEqualTo("tools[\"search\"].rate_limit");
        assertThat(d.retryAfterSeconds()).isEqualTo(89);
        assertThat(d.reason()).isEqualTo("rate limit exceeded: counter \"tools[\\\"search\\\"].rate_limit\" admits 2 calls per 90s in total");
        assertThat(p.decide(call("fetch", "{}", "a"), T0).allowed()).isTrue();
        assertThat(p.decide(call("fetch", "{}", "b"), T0).allowed()).isTrue();
        assertThat(p.decide(call("fetch", "{}", "a"), T0).allowed()).isFalse();
    }

    @Test
    void sharedCounterAcrossTools() {
        Policy p = policy("{'version':'1','default':'deny','tools':{"
                + "'create':{'limits':[{'counter':'writes','window':'hour','max':2,'scope':'identity'}]},"
                + "'update':{'limits':[{'counter':'writes','window':3600,'max':2,'scope':'identity'}]}}}");
        assertThat(p.decide(call("create", "{}", "a"), T0).allowed()).isTrue();
        assertThat(p.decide(call("update", "{}", "a"), T0).allowed()).isTrue();
        assertThat(p.decide(call("create", "{}", "a"), T0).counter()).isEqualTo("writes");
        assertThat(p.decide(call("update", "{}", "a"), T0).verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aCounterNamedTwiceForOneCallIsConsumedOnce() {
        Policy p = policy("{'version':'1','default':'deny','limits':[{'counter':'c','window':60,'max':2,'scope':'global'}],"
                + "'tools':{'t':{'limits':[{'counter':'c','window':60,'max':2,'scope':'global'}]}}}");
        assertThat(p.decide(call("t", "{}", "a"), T0).allowed()).isTrue();
        assertThat(p.decide(call("t", "{}", "a"), T0).allowed()).isTrue();
        assertThat(p.decide(call("t", "{}", "a"), T0).allowed()).isFalse();
    }

    @Test
    void neverCallableAndExactNames() {
        Policy p = policy("{'version':'1','default':'deny','hide_denied_tools':true,'tools':{'a':{'action':'deny'},"
                + "'b':{'deny_if':[{'conditions':[{'arg':'x','op':'exists'}]},{'conditions':[]}]},"
                + "'c':{'deny_if':[{'conditions':[{'arg':'x','op':'exists'}]}]},'d':{'action':'require_approval'},'e*':{}}}");
        assertThat(p.hideDeniedTools()).isTrue();
        assertThat(p.neverCallable("a")).isTrue();
        assertThat(p.neverCallable("b")).isTrue();
        assertThat(p.neverCallable("c")).isFalse();
        assertThat(p.neverCallable("d")).isFalse();
        assertThat(p.neverCallable("e1")).isFalse();
        assertThat(p.neverCallable("zzz")).isTrue();
        assertThat(p.exactToolNames()).containsExactly("a", "b", "c", "d");
        Policy open = policy("{'version':'1','default':'allow'}");
        assertThat(open.neverCallable("zzz")).isFalse();
        assertThat(open.hideDeniedTools()).isFalse();
    }

    @Test
    void hiddenToolCalledByNameIsStillDenied() {
        Policy p = policy("{'version':'1','default':'deny','hide_denied_tools':true,'tools':{'a':{'action':'deny'}}}");
        assertThat(p.decide(call("a", "{}", "x"), T0).verdict()).isEqualTo(Verdict.DENIED);
    }
}
