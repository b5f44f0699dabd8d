package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.toolgate.testsupport.GoldenFiles;
import dev.toolgate.policy.PolicyError;
import dev.toolgate.policy.PolicyException;
import dev.toolgate.policy.PolicySpec;

/**
 * What the reconciler and the validating webhook report, in order, and that the offline checker, which reads the
 * manifest's spec as written and hands it to the engine's {@link PolicySpec}, reports the engine's part identically.
 */
class PolicyValidationTest {

    private static final String MANIFEST = """
            apiVersion: toolgate.dev/v1alpha1
            kind: McpPolicy
            metadata: {name: shop, namespace: payments}
            spec:
              podSelector: {matchLabels: {app: shop}}
              upstream: {port: 8080}
              default: deny
              tools:
                "a*": {}
                "*b": {}
                echo:
                  limits: [{counter: c, window: "1 hour", max: 5, scope: identity}]
                  denyIf: [{conditions: [{arg: message, op: matches, value: "("}], onDeny: Not echoed.}]
              grants:
                - name: ops
                  callers: {subjects: [ops]}
                  tools: {echo: {}}
            """;

    @Test
    void theWebhooksProblemsAreTheEnginesAsTheOfflineCheckerReportsThem() throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue(MANIFEST, McpPolicy.class);
        List<String> problems = PolicyValidation.validate(policy.getSpec()).problems();
        assertThat(problems).hasSize(4);
        assertThat(problems.get(0)).startsWith("spec.grants: no grant can ever match: without spec.identity");
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("spec.tools[\"echo\"].limits[0].window: "))
                .anySatisfy(p -> assertThat(p).startsWith("spec.tools[\"echo\"].denyIf[0].conditions[0].value: "));

        JsonNode asWritten = GoldenFiles.YAML.readTree(MANIFEST).get("spec");
        List<String> offline;
        try {
            PolicySpec.parse(asWritten);
            offline = List.of();
        } catch (PolicyException e) {
            offline = e.errors().stream().map(PolicyError::toString).toList();
        }
        assertThat(offline).isEqualTo(problems);
    }

    @Test
    void identityProblemsComeFirst() throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue(MANIFEST.replace("  default: deny", "  identity: {}\n  default: deny"), McpPolicy.class);
        List<String> problems = PolicyValidation.validate(policy.getSpec()).problems();
        assertThat(problems.get(0)).isEqualTo("spec.identity: expected header, jwt or serviceAccount (omit identity for anonymous callers)");
        assertThat(problems).noneSatisfy(p -> assertThat(p).startsWith("spec.grants: no grant"));
    }

    /** Typos in every kind of spec object, as a client that does not ask for strict field validation stores them. */
    private static final String MISSPELT = """
            apiVersion: toolgate.dev/v1alpha1
            kind: McpPolicy
            metadata: {name: shop, namespace: payments}
            spec:
              podSelector: {matchLabels: {app: shop}}
              upstream: {port: 8080, prot: 9090}
              identity: {header: X-Agent, forwardHedaer: X-Who}
              default: allow
              hideDeniedTool: true
              tools:
                delete_repository: {actoin: deny}
                echo:
                  args: {type: object, properties: {anything: {type: string}}, x-free-form: true}
                  limits: [{counter: c, window: minute, max: 5, scope: identity, burst: 2}]
                  denyIf: [{conditions: [{arg: message, op: eq, value: {nested: "free-form"}, negate: true}]}]
              rateLimits: {backend: redis, redis: {url: "redis://r:6379", failmode: open}}
            """;

    @Test
    void aMisspeltFieldAnywhereIsAProblemNamingItsPathAndTheFieldsThatExist() throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue(MISSPELT, McpPolicy.class);
        List<String> problems = PolicyValidation.validate(policy.getSpec()).problems();
        assertThat(problems).as("the free-form args schema and condition value are not checked").hasSize(7);
        assertThat(problems.get(0)).startsWith("spec.hideDeniedTool: unknown field \"hideDeniedTool\"; expected one of podSelector,")
                .contains(" hideDeniedTools,");
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("spec.upstream.prot: unknown field \"prot\"; expected one of port"))
                .anySatisfy(p -> assertThat(p).startsWith("spec.identity.forwardHedaer: unknown field \"forwardHedaer\"; expected one of header,"))
                .anySatisfy(p -> assertThat(p).startsWith("spec.tools[\"delete_repository\"].actoin: unknown field \"actoin\"; expected one of action,"))
                .anySatisfy(p -> assertThat(p).startsWith("spec.tools[\"echo\"].limits[0].burst: unknown field \"burst\""))
                .anySatisfy(p -> assertThat(p).startsWith("spec.tools[\"echo\"].denyIf[0].conditions[0].negate: unknown field \"negate\""))
                .anySatisfy(p -> assertThat(p).startsWith("spec.rateLimits.redis.failmode: unknown field \"failmode\"; expected one of url,"));
        assertThat(PolicyValidation.validate(policy.getSpec()).document()).as("nothing is rendered").isNull();
    }

    @Test
    void withoutTheTypoThePolicyIsValid() throws Exception {
        String fixed = MISSPELT.replace(", prot: 9090", "").replace(", forwardHedaer: X-Who", "").replace("  hideDeniedTool: true\n", "")
                .replace("actoin", "action").replace(", burst: 2", "").replace(", negate: true", "").replace(", failmode: open", "");
        McpPolicy policy = GoldenFiles.YAML.readValue(fixed, McpPolicy.class);
        assertThat(PolicyValidation.validate(policy.getSpec()).problems()).isEmpty();
    }
}
