package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;

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

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The 2024-11-05 HTTP+SSE transport: answers travel on the client's event stream, so must denials. */
@QuarkusTest
@TestProfile(Profiles.LegacySse.class)
class LegacySseIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    @Test
    void allowedCallsWorkAndDenialsArriveOnTheEventStream() {
        try (McpSyncClient client = TestSupport.legacyJavaClient("legacy")) {
            var result = client.callTool(new CallToolRequest("echo", Map.of("message", "over legacy sse")));
            assertThat(((TextContent) result.content().get(0)).text()).contains("over legacy sse");
            // The POST is answered 202; the SDK only sees the error because it came on the GET stream.
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("get-env", Map.of("m", "legacy-marker"))))
                    .isInstanceOf(McpError.class)
                    .hasMessageContaining("Environment variables may hold credentials.");
            assertThat(client.listTools().tools().stream().map(Tool::name)).contains("echo").doesNotContain("get-env");
            // The session still works after a denial.
            assertThat(client.callTool(new CallToolRequest("get-sum", Map.of("a", 1, "b", 2))).content()).isNotEmpty();
        }
        assertThat(SidecarTestResource.recorder.sawBodyContaining("legacy-marker")).isFalse();
    }

    @Test
    void typeScriptSseClientSeesTheDenialReason() throws Exception {
        var seen = TypeScriptClientIT.runTypeScriptClient("sse");
        assertThat(seen.has("failure")).as(seen.toString()).isFalse();
        assertThat(seen.get("echo").asText()).contains("from typescript");
        assertThat(seen.get("denied").get("message").asText()).contains("Environment variables may hold credentials.");
    }
}
