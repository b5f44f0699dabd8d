package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code "enforcement": "audit"} against the real server-everything: a shadowed refusal runs upstream and is audited and
 * counted as what would have happened; an enforced one in the same policy still never reaches the server. (The
 * tools used here are ones the other ITs of this profile never assert the server did not see.)
 */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class ShadowModeIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/shadow.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static String text(CallToolResult result) {
        return ((TextContent) result.content().get(0)).text();
    }

    private static double shadow(String metrics, String tool, String decision) {
        return TestSupport.sample(metrics, "toolgate_shadow_decisions_total{decision=\"" + decision + "\",grant=\"\",tool=\"" + tool + "\"}");
    }

    private static double calls(String metrics, String tool, String decision) {
        return TestSupport.sample(metrics, "toolgate_tool_calls_total{decision=\"" + decision + "\",grant=\"\",tool=\"" + tool + "\"}");
    }

    @Test
    void aShadowedDenialRunsUpstreamAndIsAuditedAsWouldBeDeniedWhileAnEnforcedOneNeverReachesTheServer() throws Exception {
        String agent = "shadow-" + UUID.randomUUID();
        String marker = UUID.randomUUID().toString();
        long enforcedMarker = 1_000_000 + ThreadLocalRandom.current().nextLong(1_000_000_000L);
        String before = TestSupport.metrics();
        try (McpSyncClient client = TestSupport.javaClient(agent)) {
            CallToolResult echoed = client.callTool(new CallToolRequest("echo", Map.of("message", "forbidden " + marker)));
            assertThat(text(echoed)).as("the server ran the shadowed call").contains("forbidden " + marker);
            CallToolResult links = client.callTool(new CallToolRequest("get-resource-links", Map.of("count", 2)));
            assertThat(links.isError()).isNotEqualTo(Boolean.TRUE);
            assertThat(links.content()).isNotEmpty();
            CallToolResult annotated = client.callTool(new CallToolRequest("get-annotated-message", Map.of("messageType", "success")));
            assertThat(annotated.isError()).isNotEqualTo(Boolean.TRUE);
            assertThat(annotated.content()).isNotEmpty();
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("get-sum", Map.of("a", enforcedMarker, "b", 1))))
                    .isInstanceOf(McpError.class)
                    .hasMessageContaining("Sums above 1000 need a human.")
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(ErrorCodes.DENIED));
        }
        assertThat(SidecarTestResource.recorder.sawBodyContaining(marker)).isTrue();
        assertThat(SidecarTestResource.recorder.sawBodyContaining(Long.toString(enforcedMarker))).isFalse();

        List<JsonNode> mine = TestSupport.auditLinesOf(agent, 4);
        assertThat(mine).extracting(j -> j.get("tool").asText() + ":" + j.get("decision").asText() + ":" + j.path("enforcement").asText("enforce"))
                .containsExactlyInAnyOrder("echo:denied:audit", "get-resource-links:denied:audit", "get-annotated-message:approval_required:audit",
                        "get-sum:denied:enforce");
        JsonNode echo = line(mine, "echo");
        assertThat(echo.get("reason").asText()).isEqualTo("No forbidden words.");
        assertThat(echo.get("rule").asText()).isEqualTo("tools[\"echo\"].deny_if[0]");
        assertThat(echo.get("upstreamStatus").asInt()).isEqualTo(200);
        assertThat(echo.get("upstreamLatencyMs").asLong()).isNotNegative();
        assertThat(line(mine, "get-annotated-message").has("approval")).as("no McpApproval was asked for").isFalse();
        assertThat(line(mine, "get-annotated-message").get("upstreamStatus").asInt()).isEqualTo(200);
        JsonNode sum = line(mine, "get-sum");
        assertThat(sum.has("enforcement")).isFalse();
        assertThat(sum.has("upstreamStatus")).isFalse();

        String after = TestSupport.metrics();
        assertThat(shadow(after, "echo", "denied") - shadow(before, "echo", "denied")).isEqualTo(1.0);
        assertThat(shadow(after, "get-resource-links", "denied") - shadow(before, "get-resource-links", "denied")).isEqualTo(1.0);
        assertThat(shadow(after, "get-annotated-message", "approval_required") - shadow(before, "get-annotated-message", "approval_required"))
                .isEqualTo(1.0);
        // what the sidecar did: forwarded (allowed) for the shadowed calls, denied for the enforced one
        assertThat(calls(after, "get-resource-links", "allowed") - calls(before, "get-resource-links", "allowed")).isEqualTo(1.0);
        assertThat(calls(after, "get-resource-links", "denied") - calls(before, "get-resource-links", "denied")).isZero();
        assertThat(calls(after, "get-sum", "denied") - calls(before, "get-sum", "denied")).isEqualTo(1.0);
        assertThat(shadow(after, "get-sum", "denied") - shadow(before, "get-sum", "denied")).isZero();
    }

    @Test
    void aShadowedCallOverItsLimitIsForwardedAndReportedAsWouldBeRateLimited() throws Exception {
        String agent = "shadow-limits-" + UUID.randomUUID();
        try (McpSyncClient client = TestSupport.javaClient(agent)) {
            for (int i = 0; i < 5; i++) {
                assertThat(text(client.callTool(new CallToolRequest("echo", Map.of("message", "hello " + i))))).contains("hello " + i);
            }
        }
        List<JsonNode> mine = TestSupport.auditLinesOf(agent, 5);
        assertThat(mine).extracting(j -> j.get("decision").asText())
                .containsExactlyInAnyOrder("allowed", "allowed", "allowed", "rate_limited", "rate_limited");
        assertThat(mine).allSatisfy(j -> {
            assertThat(j.get("enforcement").asText()).isEqualTo("audit");
            assertThat(j.get("upstreamStatus").asInt()).isEqualTo(200);
        });
        JsonNode limited = mine.stream().filter(j -> j.get("decision").asText().equals("rate_limited")).findFirst().orElseThrow();
        assertThat(limited.get("counter").asText()).isEqualTo("echo_per_agent");
        assertThat(limited.get("rule").asText()).isEqualTo("tools[\"echo\"].limits[0]");
    }

    @Test
    void toolsWhoseDenialIsOnlyShadowedAreListedAndEnforcedDenialsAreHidden() {
        try (McpSyncClient client = TestSupport.javaClient("shadow-lister")) {
            List<String> names = client.listTools().tools().stream().map(Tool::name).toList();
            assertThat(names).contains("echo", "get-resource-links", "get-annotated-message", "get-sum")
                    .doesNotContain("get-structured-content", "get-env");
        }
    }

    private static JsonNode line(List<JsonNode> lines, String tool) {
        return lines.stream().filter(j -> j.get("tool").asText().equals(tool)).findFirst().orElseThrow();
    }
}
