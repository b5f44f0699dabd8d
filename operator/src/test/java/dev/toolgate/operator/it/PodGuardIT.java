package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.marcnuri.helm.Helm;

import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.testsupport.GoldenFiles;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * The chart's pod guard (ValidatingAdmissionPolicy {@code toolgate-selected-pods}, rendered by the real Helm engine)
 * on the real API server with no operator running, as during an outage: a pod is refused exactly when the operator's
 * own selector semantics ({@link LabelSelectors}) say one of its namespace's McpPolicies selects it and it is neither
 * injected, opted out nor {@code hostNetwork}. The binding is rendered for namespaces labelled {@link #LABEL} only, so
 * the other ITs on this API server never meet it.
 */
class PodGuardIT {

    private static final String LABEL = "toolgate.dev/it-pod-guard";
    private static final String NS = "pod-guard";
    private static final String NS_ALL = "pod-guard-all";
    private static KubernetesClient admin;
    private static List<HasMetadata> guard;

    /** In, NotIn, Exists and DoesNotExist at once, beside a label. */
    private static final LabelSelector SELECTOR = new LabelSelectorBuilder()
            .addToMatchLabels("team", "payments")
            .addNewMatchExpression().withKey("app").withOperator("In").withValues("a", "b").endMatchExpression()
            .addNewMatchExpression().withKey("tier").withOperator("NotIn").withValues("db").endMatchExpression()
            .addNewMatchExpression().withKey("track").withOperator("Exists").endMatchExpression()
            .addNewMatchExpression().withKey("legacy").withOperator("DoesNotExist").endMatchExpression()
            .build();

    @BeforeAll
    static void installTheGuard() throws Exception {
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        Path chart = Path.of(System.getProperty("toolgate.chart.manifests"), "chart", "toolgate");
        String manifests = new Helm(chart).template().withName("toolgate").withNamespace(KubeApiServers.OPERATOR_NAMESPACE)
                .withKubeVersion("1.32.0").set("webhook.namespaceSelector.matchLabels", "null")
                .set("webhook.namespaceSelector.matchExpressions[0].key", LABEL)
                .set("webhook.namespaceSelector.matchExpressions[0].operator", "In")
                .set("webhook.namespaceSelector.matchExpressions[0].values[0]", "enabled").call();
        String podGuard = java.util.Arrays.stream(manifests.split("(?m)^---\\s*$"))
                .filter(doc -> doc.contains("# Source: toolgate/templates/podguard.yaml")).reduce("", (a, b) -> a + "\n---\n" + b);
        guard = admin.load(new ByteArrayInputStream(podGuard.getBytes(StandardCharsets.UTF_8))).items();
        assertThat(guard).extracting(HasMetadata::getKind).containsExactly("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding");
        guard.forEach(object -> admin.resource(object).createOr(op -> op.update()));

        for (String ns : List.of(NS, NS_ALL)) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).addToLabels(LABEL, "enabled").endMetadata()
                    .build()).createOr(op -> op.update());
            admin.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName("default").endMetadata()
                    .build()).createOr(op -> op.update());
        }
        admin.resource(policy("strict", NS, SELECTOR)).createOr(op -> op.update());
        admin.resource(policy("everything", NS_ALL, new LabelSelector())).createOr(op -> op.update());
        // The API server loads policies, bindings and their parameters asynchronously.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> refusal(pod(NS_ALL, "probe", Map.of()), false) != null);
    }

    @AfterAll
    static void remove() {
        if (admin != null && guard != null) {
            guard.forEach(object -> admin.resource(object).delete());
            admin.namespaces().withName(NS).delete();
            admin.namespaces().withName(NS_ALL).delete();
            admin.close();
        }
    }

    @Test
    void refusesExactlyThePodsThePolicySelectsAsTheOperatorReadsItsSelector() {
        Map<String, Map<String, String>> cases = new LinkedHashMap<>();
        cases.put("all-match", Map.of("team", "payments", "app", "a", "track", "x"));
        cases.put("other-in-value", Map.of("team", "payments", "app", "b", "track", "x", "tier", "web"));
        cases.put("in-missing-value", Map.of("team", "payments", "app", "c", "track", "x"));
        cases.put("in-missing-key", Map.of("team", "payments", "track", "x"));
        cases.put("notin-excluded", Map.of("team", "payments", "app", "a", "track", "x", "tier", "db"));
        cases.put("exists-missing", Map.of("team", "payments", "app", "a"));
        cases.put("doesnotexist-present", Map.of("team", "payments", "app", "a", "track", "x", "legacy", "1"));
        cases.put("label-differs", Map.of("team", "billing", "app", "a", "track", "x"));
        cases.put("no-labels", Map.of());
        for (var c : cases.entrySet()) {
            boolean selected = LabelSelectors.matches(SELECTOR, c.getValue());
            String refusal = refusal(pod(NS, c.getKey(), c.getValue()), true);
            assertThat(refusal != null).as("%s %s (selected by the operator's reading: %s), refusal: %s", c.getKey(), c.getValue(), selected,
                    refusal).isEqualTo(selected);
            if (selected) {
                assertThat(refusal).contains("ValidatingAdmissionPolicy 'toolgate-selected-pods'")
                        .contains("toolgate: McpPolicy strict selects this pod, but the Toolgate injection webhook did not add the toolgate-sidecar");
            }
        }
        assertThat(cases.keySet().stream().filter(k -> LabelSelectors.matches(SELECTOR, cases.get(k)))).containsExactly("all-match",
                "other-in-value");
    }

    @Test
    void aSelectedPodPassesWithTheSidecarTheOptOutAnnotationOrHostNetworkAsTheWebhookWouldAdmitIt() {
        Map<String, String> selected = Map.of("team", "payments", "app", "a", "track", "x");
        Pod injected = new PodBuilder(pod(NS, "injected", selected)).editSpec().addNewInitContainer().withName(ToolgateNames.SIDECAR_CONTAINER)
                .withImage("ghcr.io/toolgate-dev/sidecar:it").withRestartPolicy("Always").endInitContainer().endSpec().build();
        assertThat(refusal(injected, true)).isNull();
        Pod asContainer = new PodBuilder(pod(NS, "injected-container", selected)).editSpec().addNewContainer()
                .withName(ToolgateNames.SIDECAR_CONTAINER).withImage("ghcr.io/toolgate-dev/sidecar:it").endContainer().endSpec().build();
        assertThat(refusal(asContainer, true)).as("the sidecar as a regular container (clusters without native sidecars)").isNull();
        Pod optedOut = new PodBuilder(pod(NS, "opted-out", selected)).editMetadata().addToAnnotations(ToolgateNames.INJECT_ANNOTATION, "False")
                .endMetadata().build();
        assertThat(refusal(optedOut, true)).as("the annotation, read as the webhook reads it (case-insensitively)").isNull();
        Pod hostNetwork = new PodBuilder(pod(NS, "host-network", selected)).editSpec().withHostNetwork(true).endSpec().build();
        assertThat(refusal(hostNetwork, true)).isNull();
        Pod otherAnnotation = new PodBuilder(pod(NS, "annotated-true", selected)).editMetadata()
                .addToAnnotations(ToolgateNames.INJECT_ANNOTATION, "true").endMetadata().build();
        assertThat(refusal(otherAnnotation, true)).as("only \"false\" opts out").isNotNull();
    }

    @Test
    void anEmptyPodSelectorGuardsEveryPodOfItsNamespaceAndNoOther() {
        assertThat(refusal(pod(NS_ALL, "any", Map.of("app", "redis")), true)).contains("McpPolicy everything selects this pod");
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("pod-guard-unlabelled").endMetadata().build())
                .createOr(op -> op.update());
        admin.serviceAccounts().inNamespace("pod-guard-unlabelled").resource(new ServiceAccountBuilder().withNewMetadata().withName("default")
                .endMetadata().build()).createOr(op -> op.update());
        admin.resource(policy("everything", "pod-guard-unlabelled", new LabelSelector())).createOr(op -> op.update());
        assertThat(refusal(pod("pod-guard-unlabelled", "outside", Map.of()), true)).as("a namespace outside the webhook's selector").isNull();
        admin.namespaces().withName("pod-guard-unlabelled").delete();
    }

    /** Creates the pod; null when admitted (then deleted again unless {@code keep}), else the API server's message. */
    private static String refusal(Pod pod, boolean keep) {
        try {
            admin.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
            if (!keep) {
                admin.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
                await().atMost(Duration.ofSeconds(10)).until(() -> admin.pods().inNamespace(pod.getMetadata().getNamespace())
                        .withName(pod.getMetadata().getName()).get() == null);
            }
            return null;
        } catch (KubernetesClientException e) {
            return e.getMessage();
        }
    }

    private static McpPolicy policy(String name, String namespace, LabelSelector selector) {
        try {
            McpPolicy policy = GoldenFiles.YAML.readValue(PodGuardIT.class.getResource("/golden/configmap/in-minimal-deny.yaml"), McpPolicy.class);
            policy.getMetadata().setUid(null);
            policy.getMetadata().setName(name);
            policy.getMetadata().setNamespace(namespace);
            policy.getSpec().setPodSelector(selector);
            return policy;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Pod pod(String namespace, String name, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("server").withImage("example/mcp:1")
                .addNewPort().withName("mcp").withContainerPort(8080).endPort().endContainer().endSpec().build();
    }
}
