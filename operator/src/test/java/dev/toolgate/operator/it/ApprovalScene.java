package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.eclipse.microprofile.config.ConfigProvider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.approval.McpApproval;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

/**
 * What the ITs of the approval modes share, for McpPolicy {@code payments-<mode>} in the operator under test's app
 * namespace: the policy applied; alice may decide its McpApprovals (the chart's approver rights, bound in the namespace);
 * a pod of the policy created through the API server, so the webhook injects it; what the kubelet would mount into its
 * sidecar (the rendered policy, the operator's CA, the pod-bound token) as files; packaged sidecars started as processes
 * in front of a payments server; and looks at the policy's McpApprovals and at audit lines.
 */
final class ApprovalScene implements AutoCloseable {

    static final String NS = OperatorUnderTest.APP_NAMESPACE;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final KubernetesClient admin;
    /** {@code payments-<mode>}: the policy, its pods' app label and their service account. */
    final String policy;
    final Path work;
    private final Path policyFile;
    private final Path caFile;
    private final Path tokenFile;
    private final List<Process> processes = new ArrayList<>();

    /**
     * Applies {@code policyYaml} (McpPolicy {@code payments-<mode>}), the approvers and a pod, and waits until the
     * operator rendered a ConfigMap that contains {@code renderedMarker}.
     */
    ApprovalScene(String mode, String policyYaml, String renderedMarker) throws IOException {
        this.policy = "payments-" + mode;
        this.admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        admin.load(new ByteArrayInputStream(policyYaml.getBytes(StandardCharsets.UTF_8))).createOrReplace();
        admin.serviceAccounts().inNamespace(NS).resource(new ServiceAccountBuilder().withNewMetadata().withName(policy).endMetadata()
                .build()).createOr(op -> op.update());
        admin.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName("toolgate-" + mode + "-approver-it").endMetadata()
                .addNewRule().withApiGroups("toolgate.dev").withResources("mcpapprovals").withVerbs("get", "list", "watch", "patch").endRule()
                .build()).createOr(op -> op.update());
        admin.rbac().roleBindings().inNamespace(NS).resource(new RoleBindingBuilder().withNewMetadata().withName(mode + "-approvers").endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName("toolgate-" + mode + "-approver-it")
                .endRoleRef()
                .addNewSubject().withKind("User").withApiGroup("rbac.authorization.k8s.io").withName("alice").endSubject()
                .build()).createOr(op -> op.update());

