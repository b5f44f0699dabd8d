package dev.toolgate.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Verdict;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class AuditLogTest {

    @Test
    void lineHasTheDecisionAndHashesArguments() throws Exception {
        JsonNode args = TestSupport.JSON.readTree("{\"b\":1,\"a\":\"card 4111\"}");
        var call = new CallDecision(new IntNode(5), "pay", args, new Decision(Verdict.DENIED, "pay", "tools[\"pay\"]", "nope", null, 0));
        String line = AuditLog.line(Instant.parse("2026-01-01T00:00:00Z"), call, "alice", "s1", AuditLog.Outcome.NOT_FORWARDED);
        JsonNode json = TestSupport.JSON.readTree(line);
        assertThat(line).doesNotContain("4111").doesNotContain("\n");
        assertThat(json.get("decision").asText()).isEqualTo("denied");
        assertThat(json.get("tool").asText()).isEqualTo("pay");
        assertThat(json.get("identity").asText()).isEqualTo("alice");
        assertThat(json.get("session").asText()).isEqualTo("s1");
        assertThat(json.get("rule").asText()).isEqualTo("tools[\"pay\"]");
        assertThat(json.get("argumentsSha256").asText()).hasSize(64)
                .isEqualTo(AuditLog.argumentsSha256(TestSupport.JSON.readTree("{\"a\":\"card 4111\",\"b\":1}")));
        assertThat(json.has("upstreamStatus")).isFalse();
        String allowed = AuditLog.line(Instant.now(), call, null, null, new AuditLog.Outcome(200, 12));
        assertThat(TestSupport.JSON.readTree(allowed).get("upstreamStatus").asInt()).isEqualTo(200);
        assertThat(TestSupport.JSON.readTree(allowed).get("identity").asText()).isEqualTo("anonymous");
    }
}
