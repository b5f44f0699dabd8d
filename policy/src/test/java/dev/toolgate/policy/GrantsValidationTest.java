package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.toolgate.policy.PolicyTestSupport.errorsOf;
import static dev.toolgate.policy.PolicyTestSupport.policy;
import static org.assertj.core.api.Assertions.assertThat;

/** Every grant error names its path and what was expected; order-dependent and ambiguous grants are refused. */
class GrantsValidationTest {

    private static List<String> messages(String doc) {
        return errorsOf(doc).stream().map(PolicyError::toString).toList();
    }

    private static String withGrants(String grants) {
        return "{'version':'1','default':'deny','grants':[" + grants + "]}";
    }

    private static String grant(String name, String callers, String tools) {
        return "{'name':" + name + ",'callers':" + callers + ",'tools':" + tools + "}";
    }

    @Test
    void grantsIsAnArrayOfGrantObjectsWithKnownFields() {
        assertThat(messages("{'version':'1','default':'deny','grants':{}}"))
                .containsExactly("grants: expected an array of grants {\"name\", \"callers\", \"tools\"}, tried in order, got object");
        assertThat(messages(withGrants("'g'")))
                .containsExactly("grants[0]: expected a grant object {\"name\", \"callers\", \"tools\"}, got string");
        assertThat(messages(withGrants("{'name':'g','callers':{'subjects':['a']},'tools':{'t':{}},'priority':1}")))
                .containsExactly("grants[0].priority: unknown field \"priority\"; expected one of name, callers, tools");
        assertThat(messages(withGrants("{'name':'g','callers':{'subjects':['a'],'users':['b']},'tools':{'t':{}}}")))
                .containsExactly("grants[0].callers.users: unknown field \"users\"; expected one of subjects, groups");
    }

    @Test
    void namesAreRequiredUniqueAndSafeInLabelsAndAuditLines() {
        String rule = "1 to 63 lower-case letters, digits, '-' or '_', starting and ending with a letter or digit";
        assertThat(messages(withGrants("{'callers':{'subjects':['a']},'tools':{'t':{}}}")))
                .containsExactly("grants[0].name: required field is missing; expected a name such as \"billing-bot\" (" + rule + ")");
        for (String bad : List.of("''", "'Billing'", "'billing bot'", "'bot\\\"}'", "'-bot'", "'bot-'", "'a.b'", "7",
                "'" + "x".repeat(64) + "'")) {
            assertThat(messages(withGrants(grant(bad, "{'subjects':['a']}", "{'t':{}}"))))
                    .as(bad).singleElement().asString().startsWith("grants[0].name: expected a grant name (" + rule + "), got ");
        }
        assertThat(messages(withGrants(grant("'bot'", "{'subjects':['a']}", "{'t':{}}") + ","
                + grant("'bot'", "{'subjects':['b']}", "{'u':{}}"))))
                .containsExactly("grants[1].name: grant name \"bot\" is already used by grants[0]; grant names must be unique (they"
                        + " name the deciding grant in decisions, audit lines and metrics, and key its grant-scoped counters)");
        assertThat(policy(withGrants(grant("'" + "x".repeat(63) + "'", "{'subjects':['a']}", "{'t':{}}"))).grantNames())
                .containsExactly("x".repeat(63));
    }

    @Test
    void callersMustNameSomeoneWithNonEmptyStrings() {
        String none = "grants[0].callers: a grant must name its callers; expected at least one subject or group (a grant never"
                + " matches anonymous callers: write their rules in the top-level tools)";
        assertThat(messages(withGrants("{'name':'g','tools':{'t':{}}}")))
                .containsExactly("grants[0].callers: required field is missing; expected {\"subjects\": [...], \"groups\": [...]}"
                        + " naming who the grant is for");
        assertThat(messages(withGrants(grant("'g'", "{}", "{'t':{}}")))).containsExactly(none);
        assertThat(messages(withGrants(grant("'g'", "{'subjects':[],'groups':[]}", "{'t':{}}")))).containsExactly(none);
        assertThat(messages(withGrants(grant("'g'", "['a']", "{'t':{}}"))))
                .containsExactly("grants[0].callers: expected an object {\"subjects\": [...], \"groups\": [...]}, got array");
        assertThat(messages(withGrants(grant("'g'", "{'subjects':'a'}", "{'t':{}}"))))
                .containsExactly("grants[0].callers.subjects: expected an array of subject names or globs, got string");
        assertThat(messages(withGrants(grant("'g'", "{'subjects':['a',7,''],'groups':[['finance'],null]}", "{'t':{}}"))))
                .containsExactly("grants[0].callers.subjects[1]: expected a non-empty string, got 7",
                        "grants[0].callers.subjects[2]: expected a non-empty string, got \"\"",
                        "grants[0].callers.groups[0]: expected a non-empty string, got an array",
                        "grants[0].callers.groups[1]: expected a non-empty string, got null");
    }

