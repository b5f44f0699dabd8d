package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An McpPolicy spec (camelCase) rendered into the policy document, and its problems reported with spec paths. */
class PolicySpecTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void rendersEveryFieldInTheDocumentsSpellingAndDropsTheKubernetesOnes() throws Exception {
        JsonNode spec = json("{'podSelector':{'matchLabels':{'app':'x'}},'upstream':{'port':8080},'identity':{'header':'X-Agent-Id'},"
                + "'sidecar':{'logLevel':'DEBUG'},'rateLimits':{'backend':'local'},'restartUnprotected':true,"
                + "'default':'deny','hideDeniedTools':true,'limits':[{'counter':'all','window':60,'max':100,'scope':'global'}],"
                + "'tools':{'update_amount':{'action':'require_approval','reason':'r','args':{'type':'object','properties':{'on_deny':{}}},"
                + "'denyIf':[{'conditions':[{'arg':'amount','op':'gt','value':1000}],'onDeny':'too much'},{'onDeny':'always'}],"
                + "'limits':[{'counter':'w','window':'minute','max':3,'scope':'session'}],'rateLimit':{'max':5,'window':'90s'}},'list_*':null},"
                + "'grants':[{'name':'ops','callers':{'subjects':['a'],'groups':['g']},'tools':{'get_*':{}}}]}");
        PolicySpec.Rendering rendering = PolicySpec.render(spec);
        assertThat(rendering.errors()).isEmpty();
        assertThat(rendering.document().toString()).isEqualTo(("{'version':'1','default':'deny','hide_denied_tools':true,"
                + "'limits':[{'counter':'all','window':60,'max':100,'scope':'global'}],"
                + "'tools':{'update_amount':{'action':'require_approval','reason':'r','args':{'type':'object','properties':{'on_deny':{}}},"
                + "'deny_if':[{'conditions':[{'arg':'amount','op':'gt','value':1000}],'on_deny':'too much'},{'conditions':[],'on_deny':'always'}],"
                + "'limits':[{'counter':'w','window':'minute','max':3,'scope':'session'}],'rate_limit':{'max':5,'window':'90s'}},'list_*':{}},"
                + "'grants':[{'name':'ops','callers':{'subjects':['a'],'groups':['g']},'tools':{'get_*':{}}}]}").replace('\'', '"'));
        assertThat(PolicySpec.parse(spec).hash()).isEqualTo(PolicyDocument.parse(rendering.document()).hash());
    }

    @Test
    void withoutToolsTheDocumentHasAnEmptyToolsObjectAndNoGrants() throws Exception {
        assertThat(PolicySpec.render(json("{'default':'allow'}")).document().toString())
                .isEqualTo("{\"version\":\"1\",\"default\":\"allow\",\"tools\":{}}");
    }

    @Test
    void fieldsTheResourceDoesNotHaveAreErrorsAtTheirSpecPathAndNeverReachTheDocument() throws Exception {
        JsonNode spec = json("{'default':'deny','version':'1','tools':{'t':{'deny_if':[],'denyIf':[{'conditions':[{'arg':'a','op':'eq','value':1,"
                + "'negate':true}],'on_deny':'x'}],'rateLimit':{'max':1,'window':60,'scope':'grant'}}},"
                + "'grants':[{'name':'g','callers':{'users':['u']},'tools':{'odd name':{'limits':[{'counter':'c','window':1,'max':1,'by':'x'}]}}}]}");
        PolicySpec.Rendering rendering = PolicySpec.render(spec);
        assertThat(rendering.errors()).extracting(PolicyError::toString).containsExactly(
                "spec.version: unknown field \"version\"; expected one of podSelector, upstream, identity, default, enforcement, hideDeniedTools, limits, tools, "
                        + "grants, sidecar, rateLimits, restartUnprotected",
                "spec.tools[\"t\"].deny_if: unknown field \"deny_if\"; expected one of action, reason, args, denyIf, limits, rateLimit, approval, enforcement, pin",
                "spec.tools[\"t\"].denyIf[0].on_deny: unknown field \"on_deny\"; expected one of conditions, onDeny",
                "spec.tools[\"t\"].denyIf[0].conditions[0].negate: unknown field \"negate\"; expected one of arg, op, value",
                "spec.tools[\"t\"].rateLimit.scope: unknown field \"scope\"; expected one of max, window",
                "spec.grants[0].callers.users: unknown field \"users\"; expected one of subjects, groups",
                "spec.grants[0].tools[\"odd name\"].limits[0].by: unknown field \"by\"; expected one of counter, window, max, scope");
        assertThat(rendering.document().toString()).doesNotContain("version\":\"1\",\"version", "deny_if\":[]", "negate", "users", "\"by\"");
    }

    @Test
    void parseReportsEveryProblemWithItsSpecPath() throws Exception {
        JsonNode spec = json("{'default':'deny','hideDeniedTools':'yes','tools':{'t':{'action':'block','denyIf':[{'conditions':[{'arg':'a','op':'gtt'}],"
                + "'onDeny':7}],'rateLimit':{'max':0,'window':'minute'},'denyIff':[]}},'grants':[{'name':'g','callers':{'groups':['x']},'tools':{}}]}");
        assertThatThrownBy(() -> PolicySpec.parse(spec)).isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.errors())
                .extracting(PolicyError::toString).containsExactly(
                        "spec.tools[\"t\"].denyIff: unknown field \"denyIff\"; expected one of action, reason, args, denyIf, limits, rateLimit, approval, enforcement, pin",
                        "spec.grants: " + PolicySpec.GRANTS_WITHOUT_IDENTITY,
                        "spec.hideDeniedTools: expected a boolean, got string",
                        "spec.tools[\"t\"].action: expected \"allow\", \"deny\" or \"require_approval\", got \"block\"",
                        "spec.tools[\"t\"].denyIf[0].onDeny: expected a string, got number",
                        "spec.tools[\"t\"].denyIf[0].conditions[0].op: unknown operator \"gtt\"; expected one of eq, ne, gt, gte, lt, lte, in, "
                                + "not_in, contains, starts_with, ends_with, matches, exists, not_exists",
                        "spec.tools[\"t\"].rateLimit.max: expected a whole number from 1 to 1000000, got 0",
                        "spec.grants[0].tools: a grant without tool entries decides nothing; expected at least one entry"));
    }

    @Test
    void aMissingOrNonObjectSpecIsOneError() throws Exception {
        assertThatThrownBy(() -> PolicySpec.parse(null)).isInstanceOfSatisfying(PolicyException.class,
                e -> assertThat(e.errors()).extracting(PolicyError::toString).containsExactly("spec: required"));
        assertThatThrownBy(() -> PolicySpec.parse(json("['x']"))).isInstanceOfSatisfying(PolicyException.class,
                e -> assertThat(e.errors()).extracting(PolicyError::toString).containsExactly("spec: expected an object, got array"));
    }

    @Test
    void valuesOfTheWrongTypeAreCarriedOverForTheEngineToReport() throws Exception {
        JsonNode spec = json("{'default':'deny','tools':{'a':'allow','b':{'denyIf':{},'limits':7,'rateLimit':[]}},'limits':'none'}");
        assertThat(PolicySpec.render(spec).document().toString()).isEqualTo(
                "{\"version\":\"1\",\"default\":\"deny\",\"limits\":\"none\",\"tools\":{\"a\":\"allow\",\"b\":{\"deny_if\":{},\"limits\":7,\"rate_limit\":[]}}}");
        assertThatThrownBy(() -> PolicySpec.parse(spec)).isInstanceOfSatisfying(PolicyException.class,
                e -> assertThat(e.errors()).extracting(PolicyError::path)
                        .containsExactly("spec.limits", "spec.tools[\"a\"]", "spec.tools[\"b\"].denyIf", "spec.tools[\"b\"].limits", "spec.tools[\"b\"].rateLimit"));
    }
}
