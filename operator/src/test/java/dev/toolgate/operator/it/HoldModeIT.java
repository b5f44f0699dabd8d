package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.toolgate.operator.approval.McpApproval;
import dev.toolgate.testsupport.McpPeers;
import io.fabric8.kubernetes.api.model.ConfigMap;
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
    private static ApprovalScene scene;
    private static McpPeers.ServerEverything payments;
    private static Path audit;
    private static int proxyPort;

    @BeforeAll
    static void setUp() throws Exception {
        scene = new ApprovalScene("hold", """
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
                """.formatted(POLICY, NS, HOLD_FOR.toSeconds()), "\"hold\"");
        payments = McpPeers.startSdkScript(McpPeers.repoRoot().resolve("operator/src/test/node/payments-server.mjs"));
        audit = scene.work.resolve("audit.log");
        proxyPort = scene.startSidecar("sidecar", scene.sidecarEnv(payments.baseUrl(), audit, Map.of(
                "TOOLGATE_APPROVALS_HOLD_POLL_INTERVAL", "200ms",
                "TOOLGATE_APPROVALS_HOLD_PROGRESS_INTERVAL", "400ms")));
    }

    @AfterAll
    static void stopAll() {
        if (scene != null) {
            scene.close();
        }
        if (payments != null) {
            payments.close();
        }
    }

    @Test
    void approvedWhileHeldTheCallRunsOnceAndTheClientSawProgressWithItsToken() throws Exception {
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        try (McpSyncClient client = client(progress::add)) {
            CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> client.callTool(new CallToolRequest(
                    "update_amount", Map.of("payment_id", "pay_approved", "amount", 100), Map.of("progressToken", "hold-approve"))));
            McpApproval pending = scene.awaitOne("update_amount", "pay_approved");
            await().atMost(Duration.ofSeconds(5)).until(() -> progress.size() >= 2);
            assertThat(call).as("held while nobody decided").isNotDone();
            assertThat(runs("pay_approved")).as("nothing ran before the approval").isZero();

            scene.decide("alice", pending, "{\"verdict\":\"Approved\",\"reason\":\"invoice checked\"}");
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
        scene.awaitState(scene.approvals("update_amount", "pay_approved").get(0).getMetadata().getName(), "Consumed");
        JsonNode line = auditLine(l -> "pay_approved".equals(scene.approvedPayment(l)) && "allowed".equals(l.path("decision").asText()));
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
            McpApproval pending = scene.awaitOne("update_amount", "pay_rejected");
            scene.decide("alice", pending, "{\"verdict\":\"Rejected\",\"reason\":\"not this customer\"}");
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
        List<McpApproval> approvals = scene.approvals("update_amount", "pay_slow");
        assertThat(approvals).singleElement().satisfies(a -> assertThat(a.getStatus().getState()).isEqualTo("Pending"));
        assertThat(auditLine(l -> "pay_slow".equals(scene.approvedPayment(l))).path("holdEnded").asText()).isEqualTo("timeout");
        assertThat(runs("pay_slow")).isZero();
    }

    @Test
    void anApprovedHeldCallIsStillRateLimited() throws Exception {
        try (McpSyncClient client = client(p -> { })) {
            for (String payment : List.of("pay_first", "pay_second")) {
                CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> client.callTool(new CallToolRequest(
                        "close_payment", Map.of("payment_id", payment))));
                McpApproval pending = scene.awaitOne("close_payment", payment);
                scene.decide("alice", pending, "{\"verdict\":\"Approved\"}");
                if (payment.equals("pay_first")) {
                    assertThat(((McpSchema.TextContent) call.get(10, TimeUnit.SECONDS).content().get(0)).text())
                            .isEqualTo("payment pay_first: close_payment done");
                } else {
                    assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(McpError.class)
                            .hasMessageContaining("Toolgate: tool \"close_payment\" rate limited");
                    scene.awaitState(pending.getMetadata().getName(), "Approved");
                    assertThat(scene.approval(pending.getMetadata().getName()).getStatus().getConsumed()).as("nothing used up").isIn(null, 0);
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
        scene.awaitOne("update_amount", "pay_gave_up");
        node.destroyForcibly();
        assertThat(node.waitFor(10, TimeUnit.SECONDS)).isTrue();
        JsonNode abandoned = auditLine(l -> "pay_gave_up".equals(scene.approvedPayment(l)));
        assertThat(abandoned.path("holdEnded").asText()).isEqualTo("client_gone");
        assertThat(abandoned.path("approvalState").asText()).isEqualTo("Pending");
        McpApproval pending = scene.awaitOne("update_amount", "pay_gave_up");
        Thread.sleep(HOLD_FOR.toMillis() / 2);
        assertThat(scene.approval(pending.getMetadata().getName()).getStatus().getState()).as("still pending, for a retry").isEqualTo("Pending");

        scene.decide("alice", pending, "{\"verdict\":\"Approved\"}");
        try (McpSyncClient client = client(p -> { })) {
            McpSchema.CallToolResult result = client.callTool(new CallToolRequest("update_amount", Map.of("payment_id", "pay_gave_up", "amount", 100)));
            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("payment pay_gave_up: amount set to 100 (run 1)");
        }
        assertThat(scene.approvals("update_amount", "pay_gave_up")).as("the retry used the approval the held call filed").hasSize(1);
    }

    @Test
    void aCancelledHeldCallEndsAtOnceAndItsApprovalStaysPending() throws Exception {
        // the TypeScript SDK aborts the call after 1 s: it sends notifications/cancelled for it in the same session
        JsonNode cancelled = heldCall("pay_cancelled", 60_000, false, 1000L);
        assertThat(cancelled.path("error").path("message").asText()).contains("the agent stopped waiting");
        JsonNode ended = auditLine(l -> "pay_cancelled".equals(scene.approvedPayment(l)) && l.has("holdEnded"));
        assertThat(ended.path("holdEnded").asText()).as("the hold ended on the cancellation, not on the connection").isEqualTo("cancelled");
        assertThat(ended.path("heldMs").asLong()).as("long before holdFor").isLessThan(HOLD_FOR.toMillis());
        assertThat(ended.path("approvalState").asText()).isEqualTo("Pending");
        McpApproval pending = scene.awaitOne("update_amount", "pay_cancelled");
        assertThat(scene.approval(pending.getMetadata().getName()).getStatus().getState()).isEqualTo("Pending");
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
        McpApproval pending = scene.awaitOne("update_amount", "pay_patient");
        Thread.sleep(3000); // past the client's own 2.5 s timeout: only the progress notifications keep it waiting
        scene.decide("alice", pending, "{\"verdict\":\"Approved\"}");
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






    /** How often the server ran update_amount for {@code paymentId} (other tools: {@code tool:paymentId}). */
    private static int runs(String paymentId) throws Exception {
        return ApprovalScene.control(payments.baseUrl(), "runs").path(paymentId).asInt(0);
    }

    /** The sidecar's audit line matching {@code match}, once written. */
    private static JsonNode auditLine(java.util.function.Predicate<JsonNode> match) {
        return ApprovalScene.auditLine(audit, match);
    }

}
