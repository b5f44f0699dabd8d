package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.mcp.ErrorCodes;
import dev.toolgate.sidecar.mcp.JsonRpcParser;
import dev.toolgate.sidecar.mcp.ParsedBody;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Verdict;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DenialResponsesTest {

    @Test
    void denialCarriesCodeReasonAndData() {
        var rateLimited = DenialResponses.denial(new IntNode(3),
                new Decision(Verdict.RATE_LIMITED, "update_customer", "tools[\"update_customer\"].limits[0]", "limit of 30 per minute reached", "update_customer_rate", 12));
        assertThat(rateLimited.get("id").asInt()).isEqualTo(3);
        var error = rateLimited.get("error");
        assertThat(error.get("code").asInt()).isEqualTo(ErrorCodes.RATE_LIMITED);
        assertThat(error.get("message").asText()).contains("update_customer").contains("limit of 30 per minute reached");
        assertThat(error.get("data").get("decision").asText()).isEqualTo("rate_limited");
        assertThat(error.get("data").get("retryAfterSeconds").asLong()).isEqualTo(12);
        var denied = DenialResponses.denial(new TextNode("x"), new Decision(Verdict.DENIED, "t", "default", "no entry", null, 0));
        assertThat(denied.get("error").get("data").has("retryAfterSeconds")).isFalse();
        assertThat(denied.get("error").get("code").asInt()).isEqualTo(ErrorCodes.DENIED);
    }

    @Test
    void messageNamesToolOutcomeAndReasonOnce() {
        assertThat(DenialResponses.message(new Decision(Verdict.INVALID_ARGUMENTS, "get-sum", "tools[\"get-sum\"].args",
                "invalid arguments: arguments.a: string found, number expected", null, 0)))
                .isEqualTo("Toolgate: tool \"get-sum\" refused: invalid arguments: arguments.a: string found, number expected");
        assertThat(DenialResponses.message(new Decision(Verdict.DENIED, "get-env", "tools[\"get-env\"]", "Holds credentials.", null, 0)))
                .isEqualTo("Toolgate: tool \"get-env\" denied: Holds credentials.");
        assertThat(DenialResponses.message(new Decision(Verdict.APPROVAL_REQUIRED, "update_amount", "tools[\"update_amount\"].deny_if[0]",
                "Requires human approval.", null, 0)))
                .isEqualTo("Toolgate: tool \"update_amount\" requires approval: Requires human approval.");
    }

    @Test
    void codesStayOutOfReservedRanges() {
        for (int code : new int[] {ErrorCodes.DENIED, ErrorCodes.RATE_LIMITED, ErrorCodes.INVALID_ARGUMENTS, ErrorCodes.APPROVAL_REQUIRED,
                ErrorCodes.NOT_FORWARDED, ErrorCodes.UPSTREAM_UNAVAILABLE}) {
            assertThat(code < -32768 || code > -32000).as("code %d", code).isTrue();
        }
    }

    @Test
    void refusedBatchAnswersEveryRequestOnce() throws Exception {
        ParsedBody body = JsonRpcParser.parse(("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ok\"}},"
                + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"bad\"}},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"},"
                + "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}]").getBytes(StandardCharsets.UTF_8));
        var decisions = List.of(
                new CallDecision(new IntNode(1), "ok", null, new Decision(Verdict.ALLOWED, "ok", "tools[\"ok\"]", "allowed", null, 0)),
                new CallDecision(new IntNode(2), "bad", null, new Decision(Verdict.DENIED, "bad", "default", "no", null, 0)));
        var answers = DenialResponses.forRefusedBody(body, decisions);
        assertThat(answers).extracting(a -> a.get("id").asInt()).containsExactly(1, 2, 3);
        assertThat(answers).extracting(a -> a.get("error").get("code").asInt())
                .containsExactly(ErrorCodes.NOT_FORWARDED, ErrorCodes.DENIED, ErrorCodes.NOT_FORWARDED);
    }
}
