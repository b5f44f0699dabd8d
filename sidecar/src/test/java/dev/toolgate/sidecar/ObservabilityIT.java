package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.Policy;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Metrics, audit lines and health, asserted against the calls made. */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class ObservabilityIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static double calls(String metrics, String tool, String decision) {
        return TestSupport.sample(metrics, "toolgate_tool_calls_total{decision=\"" + decision + "\",grant=\"\",tool=\"" + tool + "\"}");
    }

    @Test
    void metricsAndAuditLinesMatchTheCallsMade() throws Exception {
        String before = TestSupport.metrics();
        String agent = "observer-" + UUID.randomUUID();
        String madeUp = "made-up-" + UUID.randomUUID();
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var transport = io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport.builder(SidecarTestResource.proxyUrl())
                .endpoint("/mcp").requestBuilder(HttpRequest.newBuilder().header("X-Agent-Id", agent)
                        .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"))
                .build();
        try (McpSyncClient client = io.modelcontextprotocol.client.McpClient.sync(transport).requestTimeout(java.time.Duration.ofSeconds(20))
                .clientInfo(new io.modelcontextprotocol.spec.McpSchema.Implementation("observer-agent", "2.5.0")).build()) {
            client.initialize();
            client.callTool(new CallToolRequest("echo", Map.of("message", "one")));
            client.callTool(new CallToolRequest("echo", Map.of("message", "two")));
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("get-env", Map.of())));
            assertThatThrownBy(() -> client.callTool(new CallToolRequest(madeUp, Map.of("card", "4111-1111"))));
        }
        String after = TestSupport.metrics();
        assertThat(calls(after, "echo", "allowed") - calls(before, "echo", "allowed")).isEqualTo(2.0);
        assertThat(calls(after, "get-env", "denied") - calls(before, "get-env", "denied")).isEqualTo(1.0);
        assertThat(calls(after, "other", "denied") - calls(before, "other", "denied")).isEqualTo(1.0);
        assertThat(after).doesNotContain(madeUp);
        String count = "toolgate_upstream_duration_seconds_count{tool=\"echo\"}";
        assertThat(TestSupport.sample(after, count) - TestSupport.sample(before, count)).isEqualTo(2.0);
        // explicit buckets, so a server with many tools does not multiply Micrometer's ~70 percentile buckets
        assertThat(after.lines().filter(l -> l.startsWith("toolgate_upstream_duration_seconds_bucket{tool=\"echo\",le="))
                .map(l -> l.substring(l.indexOf("le=\"") + 4, l.indexOf('"', l.indexOf("le=\"") + 4))).toList())
                .containsExactly("0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0",
                        "30.0", "60.0", "120.0", "+Inf");
        assertThat(TestSupport.sample(after, "toolgate_policy_info{hash=\"" + holder.policy().map(Policy::hash).orElseThrow() + "\"}")).isEqualTo(1.0);
        assertThat(TestSupport.sample(after, "toolgate_policy_reloads_total{result=\"success\"}")).isPositive();
        assertThat(after).contains("toolgate_upstream_errors_total{kind=\"connect\"}");
        // every toolgate series names the McpPolicy the sidecar enforces (toolgate.policy-name/-namespace)
        assertThat(TestSupport.rawMetrics()).contains("toolgate_tool_calls_total{decision=\"allowed\",grant=\"\",policy=\"server-everything\","
                + "policy_namespace=\"toolgate-it\",tool=\"echo\"}");

        List<JsonNode> mine = TestSupport.auditLinesOf(agent, 4);
        assertThat(mine).extracting(j -> j.get("tool").asText() + ":" + j.get("decision").asText())
                .containsExactlyInAnyOrder("echo:allowed", "echo:allowed", "get-env:denied", madeUp + ":denied");
        JsonNode allowed = mine.stream().filter(j -> j.get("decision").asText().equals("allowed")).findFirst().orElseThrow();
        assertThat(allowed.get("upstreamStatus").asInt()).isEqualTo(200);
        assertThat(allowed.get("upstreamLatencyMs").asLong()).isNotNegative();
        assertThat(allowed.get("session").asText()).isNotEmpty();
        assertThat(allowed.get("argumentsSha256").asText()).hasSize(64);
        assertThat(allowed.get("rule").asText()).isEqualTo("tools[\"echo\"]");
        JsonNode denied = mine.stream().filter(j -> j.get("tool").asText().equals("get-env")).findFirst().orElseThrow();
        assertThat(denied.get("reason").asText()).isEqualTo("Environment variables may hold credentials.");
        assertThat(denied.has("upstreamStatus")).isFalse();
        for (JsonNode line : mine) {
            // which policy decided, where the request came from, its trace, and the client its session's initialize named
            assertThat(line.path("policy").asText()).isEqualTo("server-everything");
            assertThat(line.path("namespace").asText()).isEqualTo("toolgate-it");
            assertThat(line.path("source").asText()).isEqualTo("127.0.0.1");
            assertThat(line.path("traceId").asText()).isEqualTo(traceId);
            assertThat(line.path("clientName").asText()).as("%s", line).isEqualTo("observer-agent");
            assertThat(line.path("clientVersion").asText()).isEqualTo("2.5.0");
        }
        assertThat(Files.readString(SidecarTestResource.auditLog)).doesNotContain("4111-1111");
        // every line of the audit stream, refusals and definition changes included, carries the marker a pipeline routes by
        assertThat(Files.readString(SidecarTestResource.auditLog).lines()).isNotEmpty()
                .allSatisfy(l -> assertThat(l).startsWith("{\"time\":").contains(",\"event.dataset\":\"toolgate.audit\","));
    }

    @Test
    void promtoolFindsNothingToFix() throws Exception {
        TestSupport.javaClient("promtool").close();
        // promtool lints the classic text format (0.0.4); Prometheus itself negotiates OpenMetrics from the same endpoint.
        String metrics = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(SidecarTestResource.managementUrl() + "/q/metrics"))
                .header("Accept", "text/plain; version=0.0.4").build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("toolgate_tool_calls_total");
        Process promtool;
        try {
            promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("promtool not found: install it with `apt-get install -y prometheus` (scripts/test.sh does)", e);
        }
        promtool.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as("promtool check metrics").isEmpty();
        assertThat(promtool.exitValue()).isZero();
    }

    @Test
    void healthIsOnTheManagementPortOnly() throws Exception {
        for (String path : List.of("/q/health/ready", "/q/health/live", "/q/health/started")) {
            HttpResponse<String> health = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(SidecarTestResource.managementUrl() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as(path + ": " + health.body()).isEqualTo(200);
            assertThat(health.body()).contains("\"UP\"");
        }
        HttpResponse<String> proxied = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(proxied.body()).doesNotContain("toolgate_tool_calls_total");
    }
}
