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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The MCP Java SDK, through the sidecar, against the real server-everything over Streamable HTTP. */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class StreamableHttpEnforcementIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void policy() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static String text(CallToolResult result) {
        return ((TextContent) result.content().get(0)).text();
    }

    @Test
    void allowedCallReachesTheServerAndReturnsItsResult() {
        try (McpSyncClient client = TestSupport.javaClient("alice")) {
            CallToolResult result = client.callTool(new CallToolRequest("echo", Map.of("message", "hello through toolgate")));
            assertThat(text(result)).contains("hello through toolgate");
            CallToolResult sum = client.callTool(new CallToolRequest("get-sum", Map.of("a", 2, "b", 3)));
            assertThat(text(sum)).contains("5");
        }
    }

    @Test
    void deniedCallSurfacesTheReasonAndNeverReachesTheServer() {
        try (McpSyncClient client = TestSupport.javaClient("alice")) {
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("get-env", Map.of())))
                    .isInstanceOf(McpError.class)
                    .hasMessageContaining("Environment variables may hold credentials.")
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(ErrorCodes.DENIED));
        }
        assertThat(SidecarTestResource.recorder.sawBodyContaining("\"get-env\"")).isFalse();
    }

    @Test
    void denyIfConditionAndArgumentSchemaAndApproval() {
        try (McpSyncClient client = TestSupport.javaClient("alice")) {
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("echo", Map.of("message", "my secret is 42"))))
                    .hasMessageContaining("Echoing secrets is not allowed.");
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("get-sum", Map.of("a", 5000, "b", 1))))
                    .isInstanceOf(McpError.class)
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(ErrorCodes.INVALID_ARGUMENTS));
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("get-tiny-image", Map.of())))
                    .hasMessageContaining("Images need a human's approval.")
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(ErrorCodes.APPROVAL_REQUIRED));
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("toggle-simulated-logging", Map.of())))
                    .isInstanceOf(McpError.class)
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(ErrorCodes.DENIED));
        }
        assertThat(SidecarTestResource.recorder.sawBodyContaining("my secret is 42")).isFalse();
        assertThat(SidecarTestResource.recorder.sawBodyContaining("5000")).isFalse();
        assertThat(SidecarTestResource.recorder.sawBodyContaining("get-tiny-image")).isFalse();
    }

    @Test
    void rateLimitIsPerIdentityAndCarriesRetryAfter() {
        String alice = "alice-" + UUID.randomUUID();
        String bob = "bob-" + UUID.randomUUID();
        try (McpSyncClient a = TestSupport.javaClient(alice); McpSyncClient b = TestSupport.javaClient(bob)) {
            CallToolRequest call = new CallToolRequest("get-annotated-message", Map.of("messageType", "success"));
            a.callTool(call);
            a.callTool(call);
            assertThatThrownBy(() -> a.callTool(call))
                    .isInstanceOf(McpError.class)
                    .satisfies(e -> {
                        var error = ((McpError) e).getJsonRpcError();
                        assertThat(error.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
                        @SuppressWarnings("unchecked")
                        Map<String, Object> data = (Map<String, Object>) error.data();
                        assertThat(data).containsEntry("decision", "rate_limited").containsEntry("tool", "get-annotated-message");
                        assertThat(((Number) data.get("retryAfterSeconds")).longValue()).isBetween(1L, 60L);
                    });
            // another identity has its own budget
            assertThat(b.callTool(call).isError()).isNotEqualTo(Boolean.TRUE);
        }
    }

    @Test
    void rateLimitedRawCallGetsRetryAfterHeader() {
        String agent = "raw-" + UUID.randomUUID();
        var session = new TestSupport.RawSession();
        Map<String, String> headers = Map.of("X-Agent-Id", agent);
        String body = TestSupport.callBody(1, "get-annotated-message", "{\"messageType\":\"success\"}");
        session.post("/mcp", body, headers);
        session.post("/mcp", body, headers);
        var limited = session.post("/mcp", body, headers);
        assertThat(limited.statusCode()).isEqualTo(200);
        assertThat(limited.headers().firstValue("retry-after")).isPresent();
        JsonNode error = TestSupport.messages(limited).get(0).get("error");
        assertThat(error.get("code").asInt()).isEqualTo(ErrorCodes.RATE_LIMITED);
        assertThat(error.get("data").get("retryAfterSeconds").asLong()).isPositive();
    }

    @Test
    void hiddenToolsAreRemovedFromToolsListButStillDeniedByName() {
        try (McpSyncClient client = TestSupport.javaClient("alice")) {
            List<String> names = client.listTools().tools().stream().map(Tool::name).toList();
            assertThat(names).contains("echo", "get-sum", "trigger-long-running-operation")
                    .doesNotContain("get-env", "toggle-simulated-logging", "gzip-file-as-resource");
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("gzip-file-as-resource", Map.of())))
                    .isInstanceOf(McpError.class);
        }
    }

    @Test
    void toolsListIsShownWholeWhenHidingIsOff() {
        TestSupport.usePolicyResource(holder, "policies/allow-all.json");
        try (McpSyncClient client = TestSupport.javaClient("alice")) {
            assertThat(client.listTools().tools().stream().map(Tool::name)).contains("get-env", "echo");
        }
    }

    @Test
    void hiddenToolsAreRemovedFromJsonResponsesToo() {
        SidecarTestResource.recorder.canned("application/json", """
                {"jsonrpc":"2.0","id":7,"result":{"tools":[{"name":"echo","inputSchema":{"type":"object"}},{"name":"get-env","inputSchema":{"type":"object"}}]}}""");
        var response = TestSupport.post("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}", Map.of());
        JsonNode tools = TestSupport.messages(response).get(0).get("result").get("tools");
        assertThat(tools).hasSize(1);
        assertThat(tools.get(0).get("name").asText()).isEqualTo("echo");
    }

    @Test
    void seedPolicyApprovalAlwaysDenies() {
        TestSupport.usePolicyResource(holder, "policies/ap2-update_amount.json");
        try (McpSyncClient client = TestSupport.javaClient("alice")) {
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("update_amount", Map.of("amount", 1))))
                    .hasMessageContaining("Requires human approval.");
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("echo", Map.of("message", "x"))))
                    .isInstanceOf(McpError.class)
                    .satisfies(e -> assertThat(((McpError) e).getJsonRpcError().code()).isEqualTo(ErrorCodes.DENIED));
        }
        assertThat(SidecarTestResource.recorder.sawBodyContaining("update_amount")).isFalse();
    }

    @Test
    void seedPoliciesRateLimitPerGrant() {
        for (String[] seed : new String[][] {{"policies/stripe-update_customer.json", "update_customer"},
                {"policies/aksjah-wizcommerce-postcustomers.json", "WizCommerce Open API_PostCustomers"}}) {
            TestSupport.usePolicyResource(holder, seed[0]);
            String agent = "seed-" + UUID.randomUUID();
            var session = new TestSupport.RawSession();
            int forwarded = 0;
            for (int i = 0; i < 31; i++) {
                var response = session.post("/mcp", TestSupport.callBody(i, seed[1], "{}"), Map.of("X-Agent-Id", agent));
                JsonNode message = TestSupport.messages(response).get(0);
                JsonNode error = message.get("error");
                if (i < 30) {
                    // allowed by the policy, so the real server answered (it has no such tool)
                    boolean fromToolgate = error != null && error.get("code").asInt() <= -31000 && error.get("code").asInt() > -31100;
                    assertThat(fromToolgate).as("call %d of %s: %s", i, seed[1], message).isFalse();
                    forwarded++;
                } else {
                    assertThat(error.get("code").asInt()).as(message.toString()).isEqualTo(ErrorCodes.RATE_LIMITED);
                    assertThat(response.headers().firstValue("retry-after")).isPresent();
                }
            }
            assertThat(forwarded).isEqualTo(30);
            var other = session.post("/mcp", TestSupport.callBody(99, "get-env", "{}"), Map.of("X-Agent-Id", agent));
            assertThat(TestSupport.messages(other).get(0).get("error").get("code").asInt()).isEqualTo(ErrorCodes.DENIED);
        }
    }

    @Test
    void sseResponseIsStreamedEventByEvent() {
        // A long-running call with a progress token: the server streams progress notifications before the result.
        var session = new TestSupport.RawSession();
        var response = session.post("""
                {"jsonrpc":"2.0","id":"lr","method":"tools/call","params":{"name":"trigger-long-running-operation","arguments":{"duration":1,"steps":3},"_meta":{"progressToken":"p1"}}}""");
        assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        List<JsonNode> messages = TestSupport.messages(response);
        assertThat(messages.stream().filter(m -> "notifications/progress".equals(m.path("method").asText()))).hasSizeGreaterThanOrEqualTo(2);
        assertThat(messages.get(messages.size() - 1).path("id").asText()).isEqualTo("lr");
    }

    @Test
    void progressEventsArriveBeforeTheStreamEnds() throws Exception {
        var session = new TestSupport.RawSession();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(SidecarTestResource.proxyUrl() + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .header("Mcp-Session-Id", session.sessionId).header("MCP-Protocol-Version", "2025-06-18")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""
                        {"jsonrpc":"2.0","id":"flush","method":"tools/call","params":{"name":"trigger-long-running-operation","arguments":{"duration":3,"steps":3},"_meta":{"progressToken":"p2"}}}"""))
                .build();
        var response = TestSupport.HTTP.send(request, java.net.http.HttpResponse.BodyHandlers.ofLines());
        long[] firstProgress = {0};
        response.body().forEach(line -> {
            if (firstProgress[0] == 0 && line.contains("notifications/progress")) {
                firstProgress[0] = System.nanoTime();
            }
        });
        long end = System.nanoTime();
        assertThat(firstProgress[0]).as("a progress event was received").isPositive();
        // Buffering the stream would deliver the first progress event together with the result, ~2 s later.
        assertThat(java.time.Duration.ofNanos(end - firstProgress[0])).isGreaterThan(java.time.Duration.ofMillis(1000));
    }
}