    @Test
    void subjectsAndGroupsThatCouldNeverMatchOrMeanSomethingElseAreRefused() {
        assertThat(messages(withGrants(grant("'g'", "{'subjects':[' bot','bot\\n','anonymous','a','a'],'groups':['fin*','x','x']}",
                "{'t':{}}"))))
                .containsExactly(
                        "grants[0].callers.subjects[0]: leading or trailing whitespace or control characters never match a"
                                + " credential's subject, got \" bot\"",
                        "grants[0].callers.subjects[1]: leading or trailing whitespace or control characters never match a"
                                + " credential's subject, got \"bot\\n\"",
                        "grants[0].callers.subjects[2]: a grant never matches anonymous callers; write their rules in the top-level tools",
                        "grants[0].callers.subjects[4]: duplicate subject \"a\"",
                        "grants[0].callers.groups[0]: groups are matched exactly, '*' is not a wildcard here; got \"fin*\" (use"
                                + " subjects for globs)",
                        "grants[0].callers.groups[2]: duplicate group \"x\"");
        assertThat(messages(withGrants(grant("'g'", "{'subjects':['" + "a".repeat(513) + "']}", "{'t':{}}"))))
                .containsExactly("grants[0].callers.subjects[0]: at most 512 characters, got 513");
    }

    @Test
    void aGrantNeedsToolEntriesWhichAreValidatedAsTheDocumentsOwn() {
        assertThat(messages(withGrants("{'name':'g','callers':{'subjects':['a']}}")))
                .containsExactly("grants[0].tools: required field is missing; expected an object mapping tool names or globs to entries");
        assertThat(messages(withGrants(grant("'g'", "{'subjects':['a']}", "{}"))))
                .containsExactly("grants[0].tools: a grant without tool entries decides nothing; expected at least one entry");
        assertThat(messages(withGrants(grant("'g'", "{'subjects':['a']}", "[]"))))
                .containsExactly("grants[0].tools: expected an object mapping tool names or globs to entries, got array");
        assertThat(messages(withGrants(grant("'g'", "{'subjects':['a']}",
                "{'t':{'deny-if':[]},'u':{'deny_if':[{'conditions':[{'arg':'x','op':'gtt','value':1}]}]},'':{}}"))))
                .containsExactly(
                        "grants[0].tools[\"t\"][\"deny-if\"]: unknown field \"deny-if\"; expected one of action, reason, args, deny_if, limits, rate_limit, approval, enforcement, pin",
                        "grants[0].tools[\"u\"].deny_if[0].conditions[0].op: unknown operator \"gtt\"; expected one of eq, ne, gt,"
                                + " gte, lt, lte, in, not_in, contains, starts_with, ends_with, matches, exists, not_exists",
                        "grants[0].tools[\"\"]: tool name must not be empty");
    }

    @Test
    void tiedGlobsInsideAGrantAreAmbiguousAsAtTheTopLevel() {
        assertThat(messages(withGrants(grant("'g'", "{'subjects':['a']}", "{'get_*':{},'*_set':{}}"))))
                .containsExactly("grants[0].tools[\"*_set\"]: ambiguous glob: ties with grants[0].tools[\"get_*\"] (both have 4"
                        + " literal characters) for tool names such as \"get_set\"; make one of them more specific");
        // the same globs in different grants, or a grant and the top level, never tie: grants are tried in order
        policy("{'version':'1','default':'deny','tools':{'*_set':{}},'grants':[" + grant("'g'", "{'subjects':['a']}", "{'get_*':{}}") + "]}");
    }

