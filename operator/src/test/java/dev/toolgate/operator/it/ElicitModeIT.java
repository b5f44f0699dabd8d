package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.approval.McpApproval;
import dev.toolgate.testsupport.ElicitClient;
import dev.toolgate.testsupport.McpPeers;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Approval elicit mode end to end, on the 2026-07-28 revision's multi round-trip requests: the packaged sidecar (a
 * process, as in its pod) in front of a real MCP server written with the TypeScript SDK v2
 * ({@code @modelcontextprotocol/server@2.4.0}, {@code modern-payments-server.mjs}), under the ConfigMap this operator
 * rendered from an McpPolicy whose {@code update_amount} is {@code approval: {mode: elicit}}, asking this operator's
 * approval API with a pod-bound token; people decide through the real API server. The agent is the real TypeScript SDK
 * v2 client ({@code @modelcontextprotocol/client@2.4.0}, {@code elicit-call.mjs}), whose elicitation handler waits for
 * this test; the server counts what it ran and records every tools/call it received. Two sidecars stand for two
 * replicas of the server: neither has a key file, both sign with the policy's key from this operator. Clients of the
 * 2025 revisions are asked on their call's own event stream: for them two more sidecars stand in front of a stateful
 * server written with the SDK 1.x ({@code payments-server.mjs}, which records every response a client POSTs), one of
 * them with a short {@code elicitation-wait}.
 */
@QuarkusTest
@WithTestResource(OperatorUnderTest.class)
class ElicitModeIT {

    private static final String NS = OperatorUnderTest.APP_NAMESPACE;
    private static final String POLICY = "payments-elicit";
    private static final String AGENT = "support-agent";
    private static final String KEY = "toolgate.dev/approval";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ApprovalScene scene;
    private static McpPeers.ServerEverything payments;
    private static Path audit;
    private static int proxyPort;
    private static int otherReplicaPort;
    /** Sidecars in front of the stateful server, for clients asked on their stream; the second waits 3 s at most. */
    private static McpPeers.ServerEverything statefulPayments;
    private static Path streamAudit;
    private static int streamPort;
    private static int shortWaitPort;

