package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.approval.McpApproval;
import dev.toolgate.testsupport.McpPeers;
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
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Approval hold mode end to end: the packaged sidecar (a process, as in its pod) in front of a real TypeScript SDK MCP
 * server, under the ConfigMap this operator rendered from an McpPolicy whose {@code update_amount} is
 * {@code approval: {mode: hold, holdFor: 4s}}, asking this operator's approval API with a pod-bound token; people decide
 * through the real API server (RBAC, the webhook stamping the approver). MCP SDK clients (Java and TypeScript) call
 * through the sidecar; the server counts what it ran.
 */
@QuarkusTest
@WithTestResource(OperatorUnderTest.class)
class HoldModeIT {

    private static final String NS = OperatorUnderTest.APP_NAMESPACE;
    private static final String POLICY = "payments-hold";
    private static final String AGENT = "support-agent";
    private static final Duration HOLD_FOR = Duration.ofSeconds(4);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<Process> processes = new ArrayList<>();
    private static KubernetesClient admin;
    private static McpPeers.ServerEverything payments;
    private static Path work;
    private static Path audit;
    private static int proxyPort;

    @BeforeAll
    static void setUp() throws Exception {
        Path sidecarJar = Path.of(System.getProperty("toolgate.sidecar.app")).resolve("quarkus-run.jar");
        assertThat(sidecarJar).as("the packaged sidecar; build it with ./mvnw -pl operator -am package -DskipTests").exists();
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        admin.load(new ByteArrayInputStream(("""
                apiVersion: toolgate.dev/v1alpha1
                kind: McpPolicy
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  podSelector:
                    matchLabels:
                      app: payments-hold
                  upstream:
                    port: 8080
                  identity:
                    header: X-Agent-Id
                  default: deny
                  tools:
                    get_payment: {}
                    update_amount:
                      action: require_approval
                      reason: Any change to an amount needs a human's approval.
                      approval:
                        mode: hold
                        holdFor: %ds
                    refund:
                      action: require_approval
                      approval:
                        mode: hold
                        holdFor: 30s
                        expiresAfter: 2s
                    close_payment:
                      action: require_approval
                      rateLimit:
                        max: 1
                        window: minute
                      approval:
                        mode: hold
                """.formatted(POLICY, NS, HOLD_FOR.toSeconds())).getBytes(StandardCharsets.UTF_8))).createOrReplace();
        admin.serviceAccounts().inNamespace(NS).resource(new ServiceAccountBuilder().withNewMetadata().withName("payments-hold").endMetadata()
                .build()).createOr(op -> op.update());
        admin.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName("toolgate-hold-approver-it").endMetadata()
                .addNewRule().withApiGroups("toolgate.dev").withResources("mcpapprovals").withVerbs("get", "list", "watch", "patch").endRule()
                .build()).createOr(op -> op.update());
        admin.rbac().roleBindings().inNamespace(NS).resource(new RoleBindingBuilder().withNewMetadata().withName("hold-approvers").endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName("toolgate-hold-approver-it").endRoleRef()
                .addNewSubject().withKind("User").withApiGroup("rbac.authorization.k8s.io").withName("alice").endSubject()
                .build()).createOr(op -> op.update());

        // what the kubelet would mount into the injected sidecar: the rendered policy, the operator's CA, the pod-bound token
        work = Files.createTempDirectory("hold-mode-it-");
        ConfigMap rendered = admin.configMaps().inNamespace(NS).withName(ToolgateNames.configMapName(POLICY))
                .waitUntilCondition(c -> c != null && c.getData() != null && c.getData().containsKey(ToolgateNames.OPERATOR_CA_KEY)
                        && c.getData().getOrDefault(ToolgateNames.POLICY_FILE_KEY, "").contains("\"hold\""), 30, TimeUnit.SECONDS);
        Path policyFile = Files.writeString(work.resolve(ToolgateNames.POLICY_FILE_KEY), rendered.getData().get(ToolgateNames.POLICY_FILE_KEY));
        Path caFile = Files.writeString(work.resolve(ToolgateNames.OPERATOR_CA_KEY), rendered.getData().get(ToolgateNames.OPERATOR_CA_KEY));
        Pod pod = serverPod("payments-hold-0");
        Path tokenFile = Files.writeString(work.resolve("token"), podToken(pod));
        Map<String, String> injected = new java.util.HashMap<>();
        pod.getSpec().getInitContainers().stream().filter(c -> ToolgateNames.SIDECAR_CONTAINER.equals(c.getName())).findFirst()
                .or(() -> pod.getSpec().getContainers().stream().filter(c -> ToolgateNames.SIDECAR_CONTAINER.equals(c.getName())).findFirst())
                .orElseThrow(() -> new AssertionError("the webhook injected no sidecar into " + pod.getMetadata().getName()))
                .getEnv().forEach(e -> injected.put(e.getName(), e.getValue()));
        assertThat(injected).containsEntry("TOOLGATE_APPROVALS_POLICY", POLICY);