    @Test
    void aCounterMeansOneDefinitionAcrossTheDocumentGrantsIncluded() {
        assertThat(messages("{'version':'1','default':'deny','limits':[{'counter':'w','window':'minute','max':5,'scope':'grant'}],"
                + "'grants':[" + grant("'g'", "{'subjects':['a']}", "{'t':{'limits':[{'counter':'w','window':'hour','max':5,'scope':'grant'}]}}") + "]}"))
                .containsExactly("grants[0].tools[\"t\"].limits[0]: counter \"w\" is defined differently at limits[0] (window 60s,"
                        + " max 5, scope grant) than here (window 3600s, max 5, scope grant); every limit naming a counter must"
                        + " agree on window, max and scope");
        assertThat(messages(withGrants(grant("'g'", "{'subjects':['a']}", "{'t':{'rate_limit':{'max':0,'window':'minute'}}}"))))
                .containsExactly("grants[0].tools[\"t\"].rate_limit.max: expected a whole number from 1 to 1000000, got 0");
    }

    @Test
    void aGrantWhollyShadowedByAnEarlierOneIsAnErrorNamingBoth() {
        assertThat(messages(withGrants(grant("'everyone'", "{'subjects':['*']}", "{'update_*':{},'read':{}}") + ","
                + grant("'billing-bot'", "{'subjects':['system:serviceaccount:shop:billing-bot'],'groups':['finance']}",
                "{'update_customer':{},'read':{'action':'deny'}}"))))
                .containsExactly("grants[1]: grant \"billing-bot\" never decides: every caller it matches also matches the earlier"
                        + " grant \"everyone\" (grants[0]), which has an entry for each of its tools; move it before, or narrow"
                        + " the earlier grant's callers");
        assertThat(messages(withGrants(grant("'ci'", "{'subjects':['system:serviceaccount:ci:*'],'groups':['ops']}", "{'deploy_*':{}}") + ","
                + grant("'ci-deployer'", "{'subjects':['system:serviceaccount:ci:deployer'],'groups':['ops']}", "{'deploy_*':{'action':'deny'}}"))))
                .containsExactly("grants[1]: grant \"ci-deployer\" never decides: every caller it matches also matches the earlier"
                        + " grant \"ci\" (grants[0]), which has an entry for each of its tools; move it before, or narrow the"
                        + " earlier grant's callers");
    }

    @Test
    void anEntryOfALaterGrantThatCanNeverDecideIsAnErrorNamingBothGrants() {
        assertThat(messages(withGrants(grant("'ops'", "{'subjects':['ops-*']}", "{'restart':{}}") + ","
                + grant("'ops-lead'", "{'subjects':['ops-lead']}", "{'restart':{'action':'require_approval'},'drop':{}}"))))
                .containsExactly("grants[1].tools[\"restart\"]: never decides: every caller of grant \"ops-lead\" also matches the"
                        + " earlier grant \"ops\" (grants[0]), whose entry grants[0].tools[\"restart\"] decides this tool first;"
                        + " move the grant before, or narrow the earlier grant's callers");
    }

    @Test
    void overlappingButNotCoveredGrantsAreValidAndFirstMatchDecides() {
        // callers overlap only in part: a subject or a group of the later grant is outside the earlier one
        policy(withGrants(grant("'ci'", "{'subjects':['ci-*']}", "{'deploy':{}}") + ","
                + grant("'ci-and-ops'", "{'subjects':['ci-a','ops']}", "{'deploy':{'action':'deny'}}")));
        policy(withGrants(grant("'finance'", "{'groups':['finance']}", "{'pay':{}}") + ","
                + grant("'finance-bot'", "{'subjects':['bot'],'groups':['finance']}", "{'pay':{'action':'deny'}}")));
        // the later grant's tools reach beyond the earlier one's entries
        policy(withGrants(grant("'a'", "{'subjects':['*']}", "{'get_customer':{}}") + ","
                + grant("'b'", "{'subjects':['x']}", "{'get_*':{}}")));
        // the later grant comes first when it is the narrower one: the documented way to write exceptions
        policy(withGrants(grant("'bot'", "{'subjects':['bot']}", "{'update_*':{'action':'deny'}}") + ","
                + grant("'everyone'", "{'subjects':['*']}", "{'update_*':{}}")));
    }

    @Test
    void documentsWithoutGrantsKeepTheirCanonicalFormAndHash() throws Exception {
        String doc = "{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"t\":{}}}";
        PolicyDocument parsed = PolicyDocument.parse(doc);
        assertThat(parsed.canonicalJson()).isEqualTo("{\"default\":\"deny\",\"tools\":{\"t\":{}},\"version\":\"1\"}");
        assertThat(parsed.hash()).isEqualTo(CanonicalJson.sha256Hex(parsed.canonicalJson()));
        assertThat(PolicyDocument.parse(doc.replace("}}}", "}},\"grants\":[]}")).hash()).isNotEqualTo(parsed.hash());
    }
}
