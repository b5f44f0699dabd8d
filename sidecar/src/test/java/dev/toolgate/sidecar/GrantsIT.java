package dev.toolgate.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Grants through the real sidecar, with the MCP Java SDK against server-everything: each caller sees in tools/list what
 * it may call and no more, calls what its grant gives it, and the audit line and the metric name the grant that decided.
 * (The callers here are named by the trusted header; which source names them is the caller step's business.)
 */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class GrantsIT {

    private static final String POLICY = """
            {"version":"1","default":"deny","hide_denied_tools":true,
             "tools":{"echo":{}},
             "grants":[
               {"name":"ops","callers":{"subjects":["ops-*"]},
                "tools":{"get-sum":{"limits":[{"counter":"sums","window":"minute","max":2,"scope":"grant"}]}}}]}""";

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicy(holder, POLICY);
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static List<String> names(McpSyncClient client) {
        return client.listTools().tools().stream().map(Tool::name).sorted().toList();
    }

    @Test
    void eachCallerSeesAndCallsWhatItsGrantGivesItAndTheGrantIsRecorded() throws Exception {
        String ops = "ops-" + UUID.randomUUID();
        String support = "support-" + UUID.randomUUID();
        String before = TestSupport.metrics();
        try (McpSyncClient opsClient = TestSupport.javaClient(ops); McpSyncClient supportClient = TestSupport.javaClient(support)) {
            assertThat(names(opsClient)).containsExactly("echo", "get-sum");
            assertThat(names(supportClient)).as("get-sum hidden from a caller no grant gives it").containsExactly("echo");

            assertThat(opsClient.callTool(new CallToolRequest("get-sum", Map.of("a", 1, "b", 2))).isError()).isNotEqualTo(Boolean.TRUE);
            assertThatThrownBy(() -> supportClient.callTool(new CallToolRequest("get-sum", Map.of("a", 1, "b", 2))))
                    .hasMessageContaining("tool \"get-sum\" denied");
            supportClient.callTool(new CallToolRequest("echo", Map.of("message", "hi")));
            opsClient.callTool(new CallToolRequest("get-sum", Map.of("a", 3, "b", 4)));
            assertThatThrownBy(() -> opsClient.callTool(new CallToolRequest("get-sum", Map.of("a", 5, "b", 6))))
                    .as("the grant's own limit: 2 a minute per (grant, caller)").hasMessageContaining("rate limited");
        }
        String after = TestSupport.metrics();
        assertThat(TestSupport.sample(after, "toolgate_tool_calls_total{decision=\"allowed\",grant=\"ops\",tool=\"get-sum\"}")
                - TestSupport.sample(before, "toolgate_tool_calls_total{decision=\"allowed\",grant=\"ops\",tool=\"get-sum\"}")).isEqualTo(2.0);
        assertThat(TestSupport.sample(after, "toolgate_tool_calls_total{decision=\"rate_limited\",grant=\"ops\",tool=\"get-sum\"}")
                - TestSupport.sample(before, "toolgate_tool_calls_total{decision=\"rate_limited\",grant=\"ops\",tool=\"get-sum\"}")).isEqualTo(1.0);

        List<JsonNode> opsLines = TestSupport.auditLinesOf(ops, 3);
        assertThat(opsLines).hasSize(3).allSatisfy(l -> assertThat(l.has("tool")).isTrue());
        assertThat(opsLines).extracting(l -> l.path("grant").asText()).containsOnly("ops");
        assertThat(opsLines).extracting(l -> l.path("rule").asText()).allMatch(r -> r.startsWith("grants[0]"));
        List<JsonNode> supportLines = TestSupport.auditLinesOf(support, 2);
        assertThat(supportLines).hasSize(2).allSatisfy(l -> assertThat(l.has("tool")).isTrue());
        assertThat(supportLines).allSatisfy(l -> assertThat(l.get("grant").isNull()).as(l.toString()).isTrue());
    }
}
