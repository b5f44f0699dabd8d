package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.baseline.BaselineRules;
import dev.toolgate.operator.baseline.McpClusterPolicy;
import dev.toolgate.operator.baseline.McpClusterPolicySpec;
import dev.toolgate.operator.baseline.McpNamespacePolicy;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.StatusConditions;
import dev.toolgate.operator.mcppolicy.ToolRule;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.RateLimiter;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.Verdict;
import dev.toolgate.testsupport.GoldenFiles;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Layering against a real kube-apiserver, with the operator under the shipped RBAC: McpClusterPolicies (chosen by
 * their namespace selector) and McpNamespacePolicies are rendered into every McpPolicy they apply to, the rendered
 * document decides as the layers say, and a broken baseline keeps the last accepted policy instead of loosening it.
 */
@QuarkusTest
@WithTestResource(OperatorUnderTest.class)
class BaselinesIT {

    private static final String NS = OperatorUnderTest.APP_NAMESPACE;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static KubernetesClient admin;

    @BeforeAll
    static void connect() {
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
    }

    @AfterAll
    static void close() {
        admin.resources(McpClusterPolicy.class).delete();
        admin.resources(McpNamespacePolicy.class).inNamespace(NS).delete();
        admin.close();
    }

    @Test
    void baselinesAreLayeredIntoEveryPolicyTheyApplyToAndCanOnlyTighten() throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue(BaselinesIT.class.getResource("/golden/configmap/in-approval-and-denyif.yaml"), McpPolicy.class);
        policy.getMetadata().setUid(null);
        policy.getMetadata().setName("layered");
        policy.getMetadata().setNamespace(NS);
        policy.getSpec().setPodSelector(new LabelSelectorBuilder().addToMatchLabels("app", "layered-app").build());
        policy.getSpec().setDefaultAction(dev.toolgate.operator.mcppolicy.McpPolicySpec.DefaultAction.ALLOW);
        admin.resource(policy).create();
        McpPolicy alone = awaitPolicy(p -> isTrue(p, StatusConditions.READY));
        assertThat(alone.getStatus().getBaselines()).isNull();
        assertThat(decide("delete_customer")).extracting(Decision::verdict).isEqualTo(Verdict.ALLOWED);

        // A cluster baseline for every namespace: no deletes anywhere.
        admin.resource(cluster("no-deletes", null, "delete_*")).create();
        McpPolicy layered = awaitPolicy(p -> List.of("McpClusterPolicy/no-deletes").equals(p.getStatus().getBaselines())
                && isTrue(p, StatusConditions.READY));
        assertThat(layered.getStatus().getPolicyHash()).isNotEqualTo(alone.getStatus().getPolicyHash());
        assertThat(configMapHash()).isEqualTo(layered.getStatus().getPolicyHash());
        Decision denied = decide("delete_customer");
        assertThat(denied.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(denied.rule()).isEqualTo("McpClusterPolicy/no-deletes:tools[\"delete_*\"]");
        await().atMost(WAIT).until(() -> {
            McpClusterPolicy b = admin.resources(McpClusterPolicy.class).withName("no-deletes").get();
            return b.getStatus() != null && "True".equals(StatusConditions.find(b.getStatus().getConditions(), StatusConditions.ACCEPTED).getStatus());
        });
        assertThat(OperatorIT.kubectl("get", "mcpcp", "no-deletes")).containsPattern("NAME\\s+DEFAULT\\s+TOOLS\\s+ACCEPTED\\s+AGE\\n")
                .containsPattern("no-deletes\\s+1\\s+True\\s+\\S+\\n"); // default not written: empty (allow)

        // A cluster baseline for labelled namespaces only: applies once the namespace gets the label.
        admin.resource(cluster("prod-only", Map.of("tier", "prod"), "drop_*")).create();
        admin.resource(namespaceBaseline("strict", "export_*")).create();
        awaitPolicy(p -> List.of("McpClusterPolicy/no-deletes", "McpNamespacePolicy/strict").equals(p.getStatus().getBaselines()));
        assertThat(decide("export_all").verdict()).isEqualTo(Verdict.DENIED);
        assertThat(decide("drop_table").verdict()).isEqualTo(Verdict.ALLOWED);
        admin.namespaces().withName(NS).edit(n -> {
            n.getMetadata().getLabels().put("tier", "prod");
            return n;
        });
        awaitPolicy(p -> List.of("McpClusterPolicy/no-deletes", "McpClusterPolicy/prod-only", "McpNamespacePolicy/strict")
                .equals(p.getStatus().getBaselines()));
        assertThat(decide("drop_table").verdict()).isEqualTo(Verdict.DENIED);

        // A broken baseline keeps the last accepted policy in effect: layering never loosens because a layer broke.
        String before = configMapHash();
        admin.resources(McpNamespacePolicy.class).inNamespace(NS).withName("strict").edit(b -> {
            b.getSpec().getTools().get("export_*").setPin("sha256:" + "0".repeat(64));
            return b;
        });
        McpPolicy blocked = awaitPolicy(p -> isFalse(p, StatusConditions.ACCEPTED));
        assertThat(StatusConditions.find(blocked.getStatus().getConditions(), StatusConditions.ACCEPTED).getMessage())
                .startsWith("baseline McpNamespacePolicy/strict is not valid")
                .contains("spec.tools[\"export_*\"].pin: not allowed in a baseline");
        assertThat(StatusConditions.find(blocked.getStatus().getConditions(), StatusConditions.READY).getReason())
                .isEqualTo("LastAcceptedPolicyInEffect");
        assertThat(configMapHash()).isEqualTo(before);
        await().atMost(WAIT).until(() -> {
            McpNamespacePolicy b = admin.resources(McpNamespacePolicy.class).inNamespace(NS).withName("strict").get();
            Condition accepted = b.getStatus() == null ? null : StatusConditions.find(b.getStatus().getConditions(), StatusConditions.ACCEPTED);
            return accepted != null && "False".equals(accepted.getStatus()) && accepted.getMessage().contains("pin");
        });

        // Deleting the baseline lifts what it said.
        admin.resources(McpNamespacePolicy.class).inNamespace(NS).withName("strict").delete();
        awaitPolicy(p -> isTrue(p, StatusConditions.ACCEPTED)
                && List.of("McpClusterPolicy/no-deletes", "McpClusterPolicy/prod-only").equals(p.getStatus().getBaselines()));
        assertThat(decide("export_all").verdict()).isEqualTo(Verdict.ALLOWED);
        admin.resource(policy).delete();
    }

