package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.toolgate.policy.PolicyTestSupport.errorsOf;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every validation error names its JSON path and what was expected; the exact strings are part of the user interface. */
class PolicyDocumentErrorsTest {

    private static final String OPS = "eq, ne, gt, gte, lt, lte, in, not_in, contains, starts_with, ends_with, matches, exists, not_exists";

    private static List<String> messages(String doc) {
        return errorsOf(doc).stream().map(PolicyError::toString).toList();
    }

    private static String withTool(String entry) {
        return "{'version':'1','default':'deny','tools':{'t':" + entry + "}}";
    }

    private static String withLimit(String limit) {
        return "{'version':'1','default':'deny','limits':[" + limit + "]}";
    }

    @Test
    void unknownOperatorIsNamedWithItsFullPath() {
        assertThat(messages("{'version':'1','default':'deny','tools':{'update_amount':{'deny_if':[{'conditions':["
                + "{'arg':'amount','op':'gt','value':1},{'arg':'amount','op':'gtt','value':1000}]}]}}}"))
                .containsExactly("tools[\"update_amount\"].deny_if[0].conditions[1].op: unknown operator \"gtt\"; expected one of " + OPS);
    }

    @Test
    void allErrorsAreCollectedNotJustTheFirst() {
        List<PolicyError> errors = errorsOf("{'version':'2','default':'maybe','deny-if':[],'tools':{'t':{'action':'nope',"
                + "'deny_if':[{'conditions':[{'arg':'a..b','op':'eq','value':1}]}],'limits':[{'counter':'c','window':0,'max':0,'scope':'user'}]}}}");
        assertThat(errors).extracting(PolicyError::path).containsExactly(
                "[\"deny-if\"]", "version", "default", "tools[\"t\"].action",
                "tools[\"t\"].deny_if[0].conditions[0].arg",
                "tools[\"t\"].limits[0].window", "tools[\"t\"].limits[0].max", "tools[\"t\"].limits[0].scope");
    }

    @Test
    void rootAndVersionAndDefault() {
        assertThat(messages("[]")).containsExactly("$: expected a JSON object, got array");
        assertThat(messages("{'default':'deny'}")).containsExactly("version: required field is missing; expected \"1\"");
        assertThat(messages("{'version':1,'default':'deny'}")).containsExactly("version: expected the string \"1\", got number");
        assertThat(messages("{'version':'2','default':'deny'}")).containsExactly("version: unsupported version \"2\"; expected \"1\"");
        assertThat(messages("{'version':'1'}")).containsExactly("default: required field is missing; expected \"allow\" or \"deny\"");
        assertThat(messages("{'version':'1','default':'block'}")).containsExactly("default: expected \"allow\" or \"deny\", got \"block\"");
        assertThat(messages("{'version':'1','default':'deny','hide_denied_tools':'yes'}"))
                .containsExactly("hide_denied_tools: expected a boolean, got string");
        assertThat(messages("{'version':'1','default':'deny','tools':[]}"))
                .containsExactly("tools: expected an object mapping tool names or globs to entries, got array");
    }

    @Test
    void unknownFieldsAnywhere() {
        assertThat(messages("{'version':'1','default':'deny','tool':{}}"))
                .containsExactly("tool: unknown field \"tool\"; expected one of version, default, enforcement, hide_denied_tools, limits, tools, grants, baselines");
        assertThat(messages(withTool("{'deny-if':[]}")))
                .containsExactly("tools[\"t\"][\"deny-if\"]: unknown field \"deny-if\"; expected one of action, reason, args, deny_if, limits, rate_limit, approval, enforcement, pin");
        assertThat(messages(withTool("{'deny_if':[{'conditions':[],'onDeny':'x'}]}")))
                .containsExactly("tools[\"t\"].deny_if[0].onDeny: unknown field \"onDeny\"; expected one of conditions, on_deny");
        assertThat(messages(withTool("{'deny_if':[{'conditions':[{'arg':'a','op':'exists','values':1}]}]}")))
                .containsExactly("tools[\"t\"].deny_if[0].conditions[0].values: unknown field \"values\"; expected one of arg, op, value");
        assertThat(messages(withLimit("{'counter':'c','window':'minute','max':1,'scope':'global','burst':2}")))
                .containsExactly("limits[0].burst: unknown field \"burst\"; expected one of counter, window, max, scope");
        assertThat(messages(withTool("{'rate_limit':{'max':1,'window':1,'counter':'c'}}")))
                .containsExactly("tools[\"t\"].rate_limit.counter: unknown field \"counter\"; expected one of max, window, scope");
    }

