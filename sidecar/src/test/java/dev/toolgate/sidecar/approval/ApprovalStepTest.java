package dev.toolgate.sidecar.approval;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.Verdict;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.DenialResponses;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import dev.toolgate.sidecar.mcp.JsonRpcParser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

/**
 * The approval step where no human can be asked: no approval service configured, an anonymous caller, the operator
 * unreachable. Each keeps the call from the server ({@code approval_required}, with why); calls that need no approval
 * pass untouched. In hold mode, what is held, and a hold that can never be decided. (With the operator: ApprovalIT and
 * HoldModeIT in the operator module, and the KT tier on Kind.)
 */
class ApprovalStepTest {

    private static final Caller AGENT = new Caller("system:serviceaccount:shop:agent", Set.of(), Caller.Source.SERVICE_ACCOUNT);
    private static Vertx vertx;
    private static Policy policy;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        policy = Policy.load("{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"update_amount\":{\"action\":\"require_approval\","
                + "\"reason\":\"Amount changes need a human.\"},\"get_payment\":{},\"refund\":{\"action\":\"require_approval\","
                + "\"enforcement\":\"audit\"},\"wire\":{\"action\":\"require_approval\",\"approval\":{\"mode\":\"hold\",\"hold_for\":\"1s\"}}}}",
                new dev.toolgate.policy.InMemoryCounterStore());
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    @Test
    void withoutAnApprovalServiceTheCallStaysRefusedAndSaysWhy() throws Exception {
        CallDecision call = settle(new ApprovalClient(null, null, null, null, 1000, vertx), AGENT, "update_amount");
        assertThat(call.decision().verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(call.decision().reason()).isEqualTo("Amount changes need a human. (nobody can approve it here: this sidecar is not "
                + "connected to Toolgate's approval service)");
        assertThat(call.approval()).isNull();
    }

    @Test
    void anAnonymousCallCannotBeApproved() throws Exception {
        CallDecision call = settle(new ApprovalClient("https://127.0.0.1:1", "payments", null, null, 1000, vertx), Caller.anonymous(),
                "update_amount");
        assertThat(call.decision().verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(call.decision().reason()).endsWith("(an anonymous call cannot be approved: an approval is bound to who asks)");
    }

    @Test
    void theOperatorUnreachableMeansApprovalServiceUnavailableNeverAPass() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        CallDecision call = settle(new ApprovalClient("http://127.0.0.1:" + closed, "payments", null, null, 1000, vertx), AGENT,
                "update_amount");
        assertThat(call.decision().verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(call.decision().reason()).contains("approval service unavailable");
        assertThat(settle(new ApprovalClient("http://127.0.0.1:" + closed, "payments", null, null, 1000, vertx), AGENT, "get_payment")
                .decision().verdict()).as("a call needing no approval never asks").isEqualTo(Verdict.ALLOWED);
    }

    @Test
    void aWouldBeApprovalInAuditModeAsksNobodyAndGoesAhead() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        // the operator is unreachable: were it asked, the call would be refused "approval service unavailable"
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        CallDecision call = settle(new ApprovalClient("http://127.0.0.1:" + closed, "payments", null, null, 1000, vertx), AGENT, "refund", meters);
        assertThat(call.decision().verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(call.decision().enforced()).isFalse();
        assertThat(call.decision().reason()).isEqualTo("tool \"refund\" requires human approval");
        assertThat(call.proceeds()).isTrue();
        assertThat(call.approval()).as("no McpApproval filed").isNull();
        assertThat(meters.getMeters()).as("the approval service was never asked").isEmpty();
    }

    @Test
    void aPendingApprovalIsNamedWithWhatToDo() {
        ApprovalTicket ticket = new ApprovalTicket("update-amount-1a2b3c4d-1", "shop", ApprovalTicket.PENDING, "2026-12-02T05:00:00Z", null,
                null, null);
        var answer = DenialResponses.denial(new IntNode(7), new Decision(Verdict.APPROVAL_REQUIRED, "update_amount",
                "tools[\"update_amount\"]", "Amount changes need a human.", null, 0), ticket);
        assertThat(answer.path("error").path("message").asText()).isEqualTo("Toolgate: tool \"update_amount\" requires approval: Amount "
                + "changes need a human. Approval shop/update-amount-1a2b3c4d-1 is pending until 2026-12-02T05:00:00Z; retry the same call "
                + "once a human approved it (kubectl toolgate approve update-amount-1a2b3c4d-1 -n shop)");
        assertThat(answer.path("error").path("data").path("approval").path("approve").asText())
                .isEqualTo("kubectl toolgate approve update-amount-1a2b3c4d-1 -n shop");
        assertThat(answer.path("error").path("data").path("approval").path("state").asText()).isEqualTo("Pending");
    }

    @Test
    void onlyASingleCallPendingInHoldModeIsHeld() throws Exception {
        ApprovalStep step = new ApprovalStep(new ApprovalClient(null, null, null, null, 1000, vertx), new SimpleMeterRegistry());
        assertThat(step.holds(pendingInspection("wire"), false)).isTrue();
        assertThat(step.holds(pendingInspection("wire"), true)).as("a batch is answered as in retry mode").isFalse();
        assertThat(step.holds(pendingInspection("update_amount"), false)).as("retry mode").isFalse();
    }

    @Test
    void aHeldCallWhoseOperatorStaysUnreachableIsRefusedWhenTheHoldRunsOut() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ApprovalStep step = new ApprovalStep(new ApprovalClient("http://127.0.0.1:" + closed, "payments", null, null, 500, vertx), meters,
                java.time.Duration.ofMillis(100), java.time.Duration.ofMillis(300));
        EnforcementFilter.Inspection pending = pendingInspection("wire");
        List<Long> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.vertx.core.Context context = vertx.getOrCreateContext();
        long start = System.nanoTime();
        ApprovalHold hold = step.hold(prepared("wire", AGENT), pending, AGENT, vertx, context, (waited, longest, ticket) -> progress.add(waited));
        CallDecision call = hold.start().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS).decisions().get(0);
        long tookMillis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(call.decision().verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(call.decision().reason()).contains("approval service unavailable");
        assertThat(call.approval().holdEnded()).isEqualTo("unavailable");
        assertThat(call.approval().heldMillis()).isBetween(1000L, 2500L);
        assertThat(tookMillis).as("hold_for, then refused: never a pass").isBetween(1000L, 3000L);
        assertThat(progress).as("told while it waited").hasSizeGreaterThanOrEqualTo(2);
        assertThat(meters.find("toolgate.approval.hold").tag("outcome", "unavailable").timer().count()).isEqualTo(1);
    }

    @Test
    void aHoldWhoseClientLeftStopsAndLeavesTheApprovalPending() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ApprovalStep step = new ApprovalStep(new ApprovalClient("http://127.0.0.1:9", "payments", null, null, 500, vertx), meters,
                java.time.Duration.ofMillis(100), java.time.Duration.ofMillis(300));
        io.vertx.core.Context context = vertx.getOrCreateContext();
        ApprovalHold hold = step.hold(prepared("wire", AGENT), pendingInspection("wire"), AGENT, vertx, context, null);
        var result = hold.start().toCompletableFuture();
        context.runOnContext(v -> hold.abandon());
        CallDecision call = result.get(5, java.util.concurrent.TimeUnit.SECONDS).decisions().get(0);
        assertThat(call.approval().state()).isEqualTo(ApprovalTicket.PENDING);
        assertThat(call.approval().holdEnded()).isEqualTo("client_gone");
        assertThat(call.proceeds()).isFalse();
    }

