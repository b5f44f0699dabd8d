package dev.toolgate.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Verified JWT identity end to end: the MCP Java SDK client through the sidecar to server-everything, with tokens of a
 * {@link TestIssuer}. What the recording upstream received shows what passed and what never did.
 */
@QuarkusTest
@TestProfile(Profiles.VerifiedJwt.class)
class VerifiedIdentityIT {

    private static final String INITIALIZE = """
            {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""";

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static McpSyncClient client(String token) {
        var transport = HttpClientStreamableHttpTransport.builder(SidecarTestResource.proxyUrl()).endpoint("/mcp")
                .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + token).header("X-Agent-Id", "root"))
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
        client.initialize();
        return client;
    }

    @Test
    void aValidTokenPassesAsItsSubjectAndTheServerSeesOnlyTheVerifiedIdentity() {
        int before = SidecarTestResource.recorder.received().size();
        try (McpSyncClient client = client(TestIssuer.token("agent-alice"))) {
            CallToolResult result = client.callTool(new CallToolRequest("echo", Map.of("message", "hello")));
            assertThat(((TextContent) result.content().get(0)).text()).contains("hello");
        }
        List<RecordingUpstream.Received> seen = SidecarTestResource.recorder.received();
        List<RecordingUpstream.Received> ours = seen.subList(before, seen.size());
        assertThat(ours).isNotEmpty().allSatisfy(received -> {
            assertThat(received.headers().get("Authorization")).as("the client's token").isNull();
            assertThat(received.headers().get("X-Agent-Id")).as("a client-sent identity header").isNull();
            assertThat(received.headers().get("X-Toolgate-Subject")).isEqualTo("agent-alice");
            assertThat(received.headers().get("X-Toolgate-Groups")).isEqualTo("agents");
        });
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Files.readString(SidecarTestResource.auditLog))
                .contains("\"identity\":\"agent-alice\""));
    }

    @Test
    void theTypeScriptSdkClientPassesWithAValidTokenAndIsRefusedWithAForeignOne() throws Exception {
        int before = SidecarTestResource.recorder.received().size();
        JsonNode seen = TypeScriptClientIT.runTypeScriptClient("streamable", TestIssuer.token("agent-ts"));
        assertThat(seen.has("failure")).as(seen.toString()).isFalse();
        assertThat(seen.get("echo").asText()).contains("from typescript");
        List<RecordingUpstream.Received> ours = SidecarTestResource.recorder.received().subList(before, SidecarTestResource.recorder.received().size());
        assertThat(ours).isNotEmpty().allSatisfy(received -> assertThat(received.headers().get("X-Toolgate-Subject")).isEqualTo("agent-ts"));

        int after = SidecarTestResource.recorder.received().size();
        JsonNode refused = TypeScriptClientIT.runTypeScriptClient("streamable", TestIssuer.token("agent-ts", "another-service"));
        assertThat(refused.get("failure").asText()).contains("Toolgate: unauthenticated: audience [another-service] holds none of [toolgate-e2e]");
        assertThat(SidecarTestResource.recorder.received()).hasSize(after);
    }

    @Test
    void invalidTokensGet401WithAChallengeAndReachNothing() {
        int before = SidecarTestResource.recorder.received().size();
        assertThatThrownBy(() -> client(TestIssuer.token("agent-mallory", "some-other-service"))).isNotNull();
        HttpResponse<String> noToken = TestSupport.post("/mcp", INITIALIZE, Map.of("X-Agent-Id", "admin"));
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.headers().firstValue("WWW-Authenticate").orElseThrow())
                .startsWith("Bearer resource_metadata=\"http://127.0.0.1:" + SidecarTestResource.proxyPort + "/.well-known/oauth-protected-resource\"")
                .doesNotContain("error=");
        HttpResponse<String> expired = TestSupport.post("/mcp", INITIALIZE, Map.of("Authorization", "Bearer " + TestIssuer.token("agent-alice") + "x"));
        assertThat(expired.statusCode()).isEqualTo(401);
        assertThat(expired.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"", "error_description=\"signature does not verify");
        assertThat(SidecarTestResource.recorder.received()).hasSize(before);
    }

    @Test
    void theProtectedResourceMetadataNamesTheIssuer() throws Exception {
        int before = SidecarTestResource.recorder.received().size();
        HttpResponse<String> metadata = TestSupport.send("GET", "/.well-known/oauth-protected-resource/mcp", HttpRequest.BodyPublishers.noBody(), Map.of());
        assertThat(metadata.statusCode()).isEqualTo(200);
        JsonNode document = TestSupport.JSON.readTree(metadata.body());
        assertThat(document.get("resource").asText()).isEqualTo("http://127.0.0.1:" + SidecarTestResource.proxyPort + "/mcp");
        assertThat(document.get("authorization_servers").get(0).asText()).isEqualTo(TestIssuer.issuer);
        assertThat(SidecarTestResource.recorder.received()).hasSize(before);
    }

    @Test
    void aSessionBelongsToTheIdentityThatOpenedIt() throws Exception {
        String alice = TestIssuer.token("agent-alice");
        HttpResponse<String> init = TestSupport.post("/mcp", INITIALIZE, Map.of("Authorization", "Bearer " + alice));
        String session = init.headers().firstValue("mcp-session-id").orElseThrow(() -> new AssertionError(init.statusCode() + " " + init.body()));
        TestSupport.post("/mcp", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", Map.of("Authorization", "Bearer " + alice, "Mcp-Session-Id", session));
        int before = SidecarTestResource.recorder.received().size();

        String bob = TestIssuer.token("agent-bob");
        HttpResponse<String> call = TestSupport.post("/mcp", TestSupport.callBody(1, "echo", "{\"message\":\"as bob\"}"),
                Map.of("Authorization", "Bearer " + bob, "Mcp-Session-Id", session));
        assertThat(call.statusCode()).isEqualTo(403);
        assertThat(call.body()).contains("belongs to another identity").doesNotContain("agent-alice");
        HttpResponse<String> delete = TestSupport.send("DELETE", "/mcp", HttpRequest.BodyPublishers.noBody(), Map.of("Authorization", "Bearer " + bob, "Mcp-Session-Id", session));
        assertThat(delete.statusCode()).isEqualTo(403);
        HttpResponse<String> stream = TestSupport.send("GET", "/mcp", HttpRequest.BodyPublishers.noBody(),
                Map.of("Authorization", "Bearer " + bob, "Mcp-Session-Id", session, "Accept", "text/event-stream", "Last-Event-ID", "1"));
        assertThat(stream.statusCode()).isEqualTo(403);
        assertThat(SidecarTestResource.recorder.received()).as("nothing of bob's reached the server").hasSize(before);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Files.readString(SidecarTestResource.auditLog))
                .contains("\"reason\":\"session\"", "\"identity\":\"agent-bob\",\"session\":\"" + session + "\""));

        HttpResponse<String> own = TestSupport.post("/mcp", TestSupport.callBody(2, "echo", "{\"message\":\"as alice\"}"),
                Map.of("Authorization", "Bearer " + alice, "Mcp-Session-Id", session));
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.body()).contains("as alice");
    }

    @Test
    void readinessReportsTheIssuersKeys() {
        // Ready once the startup fetch of the issuer's keys is done (not before: every token would be refused).
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(TestSupport.HTTP.sendAsync(
                HttpRequest.newBuilder(java.net.URI.create(SidecarTestResource.managementUrl() + "/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).join().body()).contains("toolgate-identity", "e2e-1").doesNotContain("DOWN"));
        assertThat(TestSupport.sample(TestSupport.metrics(), "toolgate_identity_key_fetches_total{issuer=\"" + TestIssuer.issuer + "\",outcome=\"success\"}"))
                .isGreaterThanOrEqualTo(1.0);
    }
}