    @Test
    void entryFields() {
        assertThat(messages(withTool("'allow'"))).containsExactly("tools[\"t\"]: expected an object (the tool's entry), got string");
        assertThat(messages(withTool("{'action':'block'}")))
                .containsExactly("tools[\"t\"].action: expected \"allow\", \"deny\" or \"require_approval\", got \"block\"");
        assertThat(messages(withTool("{'reason':7}"))).containsExactly("tools[\"t\"].reason: expected a string, got number");
        assertThat(messages(withTool("{'deny_if':{}}")))
                .containsExactly("tools[\"t\"].deny_if: expected an array of {\"conditions\": [...], \"on_deny\": \"...\"} items, got object");
        assertThat(messages(withTool("{'deny_if':[{'on_deny':'x'}]}")))
                .containsExactly("tools[\"t\"].deny_if[0].conditions: required field is missing; expected an array of conditions ([] always matches)");
        assertThat(messages(withTool("{'deny_if':[{'conditions':[],'on_deny':false}]}")))
                .containsExactly("tools[\"t\"].deny_if[0].on_deny: expected a string, got boolean");
        assertThat(messages("{'version':'1','default':'deny','tools':{'':{}}}")).containsExactly("tools[\"\"]: tool name must not be empty");
    }

    @Test
    void conditionValues() {
        String c = "tools[\"t\"].deny_if[0].conditions[0]";
        assertThat(messages(cond("{'arg':'a','op':'gt','value':'1000'}"))).containsExactly(c + ".value: operator \"gt\" needs a number, got string");
        assertThat(messages(cond("{'arg':'a','op':'in','value':'x'}"))).containsExactly(c + ".value: operator \"in\" needs an array of values, got string");
        assertThat(messages(cond("{'arg':'a','op':'not_in','value':{}}"))).containsExactly(c + ".value: operator \"not_in\" needs an array of values, got object");
        assertThat(messages(cond("{'arg':'a','op':'starts_with','value':1}"))).containsExactly(c + ".value: operator \"starts_with\" needs a string, got number");
        assertThat(messages(cond("{'arg':'a','op':'matches','value':'(a'}")))
                .containsExactly(c + ".value: invalid regular expression (RE2 syntax): error parsing regexp: missing closing ): `(a`");
        assertThat(messages(cond("{'arg':'a','op':'matches','value':'(a)\\\\1'}")))
                .singleElement().asString().startsWith(c + ".value: invalid regular expression (RE2 syntax): ");
        assertThat(messages(cond("{'arg':'a','op':'exists','value':true}"))).containsExactly(c + ".value: operator \"exists\" takes no value");
        assertThat(messages(cond("{'arg':'a','op':'eq'}"))).containsExactly(c + ".value: required field is missing for operator \"eq\"");
        assertThat(messages(cond("{'op':'exists'}")))
                .containsExactly(c + ".arg: required field is missing; expected a path into the arguments such as \"amount\" or \"items[0].price\"");
        assertThat(messages(cond("{'arg':'a'}"))).containsExactly(c + ".op: required field is missing; expected one of " + OPS);
        assertThat(messages(cond("{'arg':'a','op':3}"))).containsExactly(c + ".op: expected a string (one of " + OPS + "), got number");
        assertThat(messages(cond("{'arg':['a'],'op':'exists'}"))).containsExactly(c + ".arg: expected a string, got array");
    }

