package dev.toolgate.sidecar.observe;

import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.mcp.JsonRpcParser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolgate.policy.ArgumentsDigest;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Verdict;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class AuditLogTest {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    @Test
    void lineHasTheDecisionAndHashesArguments() throws Exception {
        JsonNode args = JSON.readTree("{\"b\":1,\"a\":\"card 4111\"}");
        var call = new CallDecision(new IntNode(5), "pay", args, new Decision(Verdict.DENIED, "pay", "tools[\"pay\"]", "nope", null, 0));
        String line = AuditLog.line(Instant.parse("2026-01-01T00:00:00Z"), call, "alice", "s1", AuditLog.Outcome.NOT_FORWARDED);
        JsonNode json = JSON.readTree(line);
        assertThat(line).doesNotContain("4111").doesNotContain("\n");
        assertThat(json.get("decision").asText()).isEqualTo("denied");
        assertThat(json.get("tool").asText()).isEqualTo("pay");
        assertThat(json.get("identity").asText()).isEqualTo("alice");
        assertThat(json.get("session").asText()).isEqualTo("s1");
        assertThat(json.get("rule").asText()).isEqualTo("tools[\"pay\"]");
        assertThat(json.get("argumentsSha256").asText()).hasSize(64)
                .isEqualTo(AuditLog.argumentsSha256(JSON.readTree("{\"a\":\"card 4111\",\"b\":1}")));
        assertThat(json.has("upstreamStatus")).isFalse();
        String allowed = AuditLog.line(Instant.now(), call, null, null, new AuditLog.Outcome(200, 12));
        assertThat(JSON.readTree(allowed).get("upstreamStatus").asInt()).isEqualTo(200);
        assertThat(JSON.readTree(allowed).get("identity").asText()).isEqualTo("anonymous");
    }

    @Test
    void aCallDecidedInAuditModeSaysSoAfterItsWouldBeDecision() throws Exception {
        var call = new CallDecision(new IntNode(6), "pay", null,
                new Decision(Verdict.DENIED, "pay", "tools[\"pay\"]", "nope", null, 0, "", null, false));
        String line = AuditLog.line(Instant.parse("2026-01-01T00:00:00Z"), call, "alice", "s1", new AuditLog.Outcome(200, 3));
        assertThat(line).startsWith("{\"time\":\"2026-01-01T00:00:00Z\",\"event.dataset\":\"toolgate.audit\",\"decision\":\"denied\",\"enforcement\":\"audit\",\"tool\":\"pay\"");
        assertThat(JSON.readTree(line).get("upstreamStatus").asInt()).isEqualTo(200);
        var enforced = new CallDecision(new IntNode(7), "pay", null, new Decision(Verdict.DENIED, "pay", "tools[\"pay\"]", "nope", null, 0));
        assertThat(AuditLog.line(Instant.now(), enforced, "alice", "s1", AuditLog.Outcome.NOT_FORWARDED)).doesNotContain("enforcement");
    }

    /** The streaming writers produce exactly the bytes of a tree-based writer (audit consumers compare lines). */
    @Test
    void sameBytesAsTheTreeBasedWriters() throws Exception {
        String[] argumentBodies = {
                "{}",
                "{\"b\":1,\"a\":\"card 4111\",\"n\":{\"z\":[3,{\"y\":null,\"x\":true}],\"c\":-0.0}}",
                "{\"big\":123456789012345678901234567890,\"dec\":1.50E+400,\"f\":0.1,\"e\":1e2,\"neg\":-7}",
                "{\"u\":\"\u00e9\u4e2d\ud83d\ude00 \\\" \\\\ \\n \\u0001 \\u2028\",\"lone\":\"\\ud800x\",\"\u00e9key\":[]}"};
        JsonNode[] ids = {new IntNode(5), JsonRpcParser.STRICT.readTree("\"req-\\u00e9\""),
                JsonRpcParser.STRICT.readTree("123456789012345678901234567890"), null};
        for (String body : argumentBodies) {
            JsonNode args = JsonRpcParser.STRICT.readTree(body);
            for (JsonNode id : ids) {
              for (Decision decided : new Decision[] {
                      new Decision(Verdict.RATE_LIMITED, "pay", "tools[\"pay\"]", "why \"quoted\"", "c1", 3),
                      new Decision(Verdict.ALLOWED, "pay", "grants[0].tools[\"pay\"]", "allowed", null, 0, "billing"),
                      new Decision(Verdict.DENIED, "pay", "tools[\"pay\"]", "nope", null, 0, "", null, false)}) {
                var call = new CallDecision(id, "pay", args, decided);
                for (var outcome : new AuditLog.Outcome[] {AuditLog.Outcome.NOT_FORWARDED, new AuditLog.Outcome(200, 12)}) {
                    Instant time = Instant.parse("2026-01-01T00:00:00.123456789Z");
                    assertThat(AuditLog.line(time, call, null, null, outcome))
                            .isEqualTo(treeLine(time, call, null, null, outcome));
                    assertThat(AuditLog.line(time, call, "al\u00efce", "s\"1", outcome))
                            .isEqualTo(treeLine(time, call, "al\u00efce", "s\"1", outcome));
                    // the byte form the sidecar queues, also with an unpaired surrogate (its String-route fallback)
                    for (String identity : new String[] {null, "al\u00efce", "lone \ud800 surrogate"}) {
                        assertThat(new String(AuditLog.lineBytes(time, call, identity, "s\"1", outcome), StandardCharsets.UTF_8))
                                .isEqualTo(new String((treeLine(time, call, identity, "s\"1", outcome) + "\n")
                                        .getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
                    }
                }
              }
            }
        }
        assertThat(AuditLog.argumentsSha256(null)).isEqualTo(AuditLog.argumentsSha256(JsonRpcParser.STRICT.readTree("{}")));
    }

    /** The audit line carries the engine's digest: one value per argument value, however its numbers are spelt. */
    @Test
    void theArgumentsHashIsTheEnginesDigestSoRespeltNumbersHashEqual() throws Exception {
        String hundred = AuditLog.argumentsSha256(JsonRpcParser.STRICT.readTree("{\"amount\":100,\"to\":\"acct\"}"));
        for (String respelt : new String[] {"{\"to\":\"acct\",\"amount\":1e2}", "{\"amount\":100.0,\"to\":\"acct\"}", "{ \"amount\" : 1.00E+2, \"to\":\"acct\" }"}) {
            assertThat(AuditLog.argumentsSha256(JsonRpcParser.STRICT.readTree(respelt))).as(respelt).isEqualTo(hundred);
        }
        assertThat(AuditLog.argumentsSha256(JsonRpcParser.STRICT.readTree("{\"amount\":101,\"to\":\"acct\"}"))).isNotEqualTo(hundred);
        assertThat(hundred).isEqualTo(ArgumentsDigest.sha256Hex(JsonRpcParser.STRICT.readTree("{\"amount\":100,\"to\":\"acct\"}")));
    }

    private static String treeLine(Instant time, CallDecision call, String identity, String session, AuditLog.Outcome outcome)
            throws Exception {
        var d = call.decision();
        ObjectNode json = JsonNodeFactory.instance.objectNode()
                .put("time", time.toString())
                .put("event.dataset", "toolgate.audit")
                .put("decision", d.verdict().label());
        if (!d.enforced()) {
            json.put("enforcement", "audit");
        }
        json.put("tool", call.tool())
                .put("identity", identity == null ? "anonymous" : identity)
                .put("session", session)
                .put("rule", d.rule())
                .put("reason", d.reason())
                .put("counter", d.counter())
                .put("grant", d.grant().isEmpty() ? null : d.grant())
                .put("argumentsSha256", ArgumentsDigest.sha256Hex(call.arguments()));
        json.set("requestId", call.id());
        if (outcome.upstreamStatus() >= 0) {
            json.put("upstreamStatus", outcome.upstreamStatus()).put("upstreamLatencyMs", outcome.upstreamLatencyMillis());
        }
        return JsonRpcParser.STRICT.writeValueAsString(json);
    }
}
