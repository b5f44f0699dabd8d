package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The three grants, end to end with the MCP Java SDK client, each caller with its own verified token
 * ({@link TestIssuer}), on server-everything's tools: read tools for everyone ({@code echo}); {@code get-sum} (standing
 * for update_customer) only for the agent {@code billing-bot}, 2 a minute per agent; {@code trigger-long-running-operation}
 * (standing for update_amount) for members of the group {@code finance} with approval, and for nobody else. What a
 * caller sees in tools/list is what it may call; a header naming another identity beside a token changes nothing.
 */
@QuarkusTest
@TestProfile(Profiles.VerifiedJwt.class)
class VerifiedGrantsIT {

    private static final String POLICY = """
            {"version":"1","default":"deny","hide_denied_tools":true,
             "tools":{"echo":{}},
             "grants":[
               {"name":"billing","callers":{"subjects":["billing-bot*"]},
                "tools":{"get-sum":{"limits":[{"counter":"sum-rate","window":"minute","max":2,"scope":"grant"}]}}},
               {"name":"finance","callers":{"groups":["finance"]},
                "tools":{"trigger-long-running-operation":{"action":"require_approval","reason":"Amount changes need a human."}}}]}""";

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicy(holder, POLICY);
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static McpSyncClient client(String token, Map<String, String> extraHeaders) {
        HttpRequest.Builder request = HttpRequest.newBuilder().header("Authorization", "Bearer " + token);
        extraHeaders.forEach(request::header);
        var transport = HttpClientStreamableHttpTransport.builder(SidecarTestResource.proxyUrl()).endpoint("/mcp")
                .requestBuilder(request).build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
        client.initialize();
        return client;
    }

    private static List<String> tools(McpSyncClient client) {
        return client.listTools().tools().stream().map(Tool::name).sorted().toList();
    }

    private static Map<String, Object> sum() {
        return Map.of("a", 1, "b", 2);
    }

    @Test
    void eachIdentityWithItsOwnTokenGetsExactlyItsGrants() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String bot = "billing-bot-" + run;
        try (McpSyncClient everyone = client(TestIssuer.token("alice-" + run, TestIssuer.AUDIENCE, List.of("agents")),
                     Map.of("X-Agent-Id", bot));
             McpSyncClient billing = client(TestIssuer.token(bot, TestIssuer.AUDIENCE, List.of("agents")), Map.of());
             McpSyncClient finance = client(TestIssuer.token("carol-" + run, TestIssuer.AUDIENCE, List.of("finance")), Map.of())) {

            // read tools for everyone; nothing else, whatever header the client adds beside its token
            assertThat(tools(everyone)).containsExactly("echo");
            assertThat(everyone.callTool(new CallToolRequest("echo", Map.of("message", "hi"))).isError()).isNotEqualTo(Boolean.TRUE);
            assertThatThrownBy(() -> everyone.callTool(new CallToolRequest("get-sum", sum()))).hasMessageContaining("denied");
            assertThatThrownBy(() -> everyone.callTool(new CallToolRequest("trigger-long-running-operation", Map.of())))
                    .hasMessageContaining("denied");

            // get-sum only for the billing bot, 2 a minute for it
            assertThat(tools(billing)).containsExactly("echo", "get-sum");
            billing.callTool(new CallToolRequest("get-sum", sum()));
            billing.callTool(new CallToolRequest("get-sum", sum()));
            assertThatThrownBy(() -> billing.callTool(new CallToolRequest("get-sum", sum()))).hasMessageContaining("rate limited");
            assertThatThrownBy(() -> billing.callTool(new CallToolRequest("trigger-long-running-operation", Map.of())))
                    .hasMessageContaining("denied");

            // the long-running operation for the finance group, with approval; get-sum not for them
            assertThat(tools(finance)).containsExactly("echo", "trigger-long-running-operation");
            assertThatThrownBy(() -> finance.callTool(new CallToolRequest("trigger-long-running-operation", Map.of())))
                    .hasMessageContaining("requires approval").hasMessageContaining("Amount changes need a human.");
            assertThatThrownBy(() -> finance.callTool(new CallToolRequest("get-sum", sum()))).hasMessageContaining("denied");
        }
    }
}