    /** The decision of one call of {@code tool} whose McpApproval the operator answered Pending (as {@link ApprovalStep#settle} leaves it). */
    private static EnforcementFilter.Inspection pendingInspection(String tool) throws Exception {
        EnforcementFilter.Inspection decided = prepared(tool, AGENT).decide(System.currentTimeMillis()).toCompletableFuture().get();
        CallDecision call = decided.decisions().get(0);
        ApprovalTicket ticket = new ApprovalTicket(tool + "-1a2b3c4d-1", "shop", ApprovalTicket.PENDING,
                java.time.Instant.now().plusSeconds(3600).toString(), null, null, null);
        return new EnforcementFilter.Inspection(List.of(call.with(call.decision(), ticket)));
    }

    private static EnforcementFilter.Prepared prepared(String tool, Caller caller) throws Exception {
        var body = JsonRpcParser.parse(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":{\"amount\":100}}}").getBytes(StandardCharsets.UTF_8));
        return EnforcementFilter.prepare(body, policy, null, caller, "s-1");
    }

    private static CallDecision settle(ApprovalClient client, Caller caller, String tool) throws Exception {
        return settle(client, caller, tool, new SimpleMeterRegistry());
    }

    private static CallDecision settle(ApprovalClient client, Caller caller, String tool, SimpleMeterRegistry meters) throws Exception {
        var body = JsonRpcParser.parse(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":{\"amount\":100}}}").getBytes(StandardCharsets.UTF_8));
        EnforcementFilter.Prepared prepared = EnforcementFilter.prepare(body, policy, null, caller, "s-1");
        EnforcementFilter.Inspection decided = prepared.decide(System.currentTimeMillis()).toCompletableFuture().get();
        List<CallDecision> settled = new ApprovalStep(client, meters)
                .settle(prepared, decided, caller, "s-1", policy.hash()).toCompletableFuture().get().decisions();
        assertThat(settled).hasSize(1);
        return settled.get(0);
    }
}
