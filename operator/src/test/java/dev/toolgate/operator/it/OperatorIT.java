package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.Limit;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.StatusConditions;
import dev.toolgate.operator.mcppolicy.ToolRule;
import dev.toolgate.testsupport.GoldenFiles;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The operator (this Quarkus application, running as its ServiceAccount under the shipped RBAC) against a real
 * kube-apiserver: policy lifecycle, rejection, and the injection webhook called by the API server itself.
 */
@QuarkusTest
@WithTestResource(OperatorUnderTest.class)
class OperatorIT {

    private static final String NS = OperatorUnderTest.APP_NAMESPACE;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static KubernetesClient admin;
    private static ControllerManager controllerManager;

    @BeforeAll
    static void connect() {
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        controllerManager = ControllerManager.startGarbageCollector();
    }

    @AfterAll
    static void close() throws InterruptedException {
        admin.close();
        if (controllerManager != null) {
            controllerManager.close();
        }
    }

    @Test
    void createUpdateRejectAndDelete() throws Exception {
        McpPolicy policy = load("/golden/configmap/in-approval-and-denyif.yaml", "lifecycle", "lifecycle-app");
        McpPolicy created = admin.resource(policy).create();

        McpPolicy accepted = awaitStatus("lifecycle", p -> p.getStatus().getObservedGeneration() == 1 && isTrue(p, "Ready"));
        ConfigMap configMap = configMap("lifecycle");
        assertThat(configMap.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "toolgate-operator")
                .containsEntry("toolgate.dev/policy", "lifecycle");
        assertThat(configMap.getMetadata().getAnnotations()).containsEntry(ToolgateNames.POLICY_HASH_ANNOTATION,
                accepted.getStatus().getPolicyHash());
        assertThat(configMap.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getUid()).isEqualTo(created.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
        });
        assertThat(configMap.getData().get("policy.json")).contains("\"deny_if\"").contains("\"on_deny\"");
        assertThat(accepted.getStatus().getConfigMapName()).isEqualTo("lifecycle-toolgate-policy");
        assertThat(accepted.getStatus().getToolCount()).isEqualTo(2);
        String acceptedTransition = condition(accepted, "Accepted").getLastTransitionTime();
        assertThat(kubectl("get", "mcpp", "lifecycle", "-n", NS)).as("kubectl get by short name, printer columns")
                .containsPattern("NAME\\s+DEFAULT\\s+TOOLS\\s+IDENTITY\\s+READY\\s+CONFLICTED\\s+COUNTERS\\s+AGE\\n")
                .containsPattern("lifecycle\\s+deny\\s+2\\s+none\\s+True\\s+False\\s+(<none>\\s+)?\\S+\\n"); // local counters: no COUNTERS

        // Update: a new tool changes the document and its hash.
        edit("lifecycle", p -> {
            ToolRule deny = new ToolRule();
            deny.setAction(ToolRule.Action.DENY);
            p.getSpec().getTools().put("drop_table", deny);
            return p;
        });
        McpPolicy updated = awaitStatus("lifecycle", p -> p.getStatus().getObservedGeneration() == 2 && isTrue(p, "Ready"));
        assertThat(updated.getStatus().getPolicyHash()).isNotEqualTo(accepted.getStatus().getPolicyHash());
        assertThat(configMap("lifecycle").getMetadata().getAnnotations())
                .containsEntry(ToolgateNames.POLICY_HASH_ANNOTATION, updated.getStatus().getPolicyHash());
        assertThat(configMap("lifecycle").getData().get("policy.json")).contains("drop_table");
        assertThat(condition(updated, "Accepted").getLastTransitionTime()).as("unchanged condition keeps its transition time")
                .isEqualTo(acceptedTransition);

        // Invalid update (two limits disagree on one counter): rejected, the last good ConfigMap stays.
        edit("lifecycle", p -> {
            p.getSpec().setLimits(List.of(limit("shared", 10), limit("shared", 20)));
            return p;
        });
        McpPolicy rejected = awaitStatus("lifecycle", p -> p.getStatus().getObservedGeneration() == 3 && isFalse(p, "Accepted"));
        assertThat(condition(rejected, "Accepted").getMessage()).startsWith("spec.limits[");
        assertThat(condition(rejected, "Ready").getReason()).isEqualTo("LastAcceptedPolicyInEffect");
        assertThat(rejected.getStatus().getPolicyHash()).isEqualTo(updated.getStatus().getPolicyHash());
        assertThat(configMap("lifecycle").getMetadata().getAnnotations())
                .containsEntry(ToolgateNames.POLICY_HASH_ANNOTATION, updated.getStatus().getPolicyHash());
        await().atMost(WAIT).until(() -> events("lifecycle").stream().anyMatch(e -> "PolicyRejected".equals(e.getReason())));