        payments = McpPeers.startSdkScript(McpPeers.repoRoot().resolve("operator/src/test/node/payments-server.mjs"));
        audit = work.resolve("audit.log");
        proxyPort = McpPeers.freePort();
        int managementPort = McpPeers.freePort();
        int operatorPort = ConfigProvider.getConfig().getValue("toolgate.operator.webhook.port", Integer.class);
        Map<String, String> env = new java.util.HashMap<>(Map.of(
                "TOOLGATE_UPSTREAM", payments.baseUrl(),
                "TOOLGATE_POLICY_FILE", policyFile.toString(),
                "TOOLGATE_IDENTITY_HEADER", "X-Agent-Id",
                "TOOLGATE_APPROVALS_URL", "https://127.0.0.1:" + operatorPort, // the operator's Service, as seen from here
                "TOOLGATE_APPROVALS_POLICY", injected.get("TOOLGATE_APPROVALS_POLICY"),
                "TOOLGATE_APPROVALS_TOKEN_FILE", tokenFile.toString(),
                "TOOLGATE_APPROVALS_CA_FILE", caFile.toString(),
                "TOOLGATE_APPROVALS_HOLD_POLL_INTERVAL", "200ms",
                "TOOLGATE_APPROVALS_HOLD_PROGRESS_INTERVAL", "400ms",
                "TOOLGATE_AUDIT_LOG", audit.toString()));
        env.putAll(Map.of("QUARKUS_HTTP_PORT", Integer.toString(proxyPort), "QUARKUS_HTTP_HOST", "127.0.0.1",
                "QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort), "QUARKUS_MANAGEMENT_HOST", "127.0.0.1",
                "TOOLGATE_POLICY_NAME", POLICY, "TOOLGATE_POLICY_NAMESPACE", NS));
        Process sidecar = start("sidecar", env, Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", sidecarJar.toString());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!sidecar.isAlive()) {
                throw new AssertionError("the sidecar exited:\n" + Files.readString(work.resolve("sidecar.log")));
            }
            return status("http://127.0.0.1:" + managementPort + "/q/health/ready") == 200;
        });
    }

    @AfterAll
    static void stopAll() {
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
        if (payments != null) {
            payments.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    @Test
    void approvedWhileHeldTheCallRunsOnceAndTheClientSawProgressWithItsToken() throws Exception {
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        try (McpSyncClient client = client(progress::add)) {
            CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> client.callTool(new CallToolRequest(
                    "update_amount", Map.of("payment_id", "pay_approved", "amount", 100), Map.of("progressToken", "hold-approve"))));
            McpApproval pending = pendingApproval("pay_approved");
            await().atMost(Duration.ofSeconds(5)).until(() -> progress.size() >= 2);
            assertThat(call).as("held while nobody decided").isNotDone();
            assertThat(runs("pay_approved")).as("nothing ran before the approval").isZero();

            decide("alice", pending, "{\"verdict\":\"Approved\",\"reason\":\"invoice checked\"}");
            McpSchema.CallToolResult result = call.get(10, TimeUnit.SECONDS);
            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("payment pay_approved: amount set to 100 (run 1)");
            assertThat(progress).allSatisfy(p -> {
                assertThat(p.progressToken()).isEqualTo("hold-approve");
                assertThat(p.total()).isEqualTo((double) HOLD_FOR.toSeconds());
                assertThat(p.message()).contains("kubectl toolgate approve " + pending.getMetadata().getName() + " -n " + NS);
            });
            for (int i = 1; i < progress.size(); i++) {
                assertThat(progress.get(i).progress()).as("progress increases").isGreaterThan(progress.get(i - 1).progress());
            }
        }
        assertThat(runs("pay_approved")).as("the approved call ran once").isEqualTo(1);
        awaitState(pending("pay_approved").get(0).getMetadata().getName(), "Consumed");
        JsonNode line = auditLine(l -> "pay_approved".equals(approvedPayment(l)) && "allowed".equals(l.path("decision").asText()));
        assertThat(line.path("holdEnded").asText()).isEqualTo("approved");
        assertThat(line.path("heldMs").asLong()).isGreaterThan(700);
        assertThat(line.path("approver").asText()).isEqualTo("alice");
        assertThat(line.path("upstreamStatus").asInt()).isEqualTo(200);
    }

    @Test
    void rejectedWhileHeldAnswersWithTheApproversReason() throws Exception {
        try (McpSyncClient client = client(p -> { })) {
            // no progress token: the request is just held, and answered with JSON
            CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> client.callTool(new CallToolRequest(
                    "update_amount", Map.of("payment_id", "pay_rejected", "amount", 100))));
            McpApproval pending = pendingApproval("pay_rejected");
            decide("alice", pending, "{\"verdict\":\"Rejected\",\"reason\":\"not this customer\"}");
            assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(McpError.class)
                    .hasMessageContaining("Toolgate: tool \"update_amount\" denied: rejected by alice: not this customer");
        }
        assertThat(runs("pay_rejected")).isZero();
    }

    @Test
    void heldPastHoldForTheAgentIsToldItStillWaitsAndToRetry() throws Exception {
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        try (McpSyncClient client = client(progress::add)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("update_amount", Map.of("payment_id", "pay_slow", "amount", 100),
                    Map.of("progressToken", 7)))).isInstanceOf(McpError.class)
                    .hasMessageContaining("requires approval: Any change to an amount needs a human's approval. (still waiting for a human after")
                    .hasMessageContaining("it stays pending: retry the same call")
                    .hasMessageMatching("(?s).*Approval " + NS + "/update-amount-[0-9a-f]{8}-1 is pending until .*");
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(waited).as("held for holdFor, and not much longer").isBetween(HOLD_FOR.toMillis(), HOLD_FOR.toMillis() + 3000);
            assertThat(progress).hasSizeGreaterThanOrEqualTo(5).allSatisfy(p -> assertThat(p.progressToken()).isEqualTo(7));
        }
        List<McpApproval> approvals = pending("pay_slow");
        assertThat(approvals).singleElement().satisfies(a -> assertThat(a.getStatus().getState()).isEqualTo("Pending"));
        assertThat(auditLine(l -> "pay_slow".equals(approvedPayment(l))).path("holdEnded").asText()).isEqualTo("timeout");
        assertThat(runs("pay_slow")).isZero();
    }

    @Test
    void anApprovedHeldCallIsStillRateLimited() throws Exception {
        try (McpSyncClient client = client(p -> { })) {
            for (String payment : List.of("pay_first", "pay_second")) {
                CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> client.callTool(new CallToolRequest(
                        "close_payment", Map.of("payment_id", payment))));
                McpApproval pending = awaitOne(() -> approvals("close_payment", payment));
                decide("alice", pending, "{\"verdict\":\"Approved\"}");
                if (payment.equals("pay_first")) {
                    assertThat(((McpSchema.TextContent) call.get(10, TimeUnit.SECONDS).content().get(0)).text())
                            .isEqualTo("payment pay_first: close_payment done");
                } else {
                    assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(McpError.class)
                            .hasMessageContaining("Toolgate: tool \"close_payment\" rate limited");
                    awaitState(pending.getMetadata().getName(), "Approved");
                    assertThat(approval(pending.getMetadata().getName()).getStatus().getConsumed()).as("nothing used up").isIn(null, 0);
                }
            }
        }
        assertThat(runs("close_payment:pay_first")).isEqualTo(1);
        assertThat(runs("close_payment:pay_second")).isZero();
    }

    @Test
    void anApprovalThatExpiresWhileHeldEndsTheHoldWithExpired() throws Exception {
        try (McpSyncClient client = client(p -> { })) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("refund", Map.of("payment_id", "pay_expired"))))
                    .isInstanceOf(McpError.class).hasMessageContaining("Toolgate: tool \"refund\" requires approval:")
                    .hasMessageMatching("(?s).*approval " + NS + "/refund-[0-9a-f]{8}-1 expired at \\S+ without being used; the same call asks "
                            + "for a new approval.*");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("the approval's expiry (2s) ended the 30s hold")
                    .isLessThan(10_000);
        }
        assertThat(auditLine(l -> "refund".equals(l.path("tool").asText())).path("holdEnded").asText()).isEqualTo("expired");
        assertThat(runs("refund:pay_expired")).isZero();
    }

    @Test
    void aClientThatGivesUpLeavesTheApprovalPendingAndItsRetryRunsOnceApproved() throws Exception {
        // the client process dies while its call is held: the connection closes and the sidecar loses its client
        Process node = heldCallProcess("pay_gave_up", 60_000, false, null);
        pendingApproval("pay_gave_up");
        node.destroyForcibly();
        assertThat(node.waitFor(10, TimeUnit.SECONDS)).isTrue();
        JsonNode abandoned = auditLine(l -> "pay_gave_up".equals(approvedPayment(l)));
        assertThat(abandoned.path("holdEnded").asText()).isEqualTo("client_gone");
        assertThat(abandoned.path("approvalState").asText()).isEqualTo("Pending");
        McpApproval pending = pendingApproval("pay_gave_up");
        Thread.sleep(HOLD_FOR.toMillis() / 2);
        assertThat(approval(pending.getMetadata().getName()).getStatus().getState()).as("still pending, for a retry").isEqualTo("Pending");

        decide("alice", pending, "{\"verdict\":\"Approved\"}");
        try (McpSyncClient client = client(p -> { })) {
            McpSchema.CallToolResult result = client.callTool(new CallToolRequest("update_amount", Map.of("payment_id", "pay_gave_up", "amount", 100)));
            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("payment pay_gave_up: amount set to 100 (run 1)");
        }
        assertThat(pending("pay_gave_up")).as("the retry used the approval the held call filed").hasSize(1);
    }

    @Test
    void aCancelledHeldCallEndsAtOnceAndItsApprovalStaysPending() throws Exception {
        // the TypeScript SDK aborts the call after 1 s: it sends notifications/cancelled for it in the same session
        JsonNode cancelled = heldCall("pay_cancelled", 60_000, false, 1000L);
        assertThat(cancelled.path("error").path("message").asText()).contains("the agent stopped waiting");
        JsonNode ended = auditLine(l -> "pay_cancelled".equals(approvedPayment(l)) && l.has("holdEnded"));
        assertThat(ended.path("holdEnded").asText()).as("the hold ended on the cancellation, not on the connection").isEqualTo("cancelled");
        assertThat(ended.path("heldMs").asLong()).as("long before holdFor").isLessThan(HOLD_FOR.toMillis());
        assertThat(ended.path("approvalState").asText()).isEqualTo("Pending");
        McpApproval pending = pendingApproval("pay_cancelled");
        assertThat(approval(pending.getMetadata().getName()).getStatus().getState()).isEqualTo("Pending");
        assertThat(runs("pay_cancelled")).isZero();
    }

    @Test
    void aClientThatResetsItsTimeoutOnProgressWaitsLongerThanItsTimeout() throws Exception {
        CompletableFuture<JsonNode> call = CompletableFuture.supplyAsync(() -> {
            try {
                return heldCall("pay_patient", 2500, true);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        McpApproval pending = pendingApproval("pay_patient");
        Thread.sleep(3000); // past the client's own 2.5 s timeout: only the progress notifications keep it waiting
        decide("alice", pending, "{\"verdict\":\"Approved\"}");
        JsonNode out = call.get(20, TimeUnit.SECONDS);
        assertThat(out.path("result").asText()).as("%s", out).isEqualTo("payment pay_patient: amount set to 100 (run 1)");
        assertThat(out.path("elapsedMs").asLong()).isGreaterThan(3000);
        assertThat(out.path("progress").size()).isGreaterThanOrEqualTo(3);
    }

    // --- helpers

    private static McpSyncClient client(java.util.function.Consumer<McpSchema.ProgressNotification> progress) {
        var transport = HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + proxyPort).endpoint("/mcp")
                .requestBuilder(HttpRequest.newBuilder().header("X-Agent-Id", AGENT)).build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).progressConsumer(progress).build();
        client.initialize();
        return client;
    }

    /** Runs {@code held-call.mjs} (the TypeScript SDK) to its end: what it printed. */
    private static JsonNode heldCall(String paymentId, long timeoutMillis, boolean resetOnProgress) throws Exception {
        return heldCall(paymentId, timeoutMillis, resetOnProgress, null);
    }

    private static JsonNode heldCall(String paymentId, long timeoutMillis, boolean resetOnProgress, Long abortAfterMillis) throws Exception {
        Process node = heldCallProcess(paymentId, timeoutMillis, resetOnProgress, abortAfterMillis);
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).as("held-call.mjs ended").isTrue();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String last = out.substring(out.lastIndexOf('\n') + 1);
        assertThat(last).as("held-call.mjs printed: %s", out).startsWith("{");
        return JSON.readTree(last);
    }

    /** held-call.mjs (the TypeScript SDK) calling update_amount for {@code paymentId}, started. */
    private static Process heldCallProcess(String paymentId, long timeoutMillis, boolean resetOnProgress, Long abortAfterMillis)
            throws IOException {
        Path script = McpPeers.repoRoot().resolve("operator/src/test/node/held-call.mjs");
        List<String> command = new ArrayList<>(List.of(McpPeers.node(), script.toString(),
                McpPeers.require("node_modules/@modelcontextprotocol/sdk").toString(), "http://127.0.0.1:" + proxyPort, AGENT, paymentId,
                Long.toString(timeoutMillis), Boolean.toString(resetOnProgress)));
        if (abortAfterMillis != null) {
            command.add(Long.toString(abortAfterMillis));
        }
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** The one McpApproval filed for the update of {@code paymentId}, once it is there. */
    private static McpApproval pendingApproval(String paymentId) {
        await().atMost(Duration.ofSeconds(10)).until(() -> pending(paymentId).size() == 1);
        return pending(paymentId).get(0);
    }

    private static List<McpApproval> pending(String paymentId) {
        return approvals("update_amount", paymentId);
    }

    private static List<McpApproval> approvals(String tool, String paymentId) {
        return admin.resources(McpApproval.class).inNamespace(NS).withLabel(ToolgateNames.POLICY_LABEL, POLICY).list().getItems().stream()
                .filter(a -> tool.equals(a.getSpec().getTool()) && a.getSpec().getArguments() != null
                        && paymentId.equals(a.getSpec().getArguments().path("payment_id").asText()))
                .toList();
    }

    /** The one McpApproval {@code approvals} finds, once it is there. */
    private static McpApproval awaitOne(java.util.function.Supplier<List<McpApproval>> approvals) {
        await().atMost(Duration.ofSeconds(10)).until(() -> approvals.get().size() == 1);
        return approvals.get().get(0);
    }

    private static McpApproval approval(String name) {
        return admin.resources(McpApproval.class).inNamespace(NS).withName(name).get();
    }

    private static void awaitState(String name, String state) {
        admin.resources(McpApproval.class).inNamespace(NS).withName(name)
                .waitUntilCondition(a -> a != null && a.getStatus() != null && state.equals(a.getStatus().getState()), 30, TimeUnit.SECONDS);
    }

    private static void decide(String user, McpApproval approval, String decision) {
        try (KubernetesClient as = new KubernetesClientBuilder().withConfig(new ConfigBuilder(KubeApiServers.admin()).withImpersonateUsername(user)
                .withImpersonateGroups("system:authenticated").build()).build()) {
            as.resources(McpApproval.class).inNamespace(NS).withName(approval.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"decision\":" + decision + "}}");
        }
    }

    /** How often the server ran update_amount for {@code paymentId}. */
    private static int runs(String paymentId) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(payments.baseUrl() + "/control/runs")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body()).path(paymentId).asInt(0);
    }

    /** The sidecar's audit line matching {@code match}, once written (lines are written in batches). */
    private static JsonNode auditLine(java.util.function.Predicate<JsonNode> match) {
        JsonNode[] found = {null};
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!Files.exists(audit)) {
                return false;
            }
            for (String line : Files.readAllLines(audit)) {
                JsonNode node = JSON.readTree(line);
                if (match.test(node)) {
                    found[0] = node;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** The payment of the held update an audit line is about, by its approval's name: McpApprovals hold the arguments. */
    private static String approvedPayment(JsonNode line) {
        String name = line.path("approval").asText(null);
        if (name == null || !"update_amount".equals(line.path("tool").asText())) {
            return null;
        }
        McpApproval approval = approval(name);
        return approval == null ? null : approval.getSpec().getArguments().path("payment_id").asText(null);
    }

    /** A pod of the policy, created through the API server (so the injection webhook injects the sidecar's spec). */
    private static Pod serverPod(String name) {
        admin.pods().inNamespace(NS).withName(name).delete();
        admin.pods().inNamespace(NS).withName(name).waitUntilCondition(java.util.Objects::isNull, 30, TimeUnit.SECONDS);
        Pod pod = admin.resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).addToLabels("app", "payments-hold").endMetadata()
                .withNewSpec().withServiceAccountName("payments-hold").addNewContainer().withName("server").withImage("mcp:1")
                .addNewPort().withName("mcp").withContainerPort(8080).endPort().endContainer().endSpec().build()).create();
        assertThat(pod.getMetadata().getAnnotations()).containsEntry(ToolgateNames.POLICY_ANNOTATION, POLICY);
        return pod;
    }

    private static String podToken(Pod pod) {
        return admin.serviceAccounts().inNamespace(NS).withName("payments-hold").tokenRequest(new TokenRequestBuilder().withNewSpec()
                .withAudiences(ToolgateNames.APPROVALS_AUDIENCE).withExpirationSeconds(3600L).withNewBoundObjectRef().withKind("Pod").withApiVersion("v1")
                .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).endBoundObjectRef().endSpec().build())
                .getStatus().getToken();
    }

    private static Process start(String name, Map<String, String> env, String... command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
