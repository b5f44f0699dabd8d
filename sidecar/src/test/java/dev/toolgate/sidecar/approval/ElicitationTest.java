package dev.toolgate.sidecar.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.Verdict;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.DenialResponses;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import dev.toolgate.sidecar.mcp.ForwardedBody;
import dev.toolgate.sidecar.mcp.JsonRpcParser;
import dev.toolgate.sidecar.mcp.ParsedBody;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

/**
 * Elicit mode without the operator: who is asked, the "input required" answer's shape (as the MCP TypeScript SDK
 * v2 reads it), and what a re-sent call leaves of Toolgate's fields. (With the operator and the SDK: ElicitModeIT.)
 */
class ElicitationTest {

    private static final Caller AGENT = new Caller("system:serviceaccount:shop:agent", Set.of(), Caller.Source.SERVICE_ACCOUNT);
    private static final String MODERN = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
            + "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{\"form\":{}}}}";
    private static Vertx vertx;
    private static Policy policy;
    private static SimpleMeterRegistry meters;
    private static Elicitation elicitation;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        policy = Policy.load("{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"update_amount\":{\"action\":\"require_approval\","
                + "\"reason\":\"Amount changes need a human.\",\"approval\":{\"mode\":\"elicit\"}},\"refund\":{\"action\":\"require_approval\"}}}",
                new dev.toolgate.policy.InMemoryCounterStore());
        meters = new SimpleMeterRegistry();
        elicitation = new Elicitation(new RequestStates(RequestStates.randomKey(), 100, System::currentTimeMillis),
                new ApprovalStep(new ApprovalClient(null, null, null, null, 1000, vertx), meters));
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    @Test
    void onlyA2026ClientWithFormElicitationIsAsked() throws Exception {
        assertThat(elicitation.asks(pending("update_amount", MODERN), parse("update_amount", MODERN), null)).isTrue();
        String emptyElicitation = MODERN.replace("{\"form\":{}}", "{}");
        assertThat(elicitation.asks(pending("update_amount", emptyElicitation), parse("update_amount", emptyElicitation), null))
                .as("an empty elicitation capability is form mode").isTrue();
        for (String meta : List.of("\"_meta\":{}", MODERN.replace("2026-07-28", "2025-11-25"), MODERN.replace("{\"form\":{}}", "{\"url\":{}}"),
                MODERN.replace(",\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{\"form\":{}}}", ""),
                MODERN.replace("2026-07-28", "latest"))) {
            assertThat(elicitation.asks(pending("update_amount", meta), parse("update_amount", meta), null)).as(meta).isFalse();
        }
        assertThat(elicitation.asks(pending("refund", MODERN), parse("refund", MODERN), null)).as("retry mode").isFalse();
    }