    @BeforeAll
    static void setUp() throws Exception {
        scene = new ApprovalScene("elicit", """
                apiVersion: toolgate.dev/v1alpha1
                kind: McpPolicy
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  podSelector:
                    matchLabels:
                      app: payments-elicit
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
                        mode: elicit
                """.formatted(POLICY, NS), "\"elicit\"");
        payments = McpPeers.startSdkV2Script(McpPeers.repoRoot().resolve("operator/src/test/node/modern-payments-server.mjs"));
        audit = scene.work.resolve("audit.log");
        // two replicas of the server's sidecar, without a state key file: each gets the policy's key from the operator
        proxyPort = scene.startSidecar("sidecar", scene.sidecarEnv(payments.baseUrl(), audit, Map.of()));
        otherReplicaPort = scene.startSidecar("sidecar-b", scene.sidecarEnv(payments.baseUrl(), scene.work.resolve("audit-b.log"), Map.of()));
        statefulPayments = McpPeers.startSdkScript(McpPeers.repoRoot().resolve("operator/src/test/node/payments-server.mjs"));
        streamAudit = scene.work.resolve("audit-stream.log");
        streamPort = scene.startSidecar("sidecar-stream", scene.sidecarEnv(statefulPayments.baseUrl(), streamAudit,
                Map.of("TOOLGATE_APPROVALS_HOLD_POLL_INTERVAL", "200ms")));
        shortWaitPort = scene.startSidecar("sidecar-short", scene.sidecarEnv(statefulPayments.baseUrl(), scene.work.resolve("audit-short.log"),
                Map.of("TOOLGATE_APPROVALS_ELICITATION_WAIT", "3s")));
        for (String name : List.of("sidecar", "sidecar-b")) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> Files.readString(scene.work.resolve(name + ".log"))
                    .contains("elicit mode seals requestState with McpPolicy " + POLICY + "'s key from the operator"));
        }
    }

    @AfterAll
    static void stopAll() {
        if (scene != null) {
            scene.close();
        }
        if (payments != null) {
            payments.close();
        }
        if (statefulPayments != null) {
            statefulPayments.close();
        }
    }

    @Test
    void approvedWhileAskedTheCallRunsOnceAndTheServerSeesNothingOfToolgates() throws Exception {
        try (ElicitCall agent = new ElicitCall("pay_approved", "modern", "auto")) {
            assertThat(agent.next().path("protocolVersion").asText()).isEqualTo("2026-07-28");
            JsonNode asked = agent.next();
            assertThat(asked.path("event").asText()).as("%s", asked).isEqualTo("elicited");
            McpApproval pending = scene.awaitOne("update_amount", "pay_approved");
            String name = pending.getMetadata().getName();
            assertThat(asked.path("params").path("mode").asText()).isEqualTo("form");
            assertThat(asked.path("params").path("message").asText())
                    .startsWith("Toolgate: tool \"update_amount\" needs a human's approval: Any change to an amount needs a human's approval. "
                            + "Approval " + NS + "/" + name + " is pending until ")
                    .contains("an approver runs: kubectl toolgate approve " + name + " -n " + NS);

            agent.send("accept"); // before anybody decided: asked again, with a new state
            assertThat(agent.next().path("event").asText()).isEqualTo("elicited");
            assertThat(runs("pay_approved")).as("nothing ran before the approval").isZero();

            scene.decide("alice", pending, "{\"verdict\":\"Approved\",\"reason\":\"invoice checked\"}");
            agent.send("accept");
            JsonNode done = agent.next();
            assertThat(done.path("result").asText()).as("%s", done).isEqualTo("payment pay_approved: amount set to 100 (run 1)");
        }
        assertThat(runs("pay_approved")).as("the approved call ran once").isEqualTo(1);
        scene.awaitState(scene.awaitOne("update_amount", "pay_approved").getMetadata().getName(), "Consumed");
        assertThat(auditLines(l -> "pay_approved".equals(scene.approvedPayment(l)) && "asked".equals(l.path("elicitation").asText())))
                .as("asked twice").hasSize(2);
        JsonNode ran = auditLine(l -> "pay_approved".equals(scene.approvedPayment(l)) && "allowed".equals(l.path("decision").asText()));
        assertThat(ran.path("elicitation").asText()).isEqualTo("answered");
        assertThat(ran.path("approver").asText()).isEqualTo("alice");
        assertThat(ran.path("upstreamStatus").asInt()).isEqualTo(200);
        assertThat(received("pay_approved")).singleElement().satisfies(params -> {
            assertThat(params.has("requestState")).as("%s", params).isFalse();
            assertThat(params.path("inputResponses").has(KEY)).as("%s", params).isFalse();
            assertThat(params.path("_meta").path("io.modelcontextprotocol/protocolVersion").asText()).isEqualTo("2026-07-28");
        });
    }

    @Test
    void aReplayedStateIsRefusedAndTheCallRunsOnce() throws Exception {
        try (ElicitCall agent = new ElicitCall("pay_replayed", "manual")) {
            agent.next(); // connected
            JsonNode first = agent.next();
            String state = first.path("inputRequired").path("requestState").asText();
            assertThat(state).as("%s", first).matches("tg1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");
            assertThat(first.path("inputRequired").path("inputRequests").path(KEY).path("method").asText()).isEqualTo("elicitation/create");
            scene.decide("alice", scene.awaitOne("update_amount", "pay_replayed"), "{\"verdict\":\"Approved\"}");

            agent.resend(state, "accept");
            assertThat(agent.next().path("result").asText()).isEqualTo("payment pay_replayed: amount set to 100 (run 1)");
            agent.resend(state, "accept");
            JsonNode replayed = agent.next();
            assertThat(replayed.path("error").path("code").asInt()).as("%s", replayed).isEqualTo(-32602);
            assertThat(replayed.path("error").path("message").asText())
                    .isEqualTo("Toolgate: requestState refused: it was used already: a requestState is good for one retry");
        }
        assertThat(runs("pay_replayed")).isEqualTo(1);
        assertThat(received("pay_replayed")).singleElement().satisfies(params -> assertThat(params.has("requestState")).isFalse());
        JsonNode refused = auditLine(l -> "request_state".equals(l.path("reason").asText()) && l.path("detail").asText().contains("used already"));
        assertThat(refused.path("decision").asText()).isEqualTo("refused");
        assertThat(refused.path("identity").asText()).isEqualTo(AGENT);
    }

    @Test
    void aStateSealedByOneReplicaOpensOnAnother() throws Exception {
        try (ElicitCall onA = new ElicitCall("pay_moved", "manual"); ElicitCall onB = new ElicitCall(AGENT, "pay_moved", "modern", "manual",
                otherReplicaPort)) {
            onA.next();
            String sealedByA = onA.next().path("inputRequired").path("requestState").asText();
            onB.next();
            assertThat(onB.next().path("inputRequired").path("requestState").asText()).as("the other replica asks too").startsWith("tg1.");
            assertThat(scene.approvals("update_amount", "pay_moved")).as("both replicas wait for the same approval").hasSize(1);
            scene.decide("alice", scene.awaitOne("update_amount", "pay_moved"), "{\"verdict\":\"Approved\"}");

            onB.resend(sealedByA, "accept"); // the Service sent the re-sent call to the other pod
            JsonNode ran = onB.next();
            assertThat(ran.path("result").asText()).as("%s", ran).isEqualTo("payment pay_moved: amount set to 100 (run 1)");
        }
        assertThat(runs("pay_moved")).isEqualTo(1);
    }

    @Test
    void aTamperedStateIsRefusedBeforeAnythingIsDecided() throws Exception {
        try (ElicitCall agent = new ElicitCall("pay_tampered", "manual")) {
            agent.next();
            String state = agent.next().path("inputRequired").path("requestState").asText();
            McpApproval pending = scene.awaitOne("update_amount", "pay_tampered");
            scene.decide("alice", pending, "{\"verdict\":\"Approved\"}");
            // the payload names another approval: the signature no longer covers it
            String[] parts = state.split("\\.");
            ObjectNode payload = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            payload.put("apr", "update-amount-00000000-1");
            String tampered = "tg1." + Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(payload)) + "." + parts[2];
            agent.resend(tampered, "accept");
            JsonNode refused = agent.next();
            assertThat(refused.path("error").path("code").asInt()).as("%s", refused).isEqualTo(-32602);
            assertThat(refused.path("error").path("message").asText()).startsWith("Toolgate: requestState refused: its signature does not verify");
            assertThat(runs("pay_tampered")).isZero();
            assertThat(scene.approval(pending.getMetadata().getName()).getStatus().getConsumed()).as("nothing used up").isIn(null, 0);

            agent.resend(state, "accept"); // the untouched state still opens once
            assertThat(agent.next().path("result").asText()).isEqualTo("payment pay_tampered: amount set to 100 (run 1)");
        }
        assertThat(runs("pay_tampered")).isEqualTo(1);
    }

    @Test
    void aStateIssuedToAnotherCallerIsRefused() throws Exception {
        String state;
        try (ElicitCall agent = new ElicitCall("pay_foreign", "manual")) {
            agent.next();
            state = agent.next().path("inputRequired").path("requestState").asText();
        }
        scene.decide("alice", scene.awaitOne("update_amount", "pay_foreign"), "{\"verdict\":\"Approved\"}");
        try (ElicitCall other = new ElicitCall("other-agent", "pay_foreign", "modern", "manual")) {
            other.next();
            assertThat(other.next().path("inputRequired").path("resultType").asText()).as("asked for its own approval").isEqualTo("input_required");
            other.resend(state, "accept");
            JsonNode refused = other.next();
            assertThat(refused.path("error").path("code").asInt()).as("%s", refused).isEqualTo(-32602);
            assertThat(refused.path("error").path("message").asText()).isEqualTo("Toolgate: requestState refused: it was issued to another caller");
        }
        assertThat(runs("pay_foreign")).as("support-agent's approval did not run other-agent's call").isZero();
    }

    @Test
    void aRejectionIsAnsweredWithTheApproversReason() throws Exception {
        try (ElicitCall agent = new ElicitCall("pay_rejected", "modern", "auto")) {
            agent.next();
            assertThat(agent.next().path("event").asText()).isEqualTo("elicited");
            scene.decide("alice", scene.awaitOne("update_amount", "pay_rejected"), "{\"verdict\":\"Rejected\",\"reason\":\"not this customer\"}");
            agent.send("accept");
            JsonNode done = agent.next();
            assertThat(done.path("error").path("code").asInt()).as("%s", done).isEqualTo(-31001);
            assertThat(done.path("error").path("message").asText())
                    .isEqualTo("Toolgate: tool \"update_amount\" denied: rejected by alice: not this customer");
        }
        assertThat(runs("pay_rejected")).isZero();
        assertThat(auditLine(l -> "pay_rejected".equals(scene.approvedPayment(l)) && "denied".equals(l.path("decision").asText()))
                .path("elicitation").asText()).isEqualTo("answered");
    }

    @Test
    void aDeclinedElicitationIsRefusedAndTheApprovalStaysPending() throws Exception {
        try (ElicitCall agent = new ElicitCall("pay_declined", "modern", "auto")) {
            agent.next();
            assertThat(agent.next().path("event").asText()).isEqualTo("elicited");
            McpApproval pending = scene.awaitOne("update_amount", "pay_declined");
            agent.send("decline");
            JsonNode done = agent.next();
            assertThat(done.path("error").path("code").asInt()).as("%s", done).isEqualTo(-31004);
            assertThat(done.path("error").path("message").asText())
                    .startsWith("Toolgate: tool \"update_amount\" requires approval: Any change to an amount needs a human's approval. "
                            + "(the user declined Toolgate's request to wait for it). Approval " + NS + "/" + pending.getMetadata().getName()
                            + " is pending until ");
            assertThat(scene.approval(pending.getMetadata().getName()).getStatus().getState()).isEqualTo("Pending");
        }
        assertThat(runs("pay_declined")).isZero();
        assertThat(scene.approvals("update_amount", "pay_declined")).as("nothing new filed").hasSize(1);
    }

    @Test
    void aClientOfAnEarlierRevisionIsAskedOnItsStreamAndTheApprovedCallRunsOnce() throws Exception {
        try (ElicitCall agent = new ElicitCall(AGENT, "pay_stream", "legacy", "auto", streamPort)) {
            assertThat(agent.next().path("protocolVersion").asText()).isEqualTo("2025-11-25");
            JsonNode asked = agent.next();
            assertThat(asked.path("event").asText()).as("%s", asked).isEqualTo("elicited");
            assertThat(asked.path("id").asText()).startsWith("toolgate.dev/approval-");
            McpApproval pending = scene.awaitOne("update_amount", "pay_stream");
            String name = pending.getMetadata().getName();
            assertThat(asked.path("params").path("message").asText())
                    .startsWith("Toolgate: tool \"update_amount\" needs a human's approval: Any change to an amount needs a human's approval. "
                            + "Approval " + NS + "/" + name + " is pending until ")
                    .contains("an approver runs: kubectl toolgate approve " + name + " -n " + NS);

            agent.send("accept"); // before anybody decided: asked again on the same stream
            JsonNode again = agent.next();
            assertThat(again.path("event").asText()).as("%s", again).isEqualTo("elicited");
            assertThat(again.path("params").path("message").asText()).startsWith("Still pending (asked 2 times). Toolgate: tool \"update_amount\"");
            assertThat(streamRuns("pay_stream")).as("nothing ran before the approval").isZero();

            scene.decide("alice", pending, "{\"verdict\":\"Approved\",\"reason\":\"invoice checked\"}");
            agent.send("accept");
            JsonNode done = agent.next();
            assertThat(done.path("result").asText()).as("%s", done).isEqualTo("payment pay_stream: amount set to 100 (run 1)");
        }
        assertThat(streamRuns("pay_stream")).as("the approved call ran once").isEqualTo(1);
        scene.awaitState(scene.awaitOne("update_amount", "pay_stream").getMetadata().getName(), "Consumed");
        JsonNode ran = ApprovalScene.auditLine(streamAudit, l -> "pay_stream".equals(scene.approvedPayment(l)) && "allowed".equals(l.path("decision").asText()));
        assertThat(ran.path("elicitation").asText()).isEqualTo("answered");
        assertThat(ran.path("holdEnded").asText()).isEqualTo("approved");
        assertThat(ran.path("approver").asText()).isEqualTo("alice");
        assertThat(ran.path("upstreamStatus").asInt()).isEqualTo(200);
        assertThat(ApprovalScene.control(statefulPayments.baseUrl(), "responses")).as("the client's answers never reached the server").isEmpty();
    }

    @Test
    void theSdk1ClientIsAskedOnItsStreamToo() throws Exception {
        try (ElicitCall agent = new ElicitCall(AGENT, "pay_stream_v1", "v1", "auto", streamPort)) {
            agent.next();
            JsonNode asked = agent.next();
            assertThat(asked.path("event").asText()).as("%s", asked).isEqualTo("elicited");
            assertThat(asked.path("params").path("message").asText()).startsWith("Toolgate: tool \"update_amount\" needs a human's approval");
            scene.decide("alice", scene.awaitOne("update_amount", "pay_stream_v1"), "{\"verdict\":\"Approved\"}");
            agent.send("accept");
            JsonNode done = agent.next();
            assertThat(done.path("result").asText()).as("%s", done).isEqualTo("payment pay_stream_v1: amount set to 100 (run 1)");
        }
        assertThat(streamRuns("pay_stream_v1")).isEqualTo(1);
    }

    @Test
    void aDeclinedElicitationOnTheStreamIsRefusedAndTheApprovalStaysPending() throws Exception {
        try (ElicitCall agent = new ElicitCall(AGENT, "pay_stream_declined", "legacy", "auto", streamPort)) {
            agent.next();
            assertThat(agent.next().path("event").asText()).isEqualTo("elicited");
            McpApproval pending = scene.awaitOne("update_amount", "pay_stream_declined");
            agent.send("decline");
            JsonNode done = agent.next();
            assertThat(done.path("error").path("code").asInt()).as("%s", done).isEqualTo(-31004);
            assertThat(done.path("error").path("message").asText())
                    .startsWith("Toolgate: tool \"update_amount\" requires approval: Any change to an amount needs a human's approval. "
                            + "(the user declined Toolgate's request to wait for it). Approval " + NS + "/" + pending.getMetadata().getName());
            assertThat(scene.approval(pending.getMetadata().getName()).getStatus().getState()).isEqualTo("Pending");
        }
        assertThat(streamRuns("pay_stream_declined")).isZero();
        assertThat(ApprovalScene.auditLine(streamAudit, l -> "pay_stream_declined".equals(scene.approvedPayment(l))).path("holdEnded").asText())
                .isEqualTo("declined");
    }

    @Test
    void anAnswerFromAnotherCallerIsNotTakenNorForwarded() throws Exception {
        try (ElicitCall agent = new ElicitCall(AGENT, "pay_stream_forged", "legacy", "auto", streamPort)) {
            agent.next();
            JsonNode asked = agent.next();
            String id = asked.path("id").asText();
            scene.decide("alice", scene.awaitOne("update_amount", "pay_stream_forged"), "{\"verdict\":\"Approved\"}");
            // another agent, which learnt the elicitation's id, answers it for the user
            java.net.http.HttpResponse<String> forged = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
                    .build().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + streamPort + "/mcp")).header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream").header("X-Agent-Id", "intruder-agent")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":\"" + id
                            + "\",\"result\":{\"action\":\"accept\",\"content\":{}}}")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(forged.statusCode()).isEqualTo(202);
            assertThat(agent.nextWithin(Duration.ofMillis(1500))).as("the call still waits for its own user").isNull();
            assertThat(streamRuns("pay_stream_forged")).isZero();

            agent.send("accept");
            assertThat(agent.next().path("result").asText()).isEqualTo("payment pay_stream_forged: amount set to 100 (run 1)");
        }
        assertThat(ApprovalScene.control(statefulPayments.baseUrl(), "responses")).as("neither answer reached the server").isEmpty();
    }

    @Test
    void anUnansweredElicitationIsCancelledWhenTheWaitRunsOut() throws Exception {
        List<JsonNode> events = new ArrayList<>();
        try (ElicitCall agent = new ElicitCall(AGENT, "pay_stream_slow", "legacy", "auto", shortWaitPort)) {
            agent.next();
            assertThat(agent.next().path("event").asText()).isEqualTo("elicited");
            for (JsonNode event = agent.next(); ; event = agent.next()) {
                events.add(event);
                if ("done".equals(event.path("event").asText())) {
                    break;
                }
            }
        }
        assertThat(events).as("%s", events).anySatisfy(e -> assertThat(e.path("event").asText()).isEqualTo("elicitationCancelled"));
        JsonNode done = events.get(events.size() - 1);
        assertThat(done.path("error").path("code").asInt()).as("%s", done).isEqualTo(-31004);
        assertThat(done.path("error").path("message").asText()).contains("(still waiting after 3")
                .contains("for an answer to Toolgate's elicitation; the approval stays pending");
        assertThat(scene.approvals("update_amount", "pay_stream_slow")).singleElement().satisfies(a -> assertThat(a.getStatus().getState()).isEqualTo("Pending"));
        assertThat(streamRuns("pay_stream_slow")).isZero();
    }

    @Test
    void aClientThatDeclaredNoElicitationGetsRetryModesAnswer() throws Exception {
        try (ElicitCall agent = new ElicitCall(AGENT, "pay_stream_plain", "plain", "auto", streamPort)) {
            agent.next();
            JsonNode done = agent.next();
            assertThat(done.path("event").asText()).as("never asked: %s", done).isEqualTo("done");
            assertThat(done.path("error").path("code").asInt()).isEqualTo(-31004);
            assertThat(done.path("error").path("message").asText()).contains("retry the same call once a human approved it (kubectl toolgate approve ");
        }
    }

    @Test
    void aClientOfAStatelessServerGetsRetryModesAnswerAndItsRetryRunsOnceApproved() throws Exception {
        // without a session the sidecar cannot know what the client's initialize declared, so nobody is asked
        try (ElicitCall agent = new ElicitCall("pay_old", "legacy", "auto")) {
            assertThat(agent.next().path("protocolVersion").asText()).isEqualTo("2025-11-25");
            JsonNode done = agent.next();
            assertThat(done.path("event").asText()).as("never asked: %s", done).isEqualTo("done");
            assertThat(done.path("error").path("code").asInt()).isEqualTo(-31004);
            assertThat(done.path("error").path("message").asText()).contains("retry the same call once a human approved it (kubectl toolgate approve ");
        }
        scene.decide("alice", scene.awaitOne("update_amount", "pay_old"), "{\"verdict\":\"Approved\"}");
        try (ElicitCall agent = new ElicitCall("pay_old", "legacy", "auto")) {
            agent.next();
            assertThat(agent.next().path("result").asText()).isEqualTo("payment pay_old: amount set to 100 (run 1)");
        }
        assertThat(runs("pay_old")).isEqualTo(1);
        assertThat(auditLine(l -> "pay_old".equals(scene.approvedPayment(l)) && "approval_required".equals(l.path("decision").asText())).has("elicitation"))
                .isFalse();
    }

    // --- helpers

    /** {@code elicit-call.mjs}, the TypeScript SDK v2 client, driven line by line. */
    private static final class ElicitCall implements AutoCloseable {
        private final ElicitClient client;

        ElicitCall(String paymentId, String fulfil) throws IOException {
            this(paymentId, "modern", fulfil);
        }

        ElicitCall(String paymentId, String era, String fulfil) throws IOException {
            this(AGENT, paymentId, era, fulfil, proxyPort);
        }

        ElicitCall(String agent, String paymentId, String era, String fulfil) throws IOException {
            this(agent, paymentId, era, fulfil, proxyPort);
        }

        ElicitCall(String agent, String paymentId, String era, String fulfil, int sidecarPort) throws IOException {
            client = new ElicitClient("http://127.0.0.1:" + sidecarPort, agent, paymentId, era, fulfil);
        }

        JsonNode next() throws Exception {
            return client.next();
        }

        JsonNode nextWithin(Duration wait) throws Exception {
            return client.nextWithin(wait);
        }

        void send(String line) throws IOException {
            client.send(line);
        }

        void resend(String state, String action) throws IOException {
            client.resend(state, action);
        }

        @Override
        public void close() throws Exception {
            client.close();
        }
    }





    /** How often the stateful server ran update_amount for {@code paymentId}. */
    private static int streamRuns(String paymentId) throws Exception {
        return ApprovalScene.control(statefulPayments.baseUrl(), "runs").path(paymentId).asInt(0);
    }

    /** How often the server ran update_amount for {@code paymentId}. */
    private static int runs(String paymentId) throws Exception {
        return ApprovalScene.control(payments.baseUrl(), "runs").path(paymentId).asInt(0);
    }

    /** The params of every tools/call for {@code paymentId} the server received. */
    private static List<JsonNode> received(String paymentId) throws Exception {
        List<JsonNode> found = new ArrayList<>();
        ApprovalScene.control(payments.baseUrl(), "received").forEach(params -> {
            if (paymentId.equals(params.path("arguments").path("payment_id").asText())) {
                found.add(params);
            }
        });
        return found;
    }

    /** The first sidecar's audit line matching {@code match}, once written. */
    private static JsonNode auditLine(java.util.function.Predicate<JsonNode> match) {
        return ApprovalScene.auditLine(audit, match);
    }

    private static List<JsonNode> auditLines(java.util.function.Predicate<JsonNode> match) throws IOException {
        return ApprovalScene.auditLines(audit, match);
    }

}
