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
}
