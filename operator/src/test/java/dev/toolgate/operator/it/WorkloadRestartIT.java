package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.testsupport.GoldenFiles;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * {@code spec.restartUnprotected} against a real API server, the operator under the chart's RBAC with
 * {@code workloadRestarts.enabled=true}: of pods that predate their policy, only those the webhook would inject if
 * created now get their Deployment/StatefulSet restarted, each once per pod template. No controllers run here, so the
 * Deployment → ReplicaSet → Pod chains are objects created with their ownerReferences.
 */
@QuarkusTest
@WithTestResource(OperatorUnderTest.class)
class WorkloadRestartIT {

    private static final String NS = OperatorUnderTest.APP_NAMESPACE;
    /** A namespace without the injection label: the webhook never sees its pods. */
    private static final String UNLABELLED = "mcp-it-unlabelled";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Map<String, String> SELECTED = Map.of("tier", "restart-it");
    private static KubernetesClient admin;

    @BeforeAll
    static void connect() {
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(UNLABELLED).endMetadata().build())
                .createOr(op -> op.update());
    }

    @AfterAll
    static void close() {
        admin.resources(McpPolicy.class).inNamespace(NS).withName("restarts").delete();
        admin.resources(McpPolicy.class).inNamespace(UNLABELLED).withName("restarts").delete();
        admin.pods().inNamespace(NS).withLabels(SELECTED).delete();
        admin.pods().inNamespace(UNLABELLED).withLabels(SELECTED).delete();
        admin.close();
    }

    @Test
    void onlyPodsTheWebhookWouldInjectAreRestartedAndEachTemplateOnlyOnce() throws Exception {
        deployment(NS, "plain", Map.of(), Map.of(), spec(8080));
        statefulSet(NS, "plain-sts", spec(8080));
        // Every way the webhook leaves a pod alone:
        deployment(NS, "by-annotation", Map.of(), Map.of(ToolgateNames.INJECT_ANNOTATION, "false"), spec(8080));
        deployment(NS, "by-label", Map.of(ToolgateNames.INJECT_LABEL, "false"), Map.of(), spec(8080));
        deployment(NS, "host-network", Map.of(), Map.of(), new PodSpecBuilder(spec(8080)).withHostNetwork(true).build());
        deployment(NS, "port-clash", Map.of(), Map.of(), new PodSpecBuilder(spec(8080)).editFirstContainer().addNewPort()
                .withName("admin").withContainerPort(ToolgateNames.SIDECAR_MANAGEMENT_PORT).endPort().endContainer().build());
        deployment(UNLABELLED, "elsewhere", Map.of(), Map.of(), spec(8080));

        admin.resource(policy(NS)).create();
        admin.resource(policy(UNLABELLED)).create();

        McpPolicy reported = awaitStatus(NS, p -> p.getStatus().getRestartedWorkloads() != null
                && Integer.valueOf(6).equals(p.getStatus().getPodsWithoutSidecar()));
        assertThat(reported.getStatus().getRestartedWorkloads()).containsExactly("deployments/plain", "statefulsets/plain-sts");
        String plainRestartedAt = restartedAt(admin.apps().deployments().inNamespace(NS).withName("plain").get());
        assertThat(plainRestartedAt).isNotNull();
        assertThat(restartedAt(admin.apps().statefulSets().inNamespace(NS).withName("plain-sts").get())).isNotNull();
        String plainHash = admin.apps().deployments().inNamespace(NS).withName("plain").get().getMetadata().getAnnotations()
                .get(ToolgateNames.RESTARTED_TEMPLATE_ANNOTATION);
        assertThat(plainHash).as("the restart records the pod template it was for").hasSize(16);
        await().atMost(WAIT).until(() -> messages(NS, "UnprotectedPods").stream().anyMatch(m -> m.contains("a restart would not protect")));
        assertThat(messages(NS, "UnprotectedPods")).anySatisfy(m -> assertThat(m)
                .contains("restarted for their current pod template: deployments/plain, statefulsets/plain-sts")
                .containsPattern("by-annotation-\\S+ \\(opted_out\\)")
                .containsPattern("by-label-\\S+ \\(pod_not_selected\\)")
                .containsPattern("host-network-\\S+ \\(host_network\\)")
                .containsPattern("port-clash-\\S+ \\(port_clash\\)"));

        McpPolicy elsewhere = awaitStatus(UNLABELLED, p -> Integer.valueOf(1).equals(p.getStatus().getPodsWithoutSidecar()));
        assertThat(elsewhere.getStatus().getRestartedWorkloads()).isNull();
        await().atMost(WAIT).until(() -> messages(UNLABELLED, "UnprotectedPods").stream()
                .anyMatch(m -> m.contains("(namespace_not_selected)")));

        // The reviewer's loop: the old guard's 10 minutes pass (restartedAt back-dated), the pods are still unprotected.
        admin.apps().deployments().inNamespace(NS).withName("plain").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"" + ToolgateNames.RESTARTED_AT_ANNOTATION
                        + "\":\"2020-01-01T00:00:00Z\"}}}}}");
        // Something that makes the operator reconcile and shows in the status once it has.
        admin.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata().withName("restart-it-by-number").endMetadata()
                .withNewSpec().withSelector(SELECTED).addNewPort().withPort(8080).endPort().endSpec().build()).create();
        awaitStatus(NS, p -> p.getStatus().getBypassingServices() != null
                && p.getStatus().getBypassingServices().contains("restart-it-by-number:8080"));
        for (String opted : List.of("by-annotation", "by-label", "host-network", "port-clash")) {
            Deployment untouched = admin.apps().deployments().inNamespace(NS).withName(opted).get();
            assertThat(restartedAt(untouched)).as(opted).isNull();
            assertThat(untouched.getMetadata().getAnnotations()).as(opted).isNullOrEmpty();
        }
        assertThat(restartedAt(admin.apps().deployments().inNamespace(UNLABELLED).withName("elsewhere").get())).isNull();
        assertThat(restartedAt(admin.apps().deployments().inNamespace(NS).withName("plain").get()))
                .as("not restarted again for the same pod template").isEqualTo("2020-01-01T00:00:00Z");
        assertThat(messages(NS, "RestartedUnprotected")).filteredOn(m -> m.contains("deployments/plain ")).hasSize(1);

        // The restart's own pods come up without the sidecar (here: created while the webhook did not see the namespace,
        // as with failurePolicy Ignore and the operator down): reported, still not restarted again.
        setInjectionNamespaceLabel("nobody-has-this");
        try {
            Deployment plain = admin.apps().deployments().inNamespace(NS).withName("plain").get();
            ReplicaSet replicaSet = admin.apps().replicaSets().inNamespace(NS).withName("plain-1").get();
            // The API server picks up a changed webhook configuration within moments: until then the pod is injected.
            await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
                Pod created = admin.resource(podOf(NS, "plain-2-new", plain.getSpec().getTemplate(), replicaSet)).create();
                if (created.getSpec().getInitContainers() == null || created.getSpec().getInitContainers().isEmpty()) {
                    return true;
                }
                admin.resource(created).withGracePeriod(0).delete();
                admin.resource(created).waitUntilCondition(java.util.Objects::isNull, 10, java.util.concurrent.TimeUnit.SECONDS);
                return false;
            });
        } finally {
            setInjectionNamespaceLabel("enabled");
        }
        touch("plain-2-new");
        await().atMost(WAIT).until(() -> messages(NS, "RestartDidNotProtect").stream().anyMatch(m -> m.startsWith("deployments/plain was")
                && m.contains("new pod(s) plain-2-new run without the sidecar")));
        assertThat(restartedAt(admin.apps().deployments().inNamespace(NS).withName("plain").get())).isEqualTo("2020-01-01T00:00:00Z");

        // A changed pod template is a new template: restarted once more.
        admin.apps().deployments().inNamespace(NS).withName("plain").edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("example/mcp:2");
            return d;
        });
        // Its new pods would make the operator reconcile; there is no controller here, so a pod change does.
        touch("plain-1-abc");
        await().atMost(WAIT).until(() -> !"2020-01-01T00:00:00Z".equals(restartedAt(admin.apps().deployments().inNamespace(NS)
                .withName("plain").get())));
        assertThat(admin.apps().deployments().inNamespace(NS).withName("plain").get().getMetadata().getAnnotations()
                .get(ToolgateNames.RESTARTED_TEMPLATE_ANNOTATION)).isNotEqualTo(plainHash);
        await().atMost(WAIT).until(() -> messages(NS, "RestartedUnprotected").stream().filter(m -> m.contains("deployments/plain "))
                .count() == 2);
        admin.services().inNamespace(NS).withName("restart-it-by-number").delete();
    }

    @Test
    void aPolicyNeverRestartsPodsAnotherPolicyGoverns() throws Exception {
        Map<String, String> contested = Map.of("tier", "restart-contested");
        try {
            deployment(NS, "contested", contested, Map.of(), Map.of(), spec(8080));
            McpPolicy keeper = policy(NS, "keeper", contested, false);
            McpPolicy createdKeeper = admin.resource(keeper).create();
            awaitStatus(NS, "keeper", p -> Integer.valueOf(1).equals(p.getStatus().getPodsWithoutSidecar()));
            // creationTimestamp has whole seconds: the grabber must be newer, not tied
            await().atMost(WAIT).until(() -> java.time.Instant.now().isAfter(
                    java.time.Instant.parse(createdKeeper.getMetadata().getCreationTimestamp()).plusSeconds(1)));
            admin.resource(policy(NS, "grabber", contested, true)).create();

            // The older keeper would govern the pod if it were created now: the grabber's restart is not for that pod.
            McpPolicy lost = awaitStatus(NS, "grabber", p -> Integer.valueOf(1).equals(p.getStatus().getPodsGovernedByOthers()));
            assertThat(lost.getStatus().getPodsWithoutSidecar()).isZero();
            assertThat(lost.getStatus().getRestartedWorkloads()).isNull();
            assertThat(restartedAt(admin.apps().deployments().inNamespace(NS).withName("contested").get())).isNull();

            // Once the keeper is gone, the pod is the grabber's, and its workload is restarted.
            admin.resources(McpPolicy.class).inNamespace(NS).withName("keeper").delete();
            McpPolicy governs = awaitStatus(NS, "grabber", p -> p.getStatus().getRestartedWorkloads() != null);
            assertThat(governs.getStatus().getRestartedWorkloads()).containsExactly("deployments/contested");
            assertThat(governs.getStatus().getPodsGovernedByOthers()).isZero();
            assertThat(restartedAt(admin.apps().deployments().inNamespace(NS).withName("contested").get())).isNotNull();
        } finally {
            admin.resources(McpPolicy.class).inNamespace(NS).withName("keeper").delete();
            admin.resources(McpPolicy.class).inNamespace(NS).withName("grabber").delete();
            admin.pods().inNamespace(NS).withLabels(contested).delete();
        }
    }

    /** A pod change makes the operator reconcile the policies selecting it. */
    private static void touch(String pod) {
        admin.pods().inNamespace(NS).withName(pod).edit(p -> {
            p.getMetadata().getLabels().put("touched", String.valueOf(System.nanoTime()));
            return p;
        });
    }

    /** The value of the injection label the webhook configuration's namespaceSelector asks for (the chart's: enabled). */
    private static void setInjectionNamespaceLabel(String value) {
        admin.admissionRegistration().v1().mutatingWebhookConfigurations().withName(ToolgateNames.WEBHOOK_CONFIGURATION).edit(w -> {
            w.getWebhooks().forEach(h -> h.getNamespaceSelector().getMatchLabels().put(ToolgateNames.INJECTION_NAMESPACE_LABEL, value));
            return w;
        });
    }

    private static PodSpec spec(int port) {
        return new PodSpecBuilder().addNewContainer().withName("server").withImage("example/mcp:1")
                .addNewPort().withName("mcp").withContainerPort(port).endPort().endContainer().build();
    }

    private static PodTemplateSpec template(String name, Map<String, String> labels, Map<String, String> annotations, PodSpec spec) {
        return template(name, SELECTED, labels, annotations, spec);
    }

    private static PodTemplateSpec template(String name, Map<String, String> selected, Map<String, String> labels,
            Map<String, String> annotations, PodSpec spec) {
        return new PodTemplateSpecBuilder().withNewMetadata().addToLabels(selected).addToLabels("app", name).addToLabels(labels)
                .withAnnotations(annotations.isEmpty() ? null : annotations).endMetadata().withSpec(spec).build();
    }

    /** A Deployment, its ReplicaSet and one pod of it, as their controllers would have left them. */
    private static void deployment(String namespace, String name, Map<String, String> labels, Map<String, String> annotations, PodSpec spec) {
        deployment(namespace, name, SELECTED, labels, annotations, spec);
    }

    private static void deployment(String namespace, String name, Map<String, String> selected, Map<String, String> labels,
            Map<String, String> annotations, PodSpec spec) {
        PodTemplateSpec template = template(name, selected, labels, annotations, spec);
        Deployment deployment = admin.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withNewSelector().addToMatchLabels("app", name).endSelector().withTemplate(template).endSpec().build())
                .create();
        ReplicaSet replicaSet = admin.apps().replicaSets().inNamespace(namespace).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName(name + "-1").withNamespace(namespace).withOwnerReferences(owner(deployment)).endMetadata()
                .withNewSpec().withNewSelector().addToMatchLabels("app", name).endSelector().withTemplate(template).endSpec().build())
                .create();
        createPod(namespace, name + "-1-abc", template, replicaSet);
    }

    private static void statefulSet(String namespace, String name, PodSpec spec) {
        PodTemplateSpec template = template(name, Map.of(), Map.of(), spec);
        StatefulSet statefulSet = admin.apps().statefulSets().inNamespace(namespace).resource(new StatefulSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withServiceName(name).withNewSelector().addToMatchLabels("app", name).endSelector().withTemplate(template)
                .endSpec().build()).create();
        createPod(namespace, name + "-0", template, statefulSet);
    }

    private static Pod podOf(String namespace, String name, PodTemplateSpec template, HasMetadata owner) {
        return new io.fabric8.kubernetes.api.model.PodBuilder().withMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder(
                template.getMetadata()).withName(name).withNamespace(namespace).withOwnerReferences(owner(owner)).build())
                .withSpec(template.getSpec()).build();
    }

    private static void createPod(String namespace, String name, PodTemplateSpec template, HasMetadata owner) {
        Pod created = admin.resource(podOf(namespace, name, template, owner)).create();
        assertThat(created.getSpec().getInitContainers()).as("%s predates its policy: no sidecar", name).isNullOrEmpty();
    }

    private static io.fabric8.kubernetes.api.model.OwnerReference owner(HasMetadata owner) {
        return new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind(owner.getKind()).withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid()).withController(true).build();
    }

    private static McpPolicy policy(String namespace) throws Exception {
        return policy(namespace, "restarts", SELECTED, true);
    }

    private static McpPolicy policy(String namespace, String name, Map<String, String> selected, boolean restartUnprotected)
            throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue(WorkloadRestartIT.class.getResource("/golden/configmap/in-minimal-deny.yaml"),
                McpPolicy.class);
        policy.getMetadata().setUid(null);
        policy.getMetadata().setName(name);
        policy.getMetadata().setNamespace(namespace);
        policy.getSpec().setPodSelector(new LabelSelectorBuilder().addToMatchLabels(selected).build());
        policy.getSpec().setRestartUnprotected(restartUnprotected);
        return policy;
    }

    private static String restartedAt(Deployment deployment) {
        return annotation(deployment.getSpec().getTemplate());
    }

    private static String restartedAt(StatefulSet statefulSet) {
        return annotation(statefulSet.getSpec().getTemplate());
    }

    private static String annotation(PodTemplateSpec template) {
        return template.getMetadata().getAnnotations() == null ? null
                : template.getMetadata().getAnnotations().get(ToolgateNames.RESTARTED_AT_ANNOTATION);
    }

    private static McpPolicy awaitStatus(String namespace, java.util.function.Predicate<McpPolicy> condition) {
        return awaitStatus(namespace, "restarts", condition);
    }

    private static McpPolicy awaitStatus(String namespace, String name, java.util.function.Predicate<McpPolicy> condition) {
        return await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(
                () -> admin.resources(McpPolicy.class).inNamespace(namespace).withName(name).get(),
                p -> p != null && p.getStatus() != null && condition.test(p));
    }

    private static List<String> messages(String namespace, String reason) {
        return admin.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> "restarts".equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason()))
                .map(Event::getMessage).toList();
    }
}