    @Test
    void shapesOfNestedItems() {
        assertThat(messages(withTool("{'deny_if':['always']}")))
                .containsExactly("tools[\"t\"].deny_if[0]: expected an object with \"conditions\" and \"on_deny\", got string");
        assertThat(messages(withTool("{'deny_if':[{'conditions':{}}]}")))
                .containsExactly("tools[\"t\"].deny_if[0].conditions: expected an array of conditions, got object");
        assertThat(messages(cond("'amount > 5'")))
                .containsExactly("tools[\"t\"].deny_if[0].conditions[0]: expected an object {\"arg\": ..., \"op\": ..., \"value\": ...}, got string");
        assertThat(messages(withLimit("30")))
                .containsExactly("limits[0]: expected a limit object {\"counter\", \"window\", \"max\", \"scope\"}, got number");
        assertThat(messages(withTool("{'limits':{}}"))).containsExactly("tools[\"t\"].limits: expected an array of limits, got object");
        assertThat(messages(cond("{'arg':'a','op':'matches','value':7}")))
                .containsExactly("tools[\"t\"].deny_if[0].conditions[0].value: operator \"matches\" needs a regular expression string, got number");
        assertThat(messages(cond("{'arg':'a','op':'ends_with','value':null}")))
                .containsExactly("tools[\"t\"].deny_if[0].conditions[0].value: operator \"ends_with\" needs a string, got null");
        assertThat(messages(cond("{'arg':'a','op':'lte','value':[1]}")))
                .containsExactly("tools[\"t\"].deny_if[0].conditions[0].value: operator \"lte\" needs a number, got array");
    }

    @Test
    void argPathSyntax() {
        String c = "tools[\"t\"].deny_if[0].conditions[0].arg: invalid path ";
        assertThat(messages(argPath(""))).containsExactly(c + "\"\": empty path");
        assertThat(messages(argPath("a..b"))).containsExactly(c + "\"a..b\": empty name at position 2");
        assertThat(messages(argPath(".a"))).containsExactly(c + "\".a\": empty name at position 0");
        assertThat(messages(argPath("a."))).containsExactly(c + "\"a.\": empty name at position 2");
        assertThat(messages(argPath("items[x]"))).containsExactly(c + "\"items[x]\": expected an array index (0, 1, 2, ...) or a quoted key at position 6");
        assertThat(messages(argPath("items[-1]"))).containsExactly(c + "\"items[-1]\": expected an array index (0, 1, 2, ...) or a quoted key at position 6");
        assertThat(messages(argPath("items[0"))).containsExactly(c + "\"items[0\": missing ] for [ at position 5");
        assertThat(messages(argPath("items[0]x"))).containsExactly(c + "\"items[0]x\": expected . or [ at position 8");
        assertThat(messages(argPath("a[\\\"b"))).containsExactly(c + "\"a[\\\"b\": unterminated string at position 2");
    }

    @Test
    void limits() {
        assertThat(messages("{'version':'1','default':'deny','limits':{}}")).containsExactly("limits: expected an array of limits, got object");
        assertThat(messages(withLimit("{'window':'minute','max':1,'scope':'global'}")))
                .containsExactly("limits[0].counter: required field is missing; expected the counter's name");
        assertThat(messages(withLimit("{'counter':'','window':'minute','max':1,'scope':'global'}")))
                .containsExactly("limits[0].counter: expected a non-empty string, got \"\"");
        assertThat(messages(withLimit("{'counter':'c','window':'minute','max':1}")))
                .containsExactly("limits[0].scope: required field is missing; expected \"grant\", \"identity\", \"session\" or \"global\"");
        assertThat(messages(withLimit("{'counter':'c','window':'minute','max':1,'scope':'user'}")))
                .containsExactly("limits[0].scope: expected \"grant\", \"identity\", \"session\" or \"global\", got \"user\"");
        assertThat(messages(withLimit("{'counter':'c','window':'minute','scope':'global'}")))
                .containsExactly("limits[0].max: required field is missing; expected a whole number from 1 to 1000000");
        assertThat(messages(withLimit("{'counter':'c','window':'minute','max':0,'scope':'global'}")))
                .containsExactly("limits[0].max: expected a whole number from 1 to 1000000, got 0");
        assertThat(messages(withLimit("{'counter':'c','window':'minute','max':2.5,'scope':'global'}")))
                .containsExactly("limits[0].max: expected a whole number from 1 to 1000000, got 2.5");
        assertThat(messages(withLimit("{'counter':'c','window':'minute','max':'10','scope':'global'}")))
                .containsExactly("limits[0].max: expected a whole number from 1 to 1000000, got \"10\"");
        assertThat(messages(withLimit("{'counter':'c','window':'minute','max':1000001,'scope':'global'}")))
                .containsExactly("limits[0].max: max must be at most 1000000 (counters keep one timestamp per admitted call), got 1000001");
        assertThat(messages(withLimit("{'counter':'c','max':1,'scope':'global'}"))).containsExactly("limits[0].window: required field is missing; "
                + Windows.EXPECTED);
    }