        String series = "toolgate_operator_unprotected_pods{policy=\"lifecycle\",policy_namespace=\"" + NS + "\"} 0.0";
        await().atMost(WAIT).until(() -> metrics().contains(series));

        // Delete: the policy goes; its ConfigMap is a controlled dependent the garbage collector removes.
        admin.resource(created).delete();
        await().atMost(WAIT).until(() -> admin.resources(McpPolicy.class).inNamespace(NS).withName("lifecycle").get() == null);
        await().atMost(WAIT).until(() -> !metrics().contains("policy=\"lifecycle\""));
        // kube-controller-manager's garbage collector (started for this class) removes the owned ConfigMap.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> assertThat(configMap("lifecycle"))
                .as(() -> "ConfigMap not garbage-collected; kube-controller-manager (alive: " + controllerManager.isAlive() + ") log:\n"
                        + controllerManager.logTail(40))
                .isNull());
    }

    @Test
    void theSelectedPodsTakeIngressOnlyOnTheirDeclaredPortsThroughAnOwnedNetworkPolicy() throws Exception {
        McpPolicy created = admin.resource(load("/golden/configmap/in-approval-and-denyif.yaml", "netpol", "netpol-app")).create(); // MCP port 8080
        Pod pod = new PodBuilder(pod("netpol-1", "netpol-app", Map.of())).editSpec().addNewContainer().withName("exporter")
                .withImage("example/exporter:1").addNewPort().withName("metrics").withContainerPort(9102).endPort().endContainer()
                .endSpec().build();
        Pod injected = admin.resource(pod).create();
        assertThat(injected.getSpec().getInitContainers()).extracting(io.fabric8.kubernetes.api.model.Container::getName)
                .contains(ToolgateNames.SIDECAR_CONTAINER);

        String name = "netpol-toolgate-policy";
        awaitStatus("netpol", p -> name.equals(p.getStatus().getNetworkPolicyName())
                && Integer.valueOf(1).equals(p.getStatus().getPodsWithSidecar()));
        java.util.function.Supplier<List<String>> ports = () -> {
            var np = admin.network().v1().networkPolicies().inNamespace(NS).withName(name).get();
            return np == null ? List.of() : np.getSpec().getIngress().get(0).getPorts().stream()
                    .map(p -> p.getPort().getIntVal() + "/" + p.getProtocol()).toList();
        };
        await().atMost(WAIT).until(() -> ports.get().contains("9102/TCP"));
        var np = admin.network().v1().networkPolicies().inNamespace(NS).withName(name).get();
        assertThat(np.getSpec().getPodSelector().getMatchLabels()).containsExactly(Map.entry("app", "netpol-app"));
        assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress");
        assertThat(np.getSpec().getIngress().get(0).getFrom()).isNullOrEmpty();
        assertThat(ports.get()).as("the sidecar's proxy and management ports and the exporter's; not the MCP port")
                .containsExactly("8090/TCP", "9000/TCP", "9102/TCP");
        assertThat(np.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getUid()).isEqualTo(created.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
        });

        // Someone opens the MCP port in it: the operator writes its rules back.
        admin.network().v1().networkPolicies().inNamespace(NS).withName(name).edit(n -> {
            n.getSpec().getIngress().get(0).getPorts().add(new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder()
                    .withProtocol("TCP").withPort(new IntOrString(8080)).build());
            return n;
        });
        await().atMost(WAIT).until(() -> !ports.get().contains("8080/TCP") && ports.get().contains("9102/TCP"));

        // A NetworkPolicy of the user's that lets all ingress in reopens the MCP port: named in the status and an Event.
        admin.network().v1().networkPolicies().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder()
                .withNewMetadata().withName("allow-all-ingress").endMetadata()
                .withNewSpec().withNewPodSelector().addToMatchLabels("app", "netpol-app").endPodSelector().addNewIngress().endIngress()
                .endSpec().build()).create();
        awaitStatus("netpol", p -> List.of("allow-all-ingress").equals(p.getStatus().getReopeningNetworkPolicies()));
        await().atMost(WAIT).until(() -> events("netpol").stream().anyMatch(e -> "SidecarBypassed".equals(e.getReason())
                && e.getMessage().contains("allow-all-ingress") && e.getMessage().contains("MCP port 8080")));
        admin.network().v1().networkPolicies().inNamespace(NS).withName("allow-all-ingress").delete();
        awaitStatus("netpol", p -> p.getStatus().getReopeningNetworkPolicies() == null);

        // Only its own: as the operator, a NetworkPolicy of another name is refused by the chart's admission policy.
        try (KubernetesClient asOperator = new KubernetesClientBuilder().withConfig(KubeApiServers.asOperator()).build()) {
            // (the API server loads admission policies asynchronously: one it let through before is removed, and tried again)
            KubernetesClientException refused = await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
                KubernetesClientException e = catchThrowableOfType(KubernetesClientException.class, () -> asOperator.network().v1()
                        .networkPolicies().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder()
                                .withNewMetadata().withName("allow-everything").addToLabels(ToolgateNames.MANAGED_BY_LABEL,
                                        ToolgateNames.MANAGED_BY_VALUE).endMetadata()
                                .withNewSpec().withNewPodSelector().endPodSelector().addNewIngress().endIngress().endSpec().build()).create());
                if (e == null) {
                    admin.network().v1().networkPolicies().inNamespace(NS).withName("allow-everything").delete();
                }
                return e;
            }, java.util.Objects::nonNull);
            assertThat(refused.getCode()).isEqualTo(403);
            assertThat(refused.getMessage()).contains("toolgate-operator-configmaps");
        }

        // Deleting the policy deletes its NetworkPolicy (the garbage collector, by the owner reference).
        admin.pods().inNamespace(NS).withName("netpol-1").withGracePeriod(0).delete();
        admin.resource(created).delete();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> assertThat(
                admin.network().v1().networkPolicies().inNamespace(NS).withName(name).get())
                .as(() -> "NetworkPolicy not garbage-collected; kube-controller-manager log:\n" + controllerManager.logTail(40)).isNull());
    }

    @Test
    void specsTheSchemaCannotJudgeAreRejectedWithTheirSpecPath() throws Exception {
        try (Stream<Path> fixtures = Files.list(Path.of(getClass().getResource("/crd-fixtures/rejected-by-operator").toURI()))) {
            for (Path fixture : fixtures.sorted().toList()) {
                // Sent as written, as kubectl does: a typed McpPolicy would not carry a misspelt field.
                GenericKubernetesResource policy = GoldenFiles.YAML.readValue(fixture.toFile(), GenericKubernetesResource.class);
                policy.getMetadata().setNamespace(NS);
                admin.genericKubernetesResources("toolgate.dev/v1alpha1", "McpPolicy").inNamespace(NS).resource(policy).create();
                McpPolicy rejected = awaitStatus(policy.getMetadata().getName(), p -> isFalse(p, "Accepted"));
                assertThat(condition(rejected, "Accepted").getMessage()).as(fixture.getFileName().toString()).startsWith("spec.tools[");
                assertThat(condition(rejected, "Ready").getReason()).isEqualTo("NoAcceptedPolicy");
                assertThat(admin.configMaps().inNamespace(NS).withName(ToolgateNames.configMapName(policy.getMetadata().getName())).get())
                        .isNull();
                admin.resource(rejected).delete();
            }
        }
    }

    @Test
    void theApiServerCallsTheWebhookWhichInjectsSelectedPodsOnly() throws Exception {
        McpPolicy policy = load("/golden/configmap/in-minimal-deny.yaml", "inject", "mcp");
        policy.getSpec().setPodSelector(new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().addToMatchLabels("app", "mcp").build());
        admin.resource(policy).create();
        McpPolicy ready = awaitStatus("inject", p -> isTrue(p, "Ready"));

        Pod injected = admin.resource(pod("mcp-0", "mcp", Map.of())).create();
        Pod optedOut = admin.resource(pod("mcp-debug", "mcp", Map.of(ToolgateNames.INJECT_ANNOTATION, "false"))).create();
        Pod other = admin.resource(pod("web-0", "web", Map.of())).create();

        Container sidecar = injected.getSpec().getInitContainers().stream()
                .filter(c -> c.getName().equals(ToolgateNames.SIDECAR_CONTAINER)).findFirst().orElseThrow();
        assertThat(sidecar.getRestartPolicy()).as("native sidecar on Kubernetes 1.37").isEqualTo("Always");
        assertThat(sidecar.getPorts()).extracting(p -> p.getName()).containsExactly("mcp", "tg-mgmt");
        assertThat(sidecar.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("TOOLGATE_UPSTREAM");
            assertThat(e.getValue()).isEqualTo("http://127.0.0.1:8080");
        });
        assertThat(injected.getSpec().getContainers().get(0).getPorts().get(0).getName()).isEqualTo(ToolgateNames.UPSTREAM_PORT_NAME);
        assertThat(injected.getMetadata().getAnnotations()).containsEntry(ToolgateNames.POLICY_ANNOTATION, "inject")
                .containsEntry(ToolgateNames.POLICY_HASH_ANNOTATION, ready.getStatus().getPolicyHash());
        assertThat(injected.getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getConfigMap().getName()).isEqualTo("inject-toolgate-policy"));
        for (Pod untouched : List.of(optedOut, other)) {
            assertThat(untouched.getSpec().getInitContainers()).isNullOrEmpty();
            assertThat(untouched.getSpec().getContainers()).extracting(Container::getName).containsExactly("server");
            assertThat(untouched.getMetadata().getAnnotations()).doesNotContainKey(ToolgateNames.POLICY_ANNOTATION);
        }

        // A Service reaching the MCP port by number bypasses the sidecar on the pod without it: reported in status and an Event.
        admin.resource(new ServiceBuilder().withNewMetadata().withName("mcp-by-number").withNamespace(NS).endMetadata()
                .withNewSpec().addToSelector("app", "mcp").addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).endPort()
                .endSpec().build()).create();
        McpPolicy reported = awaitStatus("inject", p -> p.getStatus().getBypassingServices() != null);
        assertThat(reported.getStatus().getBypassingServices()).containsExactly("mcp-by-number:8080");
        assertThat(reported.getStatus().getPodsWithSidecar()).isEqualTo(1);
        assertThat(reported.getStatus().getPodsWithoutSidecar()).isEqualTo(1);
        await().atMost(WAIT).until(() -> events("inject").stream().anyMatch(e -> "SidecarBypassed".equals(e.getReason())));

        // The operator patched its CA bundle into the webhook configuration (the API server could not have called it otherwise).
        assertThat(admin.admissionRegistration().v1().mutatingWebhookConfigurations().withName(ToolgateNames.WEBHOOK_CONFIGURATION).get()
                .getWebhooks().get(0).getClientConfig().getCaBundle()).isNotBlank();
        assertThat(admin.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET).get()
                .getData()).containsKeys("tls.crt", "tls.key", "ca.crt");

        // The opted-out pod is selected and unprotected: the operator's gauge says so (refreshed from the policy cache).
        await().atMost(WAIT).until(() -> metrics().contains("toolgate_operator_unprotected_pods{policy=\"inject\",policy_namespace=\"" + NS + "\"} 1.0"));
        String metrics = metrics();
        assertThat(metrics).contains("toolgate_operator_admission_requests_total{reason=\"injected\",result=\"injected\"}")
                .contains("toolgate_operator_admission_requests_total{reason=\"opted_out\",result=\"skipped\"}")
                .contains("toolgate_operator_reconciles_total{result=\"accepted\"}");
    }

    @Test
    void aNewerPolicyOnTheSamePodsIsConflictedUntilThePodsAreInjectedWithIt() throws Exception {
        McpPolicy older = admin.resource(load("/golden/configmap/in-minimal-deny.yaml", "claim-a", "claimed")).create();
        awaitStatus("claim-a", p -> isTrue(p, "Ready"));
        // through the real webhook: injected with claim-a, the only policy there is
        for (String name : List.of("claimed-0", "claimed-1")) {
            assertThat(admin.resource(pod(name, "claimed", Map.of())).create().getMetadata().getAnnotations())
                    .containsEntry(ToolgateNames.POLICY_ANNOTATION, "claim-a");
        }
        Pod optedOut = admin.resource(pod("claimed-debug", "claimed", Map.of(ToolgateNames.INJECT_ANNOTATION, "false"))).create();
        // creationTimestamp has whole seconds: the newer policy must be newer, not tied (a tie goes by name)
        await().atMost(WAIT).until(() -> java.time.Instant.now().isAfter(java.time.Instant.parse(older.getMetadata().getCreationTimestamp())
                .plusSeconds(1)));
        admin.resource(load("/golden/configmap/in-minimal-deny.yaml", "claim-b", "claimed")).create();

        McpPolicy newer = awaitStatus("claim-b", p -> isTrue(p, "Conflicted"));
        assertThat(condition(newer, "Conflicted").getReason()).isEqualTo("LostToOlderPolicy");
        assertThat(condition(newer, "Conflicted").getMessage())
                .startsWith("3 selected pod(s) are governed by other McpPolicies: claim-a (claimed-0, claimed-1, claimed-debug).");
        assertThat(condition(newer, "Ready").getStatus()).isEqualTo("False");
        assertThat(condition(newer, "Ready").getReason()).isEqualTo("Conflicted");
        assertThat(newer.getStatus().getPodsGovernedByOthers()).isEqualTo(3);
        assertThat(newer.getStatus().getPodsWithSidecar()).as("no pod enforces claim-b").isZero();
        assertThat(newer.getStatus().getPodsWithoutSidecar()).isZero();
        assertThat(newer.getStatus().getOverlappingPolicies()).containsExactly("claim-a");
        // the older policy is reconciled again when the newer one appears: it lists it, and governs all three pods
        McpPolicy winner = awaitStatus("claim-a", p -> p.getStatus().getOverlappingPolicies() != null);
        assertThat(winner.getStatus().getOverlappingPolicies()).containsExactly("claim-b");
        assertThat(condition(winner, "Conflicted").getStatus()).isEqualTo("False");
        assertThat(condition(winner, "Conflicted").getReason()).isEqualTo("NoConflict");
        assertThat(winner.getStatus().getPodsWithSidecar()).isEqualTo(2);
        assertThat(winner.getStatus().getPodsWithoutSidecar()).isEqualTo(1);
        assertThat(winner.getStatus().getPodsGovernedByOthers()).isZero();
        assertThat(condition(winner, "Ready").getReason()).as("the opted-out pod").isEqualTo("PodsWithoutSidecar");
        await().atMost(WAIT).until(() -> events("claim-b").stream().anyMatch(e -> "Conflicted".equals(e.getReason())
                && e.getMessage().contains("claim-a (claimed-0, claimed-1, claimed-debug)")));
        assertThat(kubectl("get", "mcpp", "claim-b", "-n", NS)).containsPattern("claim-b\\s+deny\\s+0\\s+none\\s+False\\s+True\\s+");

        // The older policy goes: its sidecars still run in the pods injected with it, so claim-b still loses those.
        admin.resources(McpPolicy.class).inNamespace(NS).withName("claim-a").delete();
        McpPolicy alone = awaitStatus("claim-b", p -> p.getStatus().getOverlappingPolicies() == null);
        assertThat(alone.getStatus().getPodsGovernedByOthers()).isEqualTo(2);
        assertThat(alone.getStatus().getPodsWithoutSidecar()).as("the opted-out pod is now claim-b's").isEqualTo(1);
        assertThat(condition(alone, "Conflicted").getStatus()).isEqualTo("True");
        assertThat(condition(alone, "Conflicted").getMessage()).startsWith("2 selected pod(s) are governed by other McpPolicies: claim-a"
                + " (claimed-0, claimed-1).");
        assertThat(condition(alone, "Ready").getReason()).isEqualTo("Conflicted");

        // Re-created (as a rollout would), the pods are injected with claim-b: no conflict left.
        for (String name : List.of("claimed-0", "claimed-1")) {
            admin.pods().inNamespace(NS).withName(name).withGracePeriod(0).delete();
            await().atMost(WAIT).until(() -> admin.pods().inNamespace(NS).withName(name).get() == null);
            assertThat(admin.resource(pod(name, "claimed", Map.of())).create().getMetadata().getAnnotations())
                    .containsEntry(ToolgateNames.POLICY_ANNOTATION, "claim-b");
        }
        McpPolicy resolved = awaitStatus("claim-b", p -> isFalse(p, "Conflicted"));
        assertThat(condition(resolved, "Conflicted").getReason()).isEqualTo("NoConflict");
        assertThat(resolved.getStatus().getPodsGovernedByOthers()).isZero();
        assertThat(resolved.getStatus().getPodsWithSidecar()).isEqualTo(2);
        assertThat(condition(resolved, "Ready").getReason()).isEqualTo("PodsWithoutSidecar");
        admin.resource(optedOut).withGracePeriod(0).delete();
        McpPolicy ready = awaitStatus("claim-b", p -> isTrue(p, "Ready"));
        assertThat(condition(ready, "Ready").getReason()).isEqualTo("ConfigMapRendered");
        admin.resources(McpPolicy.class).inNamespace(NS).withName("claim-b").delete();
    }

    @Test
    void grantsAreRenderedAndAServiceAccountIdentityReachesTheInjectedSidecar() throws Exception {
        McpPolicy policy = load("/golden/configmap/in-grants.yaml", "shop", "shop");
        admin.resource(policy).create();
        McpPolicy ready = awaitStatus("shop", p -> isTrue(p, "Ready"));
        assertThat(ready.getStatus().getIdentityMode()).isEqualTo("serviceAccount");
        String rendered = configMap("shop").getData().get("policy.json");
        assertThat(dev.toolgate.policy.PolicyDocument.parse(rendered).hash()).isEqualTo(ready.getStatus().getPolicyHash());
        dev.toolgate.policy.Policy compiled = dev.toolgate.policy.Policy.load(rendered, new dev.toolgate.policy.InMemoryCounterStore());
        assertThat(compiled.grantNames()).containsExactly("billing-bot", "finance");
        var bot = new dev.toolgate.policy.Caller("system:serviceaccount:shop:billing-bot", java.util.Set.of(),
                dev.toolgate.policy.Caller.Source.SERVICE_ACCOUNT);
        dev.toolgate.policy.Decision decision = compiled.decide(new dev.toolgate.policy.ToolCall("update_customer", null, bot, null));
        assertThat(decision.allowed()).isTrue();
        assertThat(decision.grant()).isEqualTo("billing-bot");
        assertThat(kubectl("get", "mcpp", "shop", "-n", NS)).containsPattern("shop\\s+deny\\s+2\\s+serviceAccount\\s+True\\s+False\\s+\\S+\\n");

        Pod pod = pod("shop-0", "shop", Map.of());
        pod.getSpec().setAutomountServiceAccountToken(false);
        // set by the API server's ServiceAccount admission in a cluster; this API server runs without it
        pod.getSpec().setServiceAccountName("default");
        Pod injected = admin.resource(pod).create();
        Container sidecar = injected.getSpec().getInitContainers().stream()
                .filter(c -> c.getName().equals(ToolgateNames.SIDECAR_CONTAINER)).findFirst().orElseThrow();
        assertThat(sidecar.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("TOOLGATE_IDENTITY_SERVICE_ACCOUNT_AUDIENCES");
            assertThat(e.getValue()).isEqualTo("toolgate");
        });
        assertThat(sidecar.getEnv()).noneMatch(e -> e.getName().equals("TOOLGATE_IDENTITY_HEADER"));
        assertThat(sidecar.getVolumeMounts()).filteredOn(m -> m.getMountPath().equals(ToolgateNames.SERVICE_ACCOUNT_TOKEN_MOUNT_PATH))
                .singleElement().satisfies(m -> assertThat(m.getName()).isEqualTo(ToolgateNames.SERVICE_ACCOUNT_TOKEN_VOLUME));
        assertThat(injected.getSpec().getVolumes()).filteredOn(v -> v.getName().equals(ToolgateNames.SERVICE_ACCOUNT_TOKEN_VOLUME))
                .singleElement().satisfies(v -> assertThat(v.getProjected().getSources()).anySatisfy(source ->
                        assertThat(source.getServiceAccountToken().getPath()).isEqualTo("token")));
        assertThat(injected.getSpec().getContainers().get(0).getVolumeMounts()).as("the MCP server gets no token")
                .noneMatch(m -> m.getMountPath().equals(ToolgateNames.SERVICE_ACCOUNT_TOKEN_MOUNT_PATH));

        // An identity that is not accepted: nothing rendered, the last ConfigMap stays, and new pods are refused.
        // a JSON patch, as kubectl sends it: the typed client would drop the empty list
        admin.resources(McpPolicy.class).inNamespace(NS).withName("shop").patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON),
                "[{\"op\":\"add\",\"path\":\"/spec/identity/header\",\"value\":\"X-Agent-Id\"},"
                        + "{\"op\":\"replace\",\"path\":\"/spec/identity/serviceAccount/audiences\",\"value\":[]}]");
        McpPolicy rejected = awaitStatus("shop", p -> p.getStatus().getObservedGeneration() == 2 && isFalse(p, "Accepted"));
        assertThat(condition(rejected, "Accepted").getMessage()).isEqualTo("spec.identity.header: a trusted header cannot be combined"
                + " with jwt or serviceAccount: with a verified source the sidecar ignores and removes client-sent identity headers;"
                + " remove header (forwardHeader passes the verified subject to the MCP server); spec.identity.serviceAccount.audiences:"
                + " expected at least one audience; a token is accepted only when its aud names one of them");
        assertThat(condition(rejected, "Ready").getReason()).isEqualTo("LastAcceptedPolicyInEffect");
        assertThat(configMap("shop").getData().get("policy.json")).isEqualTo(rendered);
        KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                () -> admin.resource(pod("shop-1", "shop", Map.of())).create());
        assertThat(refused.getCode()).isEqualTo(400);
        assertThat(refused.getMessage()).contains("McpPolicy shop selects this pod but its identity configuration is invalid")
                .contains("spec.identity.serviceAccount.audiences");
    }

    @Test
    void invalidGrantsAndIdentityAreReportedTogetherWithTheirSpecPaths() throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue("""
                apiVersion: toolgate.dev/v1alpha1
                kind: McpPolicy
                metadata: {name: bad-grants, namespace: %s}
                spec:
                  podSelector: {matchLabels: {app: bad-grants}}
                  upstream: {port: 8080}
                  identity:
                    jwt: {issuer: "http://login.example.com/#realm", audiences: [mcp]}
                  default: deny
                  grants:
                    - name: everyone
                      callers: {subjects: ["*"]}
                      tools: {"update_*": {}}
                    - name: everyone
                      callers: {subjects: [bot], groups: ["fin*"]}
                      tools: {update_customer: {denyIf: [{conditions: [{arg: amount, op: gt, value: "1"}]}]}}
                """.formatted(NS), McpPolicy.class);
        admin.resource(policy).create();
        McpPolicy rejected = awaitStatus("bad-grants", p -> isFalse(p, "Accepted"));
        assertThat(condition(rejected, "Accepted").getMessage().split("; (?=spec\\.)")).containsExactly(
                "spec.identity.jwt.issuer: expected an https URL without query or fragment, got \"http://login.example.com/#realm\""
                        + " (the scheme must be https)",
                "spec.grants[1].name: grant name \"everyone\" is already used by grants[0]; grant names must be unique (they name the"
                        + " deciding grant in decisions, audit lines and metrics, and key its grant-scoped counters)",
                "spec.grants[1].callers.groups[0]: groups are matched exactly, '*' is not a wildcard here; got \"fin*\" (use subjects"
                        + " for globs)",
                "spec.grants[1].tools[\"update_customer\"].denyIf[0].conditions[0].value: operator \"gt\" needs a number, got string");
        assertThat(condition(rejected, "Ready").getReason()).isEqualTo("NoAcceptedPolicy");
        assertThat(rejected.getStatus().getIdentityMode()).isEqualTo("jwt");
        assertThat(configMap("bad-grants")).isNull();
        admin.resource(rejected).delete();
    }

    @jakarta.inject.Inject
    dev.toolgate.operator.tls.WebhookTls webhookTls;

    @Test
    void aTlsCheckWithNothingToRenewWritesNothing() {
        var secretBefore = admin.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET).get();
        var webhookBefore = admin.admissionRegistration().v1().mutatingWebhookConfigurations().withName(ToolgateNames.WEBHOOK_CONFIGURATION)
                .get();

        webhookTls.ensure();

        assertThat(admin.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET).get()
                .getMetadata().getResourceVersion()).isEqualTo(secretBefore.getMetadata().getResourceVersion());
        assertThat(admin.admissionRegistration().v1().mutatingWebhookConfigurations().withName(ToolgateNames.WEBHOOK_CONFIGURATION).get()
                .getMetadata().getResourceVersion()).isEqualTo(webhookBefore.getMetadata().getResourceVersion());
    }

    @Test
    void theOperatorRunsWithTheShippedRbacOnly() {
        try (KubernetesClient asOperator = new KubernetesClientBuilder().withConfig(KubeApiServers.asOperator()).build()) {
            assertThat(asOperator.configMaps().inNamespace(NS).list()).isNotNull();
            KubernetesClientException forbidden = catchThrowableOfType(KubernetesClientException.class,
                    () -> asOperator.secrets().inNamespace(NS).list());
            assertThat(forbidden.getCode()).isEqualTo(403);

            // RBAC lets it write ConfigMaps anywhere; the chart's ValidatingAdmissionPolicy keeps it to its own. The API
            // server loads a new admission policy asynchronously: wait until it refuses a probe before the real attempts.
            long deadline = System.currentTimeMillis() + 30_000;
            while (true) {
                try {
                    asOperator.configMaps().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata()
                            .withName("vap-probe").endMetadata().build()).create();
                    admin.configMaps().inNamespace(NS).withName("vap-probe").delete();
                } catch (KubernetesClientException e) {
                    if (e.getCode() == 403) {
                        break;
                    }
                    admin.configMaps().inNamespace(NS).withName("vap-probe").delete(); // left by an earlier round
                }
                assertThat(System.currentTimeMillis()).as("the ValidatingAdmissionPolicy to take effect").isLessThan(deadline);
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            admin.configMaps().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata()
                    .withName("someone-elses-toolgate-policy").endMetadata().addToData("k", "v").build()).createOr(op -> op.update());
            for (var attempt : List.<Runnable>of(
                    () -> asOperator.configMaps().inNamespace("kube-system").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                            .withNewMetadata().withName("aws-auth").endMetadata().addToData("mapRoles", "x").build()).create(),
                    () -> asOperator.configMaps().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                            .withNewMetadata().withName("unlabelled-toolgate-policy").endMetadata().build()).create(),
                    () -> {
                        ConfigMap theirs = asOperator.configMaps().inNamespace(NS).withName("someone-elses-toolgate-policy").get();
                        theirs.getMetadata().setLabels(Map.of(ToolgateNames.MANAGED_BY_LABEL, ToolgateNames.MANAGED_BY_VALUE));
                        asOperator.resource(theirs).update();
                    })) {
                KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class, attempt::run);
                assertThat(refused).isNotNull();
                assertThat(refused.getCode()).isEqualTo(403);
                assertThat(refused.getMessage()).contains("toolgate-operator-configmaps").contains("the Toolgate operator");
            }
        }
    }

    /** The kubectl built alongside the API server, as a user would run it. */
    static String kubectl(String... args) throws Exception {
        Path kubeconfig = Files.createTempFile("kubeconfig", ".yaml");
        Files.writeString(kubeconfig, KubeApiServers.kubeconfigYaml());
        Path binary = KubeApiServers.binary("kubectl");
        List<String> command = new java.util.ArrayList<>(List.of(binary.toString(), "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("kubectl %s: %s", String.join(" ", args), output).isZero();
        Files.delete(kubeconfig);
        return output;
    }

    private static McpPolicy load(String resource, String name, String app) throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue(OperatorIT.class.getResource(resource), McpPolicy.class);
        policy.getMetadata().setUid(null);
        policy.getMetadata().setName(name);
        policy.getMetadata().setNamespace(NS);
        policy.getSpec().setPodSelector(new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().addToMatchLabels("app", app).build());
        return policy;
    }

    private static String metrics() throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:9001/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void edit(String name, UnaryOperator<McpPolicy> change) {
        admin.resources(McpPolicy.class).inNamespace(NS).withName(name).edit(change);
    }

    private static Limit limit(String counter, long max) {
        Limit limit = new Limit();
        limit.setCounter(counter);
        limit.setMax(max);
        limit.setWindow(new IntOrString("minute"));
        limit.setScope(Limit.Scope.GLOBAL);
        return limit;
    }

    private static McpPolicy awaitStatus(String name, java.util.function.Predicate<McpPolicy> condition) {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(
                () -> admin.resources(McpPolicy.class).inNamespace(NS).withName(name).get(),
                p -> p != null && p.getStatus() != null && p.getStatus().getObservedGeneration() != null && condition.test(p));
    }

    private static boolean isTrue(McpPolicy policy, String type) {
        Condition c = condition(policy, type);
        return c != null && "True".equals(c.getStatus());
    }

    private static boolean isFalse(McpPolicy policy, String type) {
        Condition c = condition(policy, type);
        return c != null && "False".equals(c.getStatus());
    }

    private static Condition condition(McpPolicy policy, String type) {
        return StatusConditions.find(policy.getStatus().getConditions(), type);
    }

    private static ConfigMap configMap(String policy) {
        return admin.configMaps().inNamespace(NS).withName(ToolgateNames.configMapName(policy)).get();
    }

    private static List<Event> events(String policy) {
        return admin.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> policy.equals(e.getInvolvedObject().getName())).toList();
    }

    private static Pod pod(String name, String app, Map<String, String> annotations) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).addToLabels("app", app).withAnnotations(annotations)
                .endMetadata().withNewSpec().addNewContainer().withName("server").withImage("example/mcp:1")
                .addNewPort().withName("mcp").withContainerPort(8080).endPort().endContainer().endSpec().build();
    }
}
