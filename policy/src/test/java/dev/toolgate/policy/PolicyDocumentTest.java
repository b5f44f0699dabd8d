package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static dev.toolgate.policy.PolicyTestSupport.json;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Canonical form, hash, and parsing from a tree. */
class PolicyDocumentTest {

    private static final String DOC = "{'version':'1','default':'deny','tools':{'t':{'rate_limit':{'max':10,'window':60},"
            + "'deny_if':[{'conditions':[{'arg':'amount','op':'gt','value':1e3}]}]}}}";

    @Test
    void equalContentHashesEqualWhateverTheFormattingKeyOrderOrNumberSpelling() throws Exception {
        PolicyDocument a = PolicyDocument.parse(q(DOC));
        PolicyDocument b = PolicyDocument.parse(q("{\n  'tools': {'t': {'deny_if': [{'conditions': [{'value': 1000.0, 'op': 'gt', 'arg': 'amount'}]}],"
                + " 'rate_limit': {'window': 6e1, 'max': 10}}},\n  'default': 'deny', 'version': '1'\n}"));
        assertThat(b.hash()).isEqualTo(a.hash());
        assertThat(a.canonicalJson()).isEqualTo("{\"default\":\"deny\",\"tools\":{\"t\":{\"deny_if\":[{\"conditions\":[{\"arg\":\"amount\","
                + "\"op\":\"gt\",\"value\":1000}]}],\"rate_limit\":{\"max\":10,\"window\":60}}},\"version\":\"1\"}");
        assertThat(PolicyDocument.parse(q(DOC.replace("1e3", "1001"))).hash()).isNotEqualTo(a.hash());
    }

    @Test
    void parsingATreeGivesTheSameDocumentAsParsingText() throws Exception {
        JsonNode tree = json(q(DOC));
        PolicyDocument fromTree = PolicyDocument.parse(tree);
        assertThat(fromTree.hash()).isEqualTo(PolicyDocument.parse(q(DOC)).hash());
        // the document keeps its own copy: later changes to the caller's tree change nothing
        ((ObjectNode) tree).put("default", "allow");
        assertThat(fromTree.canonicalJson()).contains("\"default\":\"deny\"");
        assertThat(fromTree.toJson().get("default").asText()).isEqualTo("deny");
    }

    @Test
    void treesAreValidatedAsStrictlyAsText() {
        assertThatThrownBy(() -> PolicyDocument.parse(json(q("{'version':'1','default':'deny','extra':1}"))))
                .isInstanceOf(PolicyException.class)
                .hasMessage("extra: unknown field \"extra\"; expected one of version, default, enforcement, hide_denied_tools, limits, tools, grants, baselines");
        assertThatThrownBy(() -> PolicyDocument.parse((JsonNode) null)).isInstanceOf(PolicyException.class)
                .hasMessage("$: expected a JSON object, got nothing");
        assertThatThrownBy(() -> PolicyDocument.parse((String) null)).isInstanceOf(PolicyException.class)
                .hasMessage("$: no document; expected a JSON object");
    }

    @Test
    void hostileNestingIsAnErrorNotACrash() {
        String deep = "{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"t\":{\"deny_if\":[{\"conditions\":[{\"arg\":\"a\",\"op\":\"eq\",\"value\":"
                + "[".repeat(5000) + "]".repeat(5000) + "}]}]}}}";
        assertThatThrownBy(() -> PolicyDocument.parse(deep)).isInstanceOf(PolicyException.class)
                .hasMessageStartingWith("$: invalid JSON at line 1");
    }

    @Test
    void policyExposesItsDocument() throws Exception {
        RateLimiter limiter = new RateLimiter();
        Policy p = Policy.load(q(DOC), limiter);
        assertThat(p.hash()).isEqualTo(p.document().hash());
        assertThat(p.limiter()).isSameAs(limiter);
        assertThat(limiter.maxTrackedKeys()).isEqualTo(100_000);
    }
}