    @Test
    void windows() {
        assertThat(windowError("0")).isEqualTo("window must be at least 1 second, got 0");
        assertThat(windowError("-5")).isEqualTo("window must be at least 1 second, got -5");
        assertThat(windowError("1.5")).isEqualTo("window must be a whole number of seconds, got 1.5");
        assertThat(windowError("'0s'")).isEqualTo("window must be at least 1 second, got \"0s\"");
        assertThat(windowError("'90x'")).isEqualTo("invalid window \"90x\"; " + Windows.EXPECTED);
        assertThat(windowError("'-5s'")).isEqualTo("invalid window \"-5s\"; " + Windows.EXPECTED);
        assertThat(windowError("'1.5m'")).isEqualTo("invalid window \"1.5m\"; " + Windows.EXPECTED);
        assertThat(windowError("'90'")).isEqualTo("invalid window \"90\"; " + Windows.EXPECTED);
        assertThat(windowError("'Minute'")).isEqualTo("invalid window \"Minute\"; " + Windows.EXPECTED);
        assertThat(windowError("true")).isEqualTo(Windows.EXPECTED + ", got boolean");
        assertThat(windowError("'367d'")).isEqualTo("window must be at most 366 days (31622400 seconds), got \"367d\"");
        assertThat(windowError("99999999999")).isEqualTo("window must be at most 366 days (31622400 seconds), got 99999999999");
    }

    @Test
    void validWindowSpellings() throws Exception {
        for (String w : List.of("'second'", "'minute'", "'hour'", "'day'", "1", "90", "90.0", "6e1", "'90s'", "'15m'", "'2h'", "'1d'", "'366d'")) {
            PolicyDocument.parse(q(withLimit("{'counter':'c','window':" + w + ",'max':1,'scope':'global'}")));
        }
    }

    @Test
    void conflictingCounterDefinitionsAnywhereInTheDocument() {
        assertThat(messages("{'version':'1','default':'deny','limits':[{'counter':'writes','window':'minute','max':30,'scope':'grant'}],"
                + "'tools':{'a':{'limits':[{'counter':'writes','window':60,'max':30,'scope':'grant'}]},"
                + "'b':{'limits':[{'counter':'writes','window':'hour','max':30,'scope':'grant'}]},"
                + "'c':{'limits':[{'counter':'writes','window':'1m','max':30,'scope':'global'}]}}}"))
                .containsExactly(
                        "tools[\"b\"].limits[0]: counter \"writes\" is defined differently at limits[0] (window 60s, max 30, scope grant) "
                                + "than here (window 3600s, max 30, scope grant); every limit naming a counter must agree on window, max and scope",
                        "tools[\"c\"].limits[0]: counter \"writes\" is defined differently at limits[0] (window 60s, max 30, scope grant) "
                                + "than here (window 60s, max 30, scope global); every limit naming a counter must agree on window, max and scope");
    }

    @Test
    void rateLimitShorthand() {
        assertThat(messages(withTool("{'rate_limit':{'max':10}}")))
                .containsExactly("tools[\"t\"].rate_limit.window: required field is missing; " + Windows.EXPECTED);
        assertThat(messages(withTool("{'rate_limit':{'max':10,'window':'1w'}}")))
                .containsExactly("tools[\"t\"].rate_limit.window: invalid window \"1w\"; " + Windows.EXPECTED);
        assertThat(messages(withTool("{'rate_limit':10}")))
                .containsExactly("tools[\"t\"].rate_limit: expected an object {\"max\": ..., \"window\": ...}, got number");
        // a limit may name the shorthand's counter on purpose, but must then agree with it
        assertThat(messages("{'version':'1','default':'deny','limits':[{'counter':'tools[\\\"t\\\"].rate_limit','window':60,'max':5,'scope':'global'}],"
                + "'tools':{'t':{'rate_limit':{'max':10,'window':60}}}}"))
                .containsExactly("tools[\"t\"].rate_limit: counter \"tools[\\\"t\\\"].rate_limit\" is defined differently at limits[0] "
                        + "(window 60s, max 5, scope global) than here (window 60s, max 10, scope global); every limit naming a counter must agree on window, max and scope");
    }