        work = Files.createTempDirectory(mode + "-mode-it-");
        ConfigMap rendered = admin.configMaps().inNamespace(NS).withName(ToolgateNames.configMapName(policy))
                .waitUntilCondition(c -> c != null && c.getData() != null && c.getData().containsKey(ToolgateNames.OPERATOR_CA_KEY)
                        && c.getData().getOrDefault(ToolgateNames.POLICY_FILE_KEY, "").contains(renderedMarker), 30, TimeUnit.SECONDS);
        policyFile = Files.writeString(work.resolve(ToolgateNames.POLICY_FILE_KEY), rendered.getData().get(ToolgateNames.POLICY_FILE_KEY));
        caFile = Files.writeString(work.resolve(ToolgateNames.OPERATOR_CA_KEY), rendered.getData().get(ToolgateNames.OPERATOR_CA_KEY));
        tokenFile = Files.writeString(work.resolve("token"), podToken(serverPod(policy + "-0")));
    }

    /** The settings the webhook gives the sidecar it injects into the policy's pods (as env), with {@code extra}. */
    Map<String, String> sidecarEnv(String upstream, Path auditLog, Map<String, String> extra) {
        int operatorPort = ConfigProvider.getConfig().getValue("toolgate.operator.webhook.port", Integer.class);
        Map<String, String> env = new HashMap<>(Map.of(
                "TOOLGATE_UPSTREAM", upstream,
                "TOOLGATE_POLICY_FILE", policyFile.toString(),
                "TOOLGATE_IDENTITY_HEADER", "X-Agent-Id",
                "TOOLGATE_APPROVALS_URL", "https://127.0.0.1:" + operatorPort, // the operator's Service, as seen from here
                "TOOLGATE_APPROVALS_POLICY", policy,
                "TOOLGATE_APPROVALS_TOKEN_FILE", tokenFile.toString(),
                "TOOLGATE_APPROVALS_CA_FILE", caFile.toString(),
                "TOOLGATE_AUDIT_LOG", auditLog.toString(),
                "TOOLGATE_POLICY_NAME", policy,
                "TOOLGATE_POLICY_NAMESPACE", NS));
        env.putAll(extra);
        return env;
    }

    /** The packaged sidecar as process {@code name} (log {@code <work>/<name>.log}); its proxy port once it is ready. */
    int startSidecar(String name, Map<String, String> env) throws Exception {
        Path jar = Path.of(System.getProperty("toolgate.sidecar.app")).resolve("quarkus-run.jar");
        assertThat(jar).as("the packaged sidecar; build it with ./mvnw -pl operator -am package -DskipTests").exists();
        int port = dev.toolgate.testsupport.McpPeers.freePort();
        int managementPort = dev.toolgate.testsupport.McpPeers.freePort();
        Map<String, String> all = new HashMap<>(env);
        all.putAll(Map.of("QUARKUS_HTTP_PORT", Integer.toString(port), "QUARKUS_HTTP_HOST", "127.0.0.1",
                "QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort), "QUARKUS_MANAGEMENT_HOST", "127.0.0.1"));
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile());
        builder.environment().putAll(all);
        Process sidecar = builder.start();
        processes.add(sidecar);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!sidecar.isAlive()) {
                throw new AssertionError(name + " exited:\n" + Files.readString(work.resolve(name + ".log")));
            }
            return dev.toolgate.testsupport.McpPeers.status("http://127.0.0.1:" + managementPort + "/q/health/ready") == 200;
        });
        return port;
    }

    McpApproval approval(String name) {
        return admin.resources(McpApproval.class).inNamespace(NS).withName(name).get();
    }

    /** The policy's McpApprovals for {@code tool} whose arguments have {@code payment_id} = {@code paymentId}. */
    List<McpApproval> approvals(String tool, String paymentId) {
        return admin.resources(McpApproval.class).inNamespace(NS).withLabel(ToolgateNames.POLICY_LABEL, policy).list().getItems().stream()
                .filter(a -> tool.equals(a.getSpec().getTool()) && a.getSpec().getArguments() != null
                        && paymentId.equals(a.getSpec().getArguments().path("payment_id").asText()))
                .toList();
    }

    /** The one McpApproval of the policy for {@code tool} and {@code paymentId}, once it is there (within 10 s). */
    McpApproval awaitOne(String tool, String paymentId) {
        await().atMost(Duration.ofSeconds(10)).until(() -> approvals(tool, paymentId).size() == 1);
        return approvals(tool, paymentId).get(0);
    }

    void awaitState(String name, String state) {
        admin.resources(McpApproval.class).inNamespace(NS).withName(name)
                .waitUntilCondition(a -> a != null && a.getStatus() != null && state.equals(a.getStatus().getState()), 30, TimeUnit.SECONDS);
    }

    /** {@code user} sets the approval's {@code spec.decision} (a JSON object), as {@code kubectl toolgate} does. */
    void decide(String user, McpApproval approval, String decision) {
        try (KubernetesClient as = new KubernetesClientBuilder().withConfig(new ConfigBuilder(KubeApiServers.admin()).withImpersonateUsername(user)
                .withImpersonateGroups("system:authenticated").build()).build()) {
            as.resources(McpApproval.class).inNamespace(NS).withName(approval.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"decision\":" + decision + "}}");
        }
    }

    /** The payment of the update_amount call an audit line is about, by its approval's name: McpApprovals hold the arguments. */
    String approvedPayment(JsonNode line) {
        String name = line.path("approval").asText(null);
        if (name == null || !"update_amount".equals(line.path("tool").asText())) {
            return null;
        }
        McpApproval approval = approval(name);
        return approval == null ? null : approval.getSpec().getArguments().path("payment_id").asText(null);
    }

    /** The first line of the audit log {@code file} matching {@code match}, once written (lines are written in batches). */
    static JsonNode auditLine(Path file, Predicate<JsonNode> match) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> !auditLines(file, match).isEmpty());
        try {
            return auditLines(file, match).get(0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static List<JsonNode> auditLines(Path file, Predicate<JsonNode> match) throws IOException {
        List<JsonNode> found = new ArrayList<>();
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file)) {
                JsonNode node = JSON.readTree(line);
                if (match.test(node)) {
                    found.add(node);
                }
            }
        }
        return found;
    }

    /** What the payments server at {@code baseUrl} answers on {@code /control/<what>} (runs, received). */
    static JsonNode control(String baseUrl, String what) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/control/" + what)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    private Pod serverPod(String name) {
        admin.pods().inNamespace(NS).withName(name).delete();
        admin.pods().inNamespace(NS).withName(name).waitUntilCondition(java.util.Objects::isNull, 30, TimeUnit.SECONDS);
        Pod pod = admin.resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).addToLabels("app", policy).endMetadata()
                .withNewSpec().withServiceAccountName(policy).addNewContainer().withName("server").withImage("mcp:1")
                .addNewPort().withName("mcp").withContainerPort(8080).endPort().endContainer().endSpec().build()).create();
        assertThat(pod.getMetadata().getAnnotations()).containsEntry(ToolgateNames.POLICY_ANNOTATION, policy);
        return pod;
    }

    private String podToken(Pod pod) {
        return admin.serviceAccounts().inNamespace(NS).withName(policy).tokenRequest(new TokenRequestBuilder().withNewSpec()
                .withAudiences(ToolgateNames.APPROVALS_AUDIENCE).withExpirationSeconds(3600L).withNewBoundObjectRef().withKind("Pod").withApiVersion("v1")
                .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).endBoundObjectRef().endSpec().build())
                .getStatus().getToken();
    }

    /** Stops the sidecars and closes the client. */
    @Override
    public void close() {
        for (Process process : processes) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        admin.close();
    }
}
