package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A policy layered under a baseline (the {@code baselines} the operator renders from McpClusterPolicies and
 * McpNamespacePolicies), against the real server-everything: the baseline's denial never reaches the server and names
 * the baseline, its stricter limit binds, and a tool it denies is hidden from tools/list.
 */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class BaselinesIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/layered.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    @Test
    void theBaselinesDenialAndStricterLimitHoldWhileTheServersPolicyAllows() throws Exception {
        String agent = "layered-" + UUID.randomUUID();
        String marker = UUID.randomUUID().toString();
        try (McpSyncClient client = TestSupport.javaClient(agent)) {
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("echo", Map.of("message", "forbidden " + marker))))
                    .isInstanceOf(McpError.class)
                    .hasMessageContaining("No forbidden words anywhere. (baseline McpClusterPolicy/org)")
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(ErrorCodes.DENIED));
            // the refused call consumed nothing: the baseline's 2 a minute are both still there
            for (int i = 0; i < 2; i++) {
                String text = ((TextContent) client.callTool(new CallToolRequest("echo", Map.of("message", "hello " + i))).content().get(0)).text();
                assertThat(text).contains("hello " + i);
            }
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("echo", Map.of("message", "third"))))
                    .isInstanceOf(McpError.class)
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(ErrorCodes.RATE_LIMITED));
        }
        assertThat(SidecarTestResource.recorder.sawBodyContaining(marker)).as("the baseline's denial never reached the server").isFalse();

        List<JsonNode> mine = TestSupport.auditLinesOf(agent, 4);
        assertThat(mine).extracting(j -> j.get("decision").asText())
                .containsExactlyInAnyOrder("denied", "allowed", "allowed", "rate_limited");
        JsonNode denied = mine.stream().filter(j -> j.get("decision").asText().equals("denied")).findFirst().orElseThrow();
        assertThat(denied.get("rule").asText()).isEqualTo("McpClusterPolicy/org:tools[\"echo\"].deny_if[0]");
        JsonNode limited = mine.stream().filter(j -> j.get("decision").asText().equals("rate_limited")).findFirst().orElseThrow();
        assertThat(limited.get("rule").asText()).isEqualTo("McpClusterPolicy/org:tools[\"echo\"].limits[0]");
    }

    @Test
    void aToolTheBaselineNeverLetsThroughIsHidden() {
        try (McpSyncClient client = TestSupport.javaClient("layered-lister")) {
            List<String> names = client.listTools().tools().stream().map(Tool::name).toList();
            assertThat(names).contains("echo", "get-sum").doesNotContain("get-env");
        }
    }
}