    @Test
    void theInputRequiredAnswerHoldsOneFormElicitationAndAState() throws Exception {
        EnforcementFilter.Inspection pending = pending("update_amount", MODERN);
        ObjectNode answer = elicitation.inputRequired(new IntNode(3), pending.decisions().get(0), AGENT, policy.hash());
        assertThat(answer.path("id").asInt()).isEqualTo(3);
        var result = answer.path("result");
        assertThat(result.path("resultType").asText()).isEqualTo("input_required");
        assertThat(result.path("requestState").asText()).startsWith("tg1.");
        var request = result.path("inputRequests").path(Elicitation.INPUT_KEY);
        assertThat(request.path("method").asText()).isEqualTo("elicitation/create");
        assertThat(request.path("params").path("mode").asText()).isEqualTo("form");
        assertThat(request.path("params").path("requestedSchema").toString()).isEqualTo("{\"type\":\"object\",\"properties\":{}}");
        assertThat(request.path("params").path("message").asText()).startsWith("Toolgate: tool \"update_amount\" needs a human's approval: "
                + "Amount changes need a human. Approval shop/update-amount-1a2b3c4d-1 is pending until ")
                .contains("an approver runs: kubectl toolgate approve update-amount-1a2b3c4d-1 -n shop");
        assertThat(meters.find("toolgate.approvals").tag("outcome", "elicited").counter().count()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aResentCallOpensItsStateAndTheServerSeesNoneOfToolgatesFields() throws Exception {
        EnforcementFilter.Inspection pending = pending("update_amount", MODERN);
        String state = elicitation.inputRequired(new IntNode(3), pending.decisions().get(0), AGENT, policy.hash())
                .path("result").path("requestState").asText();
        ParsedBody resent = parse("update_amount", MODERN + ",\"requestState\":\"" + state + "\",\"inputResponses\":{\""
                + Elicitation.INPUT_KEY + "\":{\"action\":\"accept\",\"content\":{}},\"server-own\":{\"action\":\"accept\"}}");
        Elicitation.Answer answer = elicitation.open(resent, prepared(resent), AGENT, policy.hash());
        assertThat(answer.accepted()).isTrue();
        assertThat(answer.state().binding().approval()).isEqualTo("update-amount-1a2b3c4d-1");
        String forwarded = new String(ForwardedBody.bytes(resent, 1000), StandardCharsets.UTF_8);
        assertThat(forwarded).doesNotContain("requestState").doesNotContain(Elicitation.INPUT_KEY)
                .contains("\"inputResponses\":{\"server-own\":{\"action\":\"accept\"}}");
        assertThatThrownBy(() -> elicitation.open(parse("update_amount", MODERN + ",\"requestState\":\"" + state + "\",\"inputResponses\":{\""
                + Elicitation.INPUT_KEY + "\":{\"action\":\"accept\"}}"), prepared(resent), AGENT, policy.hash()))
                .isInstanceOf(RequestStates.Refused.class).hasMessageContaining("used already");
    }

    @Test
    void aDeclinedAnswerIsRefusedAndLeavesTheApprovalPending() throws Exception {
        EnforcementFilter.Inspection pending = pending("update_amount", MODERN);
        String state = elicitation.inputRequired(new IntNode(3), pending.decisions().get(0), AGENT, policy.hash())
                .path("result").path("requestState").asText();
        ParsedBody resent = parse("update_amount", MODERN + ",\"requestState\":\"" + state + "\",\"inputResponses\":{\""
                + Elicitation.INPUT_KEY + "\":{\"action\":\"decline\"}}");
        EnforcementFilter.Prepared prepared = prepared(resent);
        Elicitation.Answer answer = elicitation.open(resent, prepared, AGENT, policy.hash());
        CallDecision call = elicitation.declined(prepared.decide(System.currentTimeMillis()).toCompletableFuture().get(), answer)
                .decisions().get(0);
        assertThat(call.decision().verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(call.approval().state()).isEqualTo(ApprovalTicket.PENDING);
        assertThat(call.approval().elicitation()).isEqualTo(ApprovalTicket.ANSWERED);
        assertThat(elicitation.asks(new EnforcementFilter.Inspection(List.of(call)), resent, answer)).as("not asked again").isFalse();
        assertThat(DenialResponses.denial(new IntNode(4), call.decision(), call.approval()).path("error").path("message").asText())
                .startsWith("Toolgate: tool \"update_amount\" requires approval: Amount changes need a human. (the user declined Toolgate's "
                        + "request to wait for it). Approval shop/update-amount-1a2b3c4d-1 is pending until ");
    }

    @Test
    void aStateWithoutItsAnswerOrInABatchIsRefusedAndAServersOwnStateIsLeftAlone() throws Exception {
        EnforcementFilter.Inspection pending = pending("update_amount", MODERN);
        String state = elicitation.inputRequired(new IntNode(3), pending.decisions().get(0), AGENT, policy.hash())
                .path("result").path("requestState").asText();
        ParsedBody unanswered = parse("update_amount", MODERN + ",\"requestState\":\"" + state + "\"");
        assertThatThrownBy(() -> elicitation.open(unanswered, prepared(unanswered), AGENT, policy.hash()))
                .isInstanceOf(RequestStates.Refused.class).hasMessageStartingWith("it came without an answer to Toolgate's elicitation");
        ParsedBody batch = JsonRpcParser.parse(("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"update_amount\","
                + "\"arguments\":{\"amount\":100},\"requestState\":\"" + state + "\"}}]").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> elicitation.open(batch, prepared(batch), AGENT, policy.hash()))
                .isInstanceOf(RequestStates.Refused.class).hasMessageContaining("not in a batch");
        ParsedBody servers = parse("update_amount", MODERN + ",\"requestState\":\"server-state\",\"inputResponses\":{\"q\":{\"action\":\"accept\"}}");
        assertThat(elicitation.open(servers, prepared(servers), AGENT, policy.hash())).isNull();
        assertThat(new String(ForwardedBody.bytes(servers, 1000), StandardCharsets.UTF_8)).contains("\"requestState\":\"server-state\"")
                .contains("\"inputResponses\":{\"q\":{\"action\":\"accept\"}}");
    }

    @Test
    void aClientOfAnEarlierRevisionIsAskedOnItsStreamOnlyWhenItsSessionDeclaredFormAndItTakesAStream() throws Exception {
        String old = "\"_meta\":{}";
        assertThat(elicitation.asksOnStream(pending("update_amount", old), parse("update_amount", old), null, true, true)).isTrue();
        assertThat(elicitation.asksOnStream(pending("update_amount", old), parse("update_amount", old), null, false, true))
                .as("its initialize declared no form elicitation (or there is no session)").isFalse();
        assertThat(elicitation.asksOnStream(pending("update_amount", old), parse("update_amount", old), null, true, false))
                .as("it takes only JSON").isFalse();
        assertThat(elicitation.asksOnStream(pending("update_amount", MODERN), parse("update_amount", MODERN), null, true, true))
                .as("a 2026-07-28 client is answered \"input required\" instead").isFalse();
        assertThat(elicitation.asksOnStream(pending("refund", old), parse("refund", old), null, true, true)).as("retry mode").isFalse();
    }

    @Test
    void theStreamRequestIsAFormElicitationWithTheSidecarsOwnId() throws Exception {
        CallDecision call = pending("update_amount", "\"_meta\":{}").decisions().get(0);
        ObjectNode request = elicitation.streamRequest("toolgate.dev/approval-x", call, 1);
        assertThat(request.path("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(request.path("id").asText()).isEqualTo("toolgate.dev/approval-x");
        assertThat(request.path("method").asText()).isEqualTo("elicitation/create");
        assertThat(request.path("params").has("mode")).as("a form in every revision with elicitation").isFalse();
        assertThat(request.path("params").path("requestedSchema").toString()).isEqualTo("{\"type\":\"object\",\"properties\":{}}");
        assertThat(request.path("params").path("message").asText()).startsWith("Toolgate: tool \"update_amount\" needs a human's approval: ");
        assertThat(elicitation.streamRequest("toolgate.dev/approval-y", call, 3).path("params").path("message").asText())
                .startsWith("Still pending (asked 3 times). Toolgate: tool \"update_amount\"");
    }

    @Test
    void answersToTheSidecarsElicitationsNeverReachTheServerAndOnlyTheCallersOwnEndsTheWait() throws Exception {
        String params = "\"_meta\":{}";
        ParsedBody call = parse("update_amount", params);
        List<ObjectNode> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        io.vertx.core.Context context = vertx.getOrCreateContext();
        java.util.concurrent.CompletableFuture<EnforcementFilter.Inspection> ended = new java.util.concurrent.CompletableFuture<>();
        EnforcementFilter.Prepared prepared = prepared(call);
        EnforcementFilter.Inspection pending = pending("update_amount", params);
        context.runOnContext(v -> elicitation.askOnStream(prepared, pending, AGENT, "s-1", vertx, context, null, sent::add).start()
                .whenComplete((inspection, fault) -> ended.complete(inspection)));
        org.awaitility.Awaitility.await().until(() -> sent.size() == 1);
        String id = sent.get(0).path("id").asText();
        assertThat(id).matches("toolgate\\.dev/approval-[A-Za-z0-9_-]{22}");
        assertThat(sent.get(0).path("method").asText()).isEqualTo("elicitation/create");

        Caller intruder = new Caller("intruder", Set.of(), Caller.Source.HEADER);
        assertThat(elicitation.takeAnswers(answer(id, "accept"), "s-1", intruder)).as("another caller's: dropped, not forwarded").isNull();
        assertThat(elicitation.takeAnswers(answer(id, "accept"), "s-2", AGENT)).as("another session's: dropped").isNull();
        ParsedBody mixed = JsonRpcParser.parse(("[{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"result\":{\"action\":\"accept\"}},"
                + "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}},{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}]")
                .getBytes(StandardCharsets.UTF_8));
        ParsedBody rest = elicitation.takeAnswers(mixed, "s-1", intruder);
        assertThat(new String(ForwardedBody.bytes(rest, 100), StandardCharsets.UTF_8)).as("the rest goes on")
                .isEqualTo("[{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}},{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}]");
        assertThat(elicitation.takeAnswers(call, "s-1", AGENT)).as("a body without any is left as it is").isSameAs(call);
        Thread.sleep(200);
        assertThat(ended).as("nobody but its caller answers it").isNotDone();

        assertThat(elicitation.takeAnswers(answer(id, "decline"), "s-1", AGENT)).isNull();
        CallDecision declined = ended.get(5, java.util.concurrent.TimeUnit.SECONDS).decisions().get(0);
        assertThat(declined.decision().verdict()).isEqualTo(Verdict.APPROVAL_REQUIRED);
        assertThat(declined.decision().reason()).endsWith("(the user declined Toolgate's request to wait for it)");
        assertThat(declined.approval().holdEnded()).isEqualTo("declined");
        assertThat(declined.approval().elicitation()).isEqualTo(ApprovalTicket.ANSWERED);
        assertThat(sent).as("an answered elicitation is not cancelled").hasSize(1);
    }

    private static ParsedBody answer(String id, String action) throws Exception {
        return JsonRpcParser.parse(("{\"jsonrpc\":\"2.0\",\"id\":\"" + id + "\",\"result\":{\"action\":\"" + action + "\",\"content\":{}}}")
                .getBytes(StandardCharsets.UTF_8));
    }

    /** One call of {@code tool} whose McpApproval the operator answered Pending (as {@link ApprovalStep#settle} leaves it). */
    private static EnforcementFilter.Inspection pending(String tool, String params) throws Exception {
        ParsedBody body = parse(tool, params);
        CallDecision call = prepared(body).decide(System.currentTimeMillis()).toCompletableFuture().get().decisions().get(0);
        ApprovalTicket ticket = new ApprovalTicket(tool.replace('_', '-') + "-1a2b3c4d-1", "shop", ApprovalTicket.PENDING,
                Instant.now().plusSeconds(3600).toString(), null, null, null);
        return new EnforcementFilter.Inspection(List.of(call.with(call.decision(), ticket)));
    }

    private static ParsedBody parse(String tool, String params) throws Exception {
        return JsonRpcParser.parse(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
                + "\",\"arguments\":{\"amount\":100}," + params + "}}").getBytes(StandardCharsets.UTF_8));
    }

    private static EnforcementFilter.Prepared prepared(ParsedBody body) throws Exception {
        return EnforcementFilter.prepare(body, policy, null, AGENT, "s-1");
    }
}
