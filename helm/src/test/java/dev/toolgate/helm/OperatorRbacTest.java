package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The chart grants the operator exactly the rules of operator/src/main/kubernetes/rbac.yaml, its one source. */
class OperatorRbacTest {

    private static final Path OPERATOR_RBAC = Path.of(System.getProperty("toolgate.operator.rbac", "../operator/src/main/kubernetes/rbac.yaml"));

    @Test
    void selfManagedModeGrantsExactlyTheOperatorsRules() throws IOException {
        RenderedChart chart = RenderedChart.render("");

        assertThat(chart.get("ClusterRole", "toolgate-operator").path("rules")).isEqualTo(rules("ClusterRole"));
        assertThat(chart.get("Role", "toolgate-operator").path("rules")).isEqualTo(rules("Role"));
    }

    @Test
    void certManagerModeTakesAwayWritingTheSecretAndTheCaBundle() throws IOException {
        RenderedChart chart = RenderedChart.render("certificates: {mode: certManager}");

        List<JsonNode> expectedClusterRules = new ArrayList<>();
        rules("ClusterRole").forEach(r -> {
            if (!r.path("resources").toString().contains("webhookconfigurations")) {
                expectedClusterRules.add(r);
            }
        });
        assertThat(chart.get("ClusterRole", "toolgate-operator").path("rules")).containsExactlyElementsOf(expectedClusterRules);
        JsonNode roleRules = chart.get("Role", "toolgate-operator").path("rules");
        assertThat(roleRules).hasSize(1);
        assertThat(roleRules.at("/0/verbs")).extracting(JsonNode::asText).containsExactly("get", "watch");
        assertThat(roleRules.at("/0/resourceNames")).extracting(JsonNode::asText).containsExactly("toolgate-webhook-tls");
    }

    private static JsonNode rules(String kind) throws IOException {
        try (var parser = new YAMLFactory().createParser(OPERATOR_RBAC.toFile())) {
            var docs = RenderedChart.YAML.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && kind.equals(doc.path("kind").asText())) {
                    return doc.path("rules");
                }
            }
        }
        throw new AssertionError("no " + kind + " in " + OPERATOR_RBAC);
    }
}