    @Test
    void ambiguousGlobs() {
        assertThat(messages("{'version':'1','default':'deny','tools':{'get_*':{},'*_set':{},'a*':{}}}"))
                .containsExactly("tools[\"*_set\"]: ambiguous glob: ties with tools[\"get_*\"] (both have 4 literal characters) "
                        + "for tool names such as \"get_set\"; make one of them more specific");
        // same literal count but no common name: fine
        assertThat(valid("{'version':'1','default':'deny','tools':{'get_*':{},'set_*':{},'*_a':{},'*_b':{}}}")).isTrue();
        // different literal counts: the more specific wins, no error
        assertThat(valid("{'version':'1','default':'deny','tools':{'get_*':{},'get_user*':{},'*':{}}}")).isTrue();
        assertThat(messages("{'version':'1','default':'deny','tools':{'a*b*':{},'*ab*':{}}}"))
                .containsExactly("tools[\"*ab*\"]: ambiguous glob: ties with tools[\"a*b*\"] (both have 2 literal characters) "
                        + "for tool names such as \"ab\"; make one of them more specific");
    }

    @Test
    void duplicateKeysAreAllReported() {
        assertThat(messages("{'version':'1','default':'deny','tools':{'t':{'action':'deny'},'t':{}},'default':'allow'}"))
                .containsExactly("tools[\"t\"]: duplicate key \"t\"", "default: duplicate key \"default\"");
    }

    @Test
    void notJson() {
        assertThat(messages("{'version':'1',")).singleElement().asString().startsWith("$: invalid JSON at line 1, column 16: ");
        assertThat(messages("")).containsExactly("$: empty document; expected a JSON object");
        assertThat(messages("{} {}")).containsExactly("$: unexpected content after the JSON document at line 1, column 5");
    }

    @Test
    void argsSchema() {
        assertThat(messages(withTool("{'args':'object'}")))
                .containsExactly("tools[\"t\"].args: expected a JSON Schema (an object or a boolean), got string");
        assertThat(messages(withTool("{'args':{'type':'object','properties':{'amount':{'type':'integr'}}}}")))
                .contains("tools[\"t\"].args.properties.amount.type: invalid JSON Schema: does not have a value in the enumeration "
                        + "[\"array\", \"boolean\", \"integer\", \"null\", \"number\", \"object\", \"string\"]");
        assertThat(messages(withTool("{'args':{'properties':{'a':{'minimum':'x'}}}}")))
                .containsExactly("tools[\"t\"].args.properties.a.minimum: invalid JSON Schema: string found, number expected");
        assertThat(messages(withTool("{'args':{'$schema':'http://example.com/mine'}}")))
                .singleElement().asString().startsWith("tools[\"t\"].args[\"$schema\"]: unsupported JSON Schema dialect \"http://example.com/mine\"");
        assertThat(messages(withTool("{'args':{'type':'string','pattern':'(a'}}")))
                .singleElement().asString().startsWith("tools[\"t\"].args: invalid JSON Schema: ");
        assertThat(messages(withTool("{'args':{'$ref':'#/$defs/missing'}}")))
                .singleElement().asString().startsWith("tools[\"t\"].args: invalid JSON Schema: ");
    }

    @Test
    void remoteSchemaReferencesAreNeverFetched() {
        assertThat(messages(withTool("{'args':{'$ref':'http://127.0.0.1:9/schema.json'}}")))
                .singleElement().asString().startsWith("tools[\"t\"].args: invalid JSON Schema: ");
    }

    @Test
    void exceptionMessageListsEveryError() {
        assertThatThrownBy(() -> PolicyDocument.parse(q("{'version':'2'}")))
                .isInstanceOf(PolicyException.class)
                .hasMessage("version: unsupported version \"2\"; expected \"1\"; default: required field is missing; expected \"allow\" or \"deny\"");
    }

    private static String cond(String condition) {
        return withTool("{'deny_if':[{'conditions':[" + condition + "]}]}");
    }

    private static String argPath(String path) {
        return cond("{'arg':'" + path + "','op':'exists'}");
    }

    private static String windowError(String window) {
        List<PolicyError> errors = errorsOf(withLimit("{'counter':'c','window':" + window + ",'max':1,'scope':'global'}"));
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).path()).isEqualTo("limits[0].window");
        return errors.get(0).message();
    }

    private static boolean valid(String doc) {
        try {
            PolicyDocument.parse(q(doc));
            return true;
        } catch (PolicyException e) {
            throw new AssertionError(e.errors().toString());
        }
    }
}
