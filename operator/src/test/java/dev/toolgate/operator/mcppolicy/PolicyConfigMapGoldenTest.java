package dev.toolgate.operator.mcppolicy;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.toolgate.testsupport.GoldenFiles;
import dev.toolgate.policy.PolicyDocument;

/** McpPolicy ({@code in-*.yaml}) → rendered ConfigMap ({@code out-*.yaml}). */
class PolicyConfigMapGoldenTest {

    static Stream<GoldenFiles.Case> cases() {
        return GoldenFiles.cases("golden/configmap");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersTheConfigMap(GoldenFiles.Case golden) throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue(golden.input().toFile(), McpPolicy.class);
        PolicyDocument document = PolicyDocument.parse(PolicyDocumentRenderer.render(policy.getSpec()));
        GoldenFiles.assertMatches(golden, PolicyConfigMapFactory.create(policy, document.canonicalJson(), document.hash()));
    }
}
