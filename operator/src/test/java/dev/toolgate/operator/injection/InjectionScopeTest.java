package dev.toolgate.operator.injection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;

/** Which pods the API server sends to the webhook, and so which unprotected pods a restart can protect. */
class InjectionScopeTest {

    /** The chart's default selectors. */
    static final MutatingWebhookConfiguration CHART_DEFAULT = new MutatingWebhookConfigurationBuilder()
            .withNewMetadata().withName("toolgate-injector").endMetadata()
            .addNewWebhook().withName("pods.toolgate.dev")
            .withNewNamespaceSelector().addToMatchLabels("toolgate.dev/injection", "enabled").endNamespaceSelector()
            .withNewObjectSelector().addNewMatchExpression().withKey("toolgate.dev/inject").withOperator("NotIn").withValues("false")
            .endMatchExpression().endObjectSelector()
            .addNewRule().withApiGroups("").withApiVersions("v1").withOperations("CREATE").withResources("pods").endRule()
            .endWebhook()
            // The McpApproval webhook shares the configuration; it selects everything but never sees pods.
            .addNewWebhook().withName("approvals.toolgate.dev")
            .addNewRule().withApiGroups("toolgate.dev").withApiVersions("*").withOperations("CREATE", "UPDATE").withResources("mcpapprovals")
            .endRule().endWebhook().build();
    static final Map<String, String> ENABLED = Map.of("toolgate.dev/injection", "enabled");
    static final SidecarSettings SETTINGS = InjectionGoldenTest.NATIVE;

    /** namespace label | pod inject label | expected (- : sent to the webhook) */
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "enabled  | -     | -",
            "enabled  | true  | -",
            "enabled  | false | POD_NOT_SELECTED",
            "disabled | -     | NAMESPACE_NOT_SELECTED",
            "-        | -     | NAMESPACE_NOT_SELECTED",
            "-        | false | NAMESPACE_NOT_SELECTED",
    })
    void chartDefaults(String namespaceLabel, String podLabel, InjectionReason expected) {
        Map<String, String> namespace = namespaceLabel == null ? Map.of() : Map.of("toolgate.dev/injection", namespaceLabel);
        Map<String, String> pod = podLabel == null ? Map.of("app", "mcp") : Map.of("app", "mcp", "toolgate.dev/inject", podLabel);

        assertThat(InjectionScope.of(CHART_DEFAULT).excludes(namespace, pod)).isEqualTo(expected);
    }

    @Test
    void noConfigurationSendsNothingAndAbsentSelectorsSendEverything() {
        assertThat(InjectionScope.of(null).excludes(ENABLED, Map.of())).isEqualTo(InjectionReason.WEBHOOK_NOT_REGISTERED);
        MutatingWebhookConfiguration approvalsOnly = new MutatingWebhookConfigurationBuilder().withWebhooks(CHART_DEFAULT.getWebhooks().get(1))
                .build();
        assertThat(InjectionScope.of(approvalsOnly).excludes(ENABLED, Map.of())).isEqualTo(InjectionReason.WEBHOOK_NOT_REGISTERED);
        MutatingWebhookConfiguration unselective = new MutatingWebhookConfigurationBuilder().addNewWebhook().withName("w")
                .addNewRule().withApiGroups("*").withApiVersions("*").withOperations("*").withResources("*").endRule().endWebhook().build();
        assertThat(InjectionScope.of(unselective).excludes(Map.of(), Map.of("toolgate.dev/inject", "false"))).isNull();
    }

    @Test
    void aCustomSelectorFromTheChartValuesIsHonoured() {
        MutatingWebhookConfiguration optIn = new MutatingWebhookConfigurationBuilder().addNewWebhook().withName("w")
                .addNewRule().withApiGroups("").withApiVersions("v1").withOperations("CREATE").withResources("pods").endRule()
                .withObjectSelector(new LabelSelectorBuilder().addToMatchLabels("toolgate.dev/inject", "enabled").build()).endWebhook().build();
        assertThat(InjectionScope.of(optIn).excludes(Map.of(), Map.of("app", "mcp"))).isEqualTo(InjectionReason.POD_NOT_SELECTED);
        assertThat(InjectionScope.of(optIn).excludes(Map.of(), Map.of("toolgate.dev/inject", "enabled"))).isNull();
    }

    /** The restart question: every way a pod is left alone or refused, and the one way it gets the sidecar. */
    @Test
    void aNewPodIsInjectedOnlyWhenTheApiServerSendsItAndTheWebhookWouldInjectIt() {
        McpPolicy policy = InjectionDecisionTest.policy("p", "mcp", "2026-01-01T00:00:00Z");
        List<McpPolicy> policies = List.of(policy);
        InjectionScope scope = InjectionScope.of(CHART_DEFAULT);

        assertThat(decide(scope, ENABLED, pod(Map.of(), Map.of()), policies)).isEqualTo(InjectionReason.INJECTED);
        assertThat(decide(scope, Map.of(), pod(Map.of(), Map.of()), policies)).isEqualTo(InjectionReason.NAMESPACE_NOT_SELECTED);
        assertThat(decide(scope, ENABLED, pod(Map.of("toolgate.dev/inject", "false"), Map.of()), policies))
                .isEqualTo(InjectionReason.POD_NOT_SELECTED);
        assertThat(decide(scope, ENABLED, pod(Map.of(), Map.of("toolgate.dev/inject", "false")), policies)).isEqualTo(InjectionReason.OPTED_OUT);
        Pod hostNetwork = pod(Map.of(), Map.of());
        hostNetwork.getSpec().setHostNetwork(true);
        assertThat(decide(scope, ENABLED, hostNetwork, policies)).isEqualTo(InjectionReason.HOST_NETWORK);
        Pod clash = pod(Map.of(), Map.of());
        clash.getSpec().getContainers().get(0).getPorts().add(new io.fabric8.kubernetes.api.model.ContainerPortBuilder()
                .withContainerPort(9000).build());
        assertThat(decide(scope, ENABLED, clash, policies)).isEqualTo(InjectionReason.PORT_CLASH);
        McpPolicy badIdentity = InjectionDecisionTest.policy("p", "mcp", "2026-01-01T00:00:00Z");
        badIdentity.getSpec().setIdentity(new dev.toolgate.operator.mcppolicy.Identity());
        assertThat(decide(scope, ENABLED, pod(Map.of(), Map.of()), List.of(badIdentity))).isEqualTo(InjectionReason.INVALID_IDENTITY);
        assertThat(decide(scope, ENABLED, pod(Map.of(), Map.of()), List.of())).isEqualTo(InjectionReason.NO_MATCHING_POLICY);
    }

    private static InjectionReason decide(InjectionScope scope, Map<String, String> namespaceLabels, Pod pod, List<McpPolicy> policies) {
        return InjectionDecision.ofNewPod(scope, namespaceLabels, pod, policies, SETTINGS).reason();
    }

    private static Pod pod(Map<String, String> extraLabels, Map<String, String> annotations) {
        Map<String, String> labels = new java.util.HashMap<>(Map.of("app", "mcp"));
        labels.putAll(extraLabels);
        Pod pod = InjectionDecisionTest.pod(labels, annotations);
        pod.getSpec().getContainers().get(0).setPorts(new java.util.ArrayList<>(List.of(new io.fabric8.kubernetes.api.model.ContainerPortBuilder()
                .withName("mcp").withContainerPort(8080).build())));
        return pod;
    }
}
