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