    @Test
    void theValidatingWebhookRefusesABrokenClusterBaselineWithItsSpecPath() {
        McpClusterPolicy broken = cluster("broken", null, "x_*");
        broken.getSpec().getTools().get("x_*").setAction(null);
        broken.getSpec().getTools().get("x_*").setPin("sha256:" + "1".repeat(64));
        KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class, () -> admin.resource(broken).create());
        assertThat(refused).isNotNull();
        assertThat(refused.getCode()).isEqualTo(422);
        assertThat(refused.getMessage()).contains("McpClusterPolicy broken is invalid")
                .contains("spec.tools[\"x_*\"].pin: not allowed in a baseline");
        assertThat(admin.resources(McpClusterPolicy.class).withName("broken").get()).isNull();
    }

    private static McpClusterPolicy cluster(String name, Map<String, String> namespaceLabels, String denied) {
        McpClusterPolicy baseline = new McpClusterPolicy();
        baseline.setMetadata(new ObjectMetaBuilder().withName(name).build());
        McpClusterPolicySpec spec = new McpClusterPolicySpec();
        if (namespaceLabels != null) {
            spec.setNamespaceSelector(new LabelSelectorBuilder().withMatchLabels(namespaceLabels).build());
        }
        spec.getTools().put(denied, deny(name));
        baseline.setSpec(spec);
        return baseline;
    }

    private static McpNamespacePolicy namespaceBaseline(String name, String denied) {
        McpNamespacePolicy baseline = new McpNamespacePolicy();
        baseline.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
        BaselineRules spec = new BaselineRules();
        spec.getTools().put(denied, deny(name));
        baseline.setSpec(spec);
        return baseline;
    }

    private static ToolRule deny(String why) {
        ToolRule rule = new ToolRule();
        rule.setAction(ToolRule.Action.DENY);
        rule.setReason("denied by " + why);
        return rule;
    }

    /** The decision of the policy the sidecars would read now (the ConfigMap's policy.json) for a call of {@code tool}. */
    private static Decision decide(String tool) throws Exception {
        String json = admin.configMaps().inNamespace(NS).withName(ToolgateNames.configMapName("layered")).get().getData().get("policy.json");
        return Policy.load(json, new RateLimiter()).decide(new ToolCall(tool, JSON.readTree("{}"), "agent", null));
    }

    private static String configMapHash() {
        return admin.configMaps().inNamespace(NS).withName(ToolgateNames.configMapName("layered")).get().getMetadata().getAnnotations()
                .get(ToolgateNames.POLICY_HASH_ANNOTATION);
    }

    private static McpPolicy awaitPolicy(Predicate<McpPolicy> condition) {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(
                () -> admin.resources(McpPolicy.class).inNamespace(NS).withName("layered").get(),
                p -> p != null && p.getStatus() != null && p.getStatus().getObservedGeneration() != null && condition.test(p));
    }

    private static boolean isTrue(McpPolicy policy, String type) {
        Condition c = StatusConditions.find(policy.getStatus().getConditions(), type);
        return c != null && "True".equals(c.getStatus());
    }

    private static boolean isFalse(McpPolicy policy, String type) {
        Condition c = StatusConditions.find(policy.getStatus().getConditions(), type);
        return c != null && "False".equals(c.getStatus());
    }
}
