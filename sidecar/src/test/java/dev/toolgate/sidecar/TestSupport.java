package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.SseEvent;
import dev.toolgate.sidecar.mcp.SseEventParser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.PolicyDocument;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientSseClientTransport;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/** Shared helpers for the sidecar's integration tests. */
final class TestSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private TestSupport() {
    }

    /** Publishes {@code json} as the policy and waits until the sidecar enforces it. */
    static void usePolicy(PolicyHolder holder, String json) {
        String hash;
        try {
            hash = PolicyDocument.parse(json).hash();
        } catch (Exception e) {
            throw new IllegalStateException("test policy invalid: " + e.getMessage(), e);
        }
        SidecarTestResource.swapPolicy(json);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> holder.policy().map(Policy::hash).orElse("").equals(hash));
    }

    static void usePolicyResource(PolicyHolder holder, String resource) {
        usePolicy(holder, SidecarTestResource.resource(resource));
    }

    /** An initialized MCP Java SDK client over Streamable HTTP through the sidecar, as the given agent. */
    static McpSyncClient javaClient(String agent) {
        var transport = HttpClientStreamableHttpTransport.builder(SidecarTestResource.proxyUrl())
                .endpoint("/mcp")
                .requestBuilder(HttpRequest.newBuilder().header("X-Agent-Id", agent))
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
        client.initialize();
        return client;
    }

    /** An initialized MCP Java SDK client over the legacy HTTP+SSE transport through the sidecar. */
    static McpSyncClient legacyJavaClient(String agent) {
        var transport = HttpClientSseClientTransport.builder(SidecarTestResource.proxyUrl())
                .sseEndpoint("/sse")
                .requestBuilder(HttpRequest.newBuilder().header("X-Agent-Id", agent))
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
        client.initialize();
        return client;
    }

    /** A raw Streamable HTTP session: initialize done by hand so tests can send exact bytes. */
    static final class RawSession {
        final String sessionId;

        RawSession() {
            HttpResponse<String> init = post("/mcp", """
                    {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}""",
                    Map.of());
            sessionId = init.headers().firstValue("mcp-session-id").orElseThrow(() -> new AssertionError("no session id: " + init.body()));
            post("/mcp", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", Map.of());
        }

        HttpResponse<String> post(String body) {
            return post("/mcp", body, Map.of());
        }

        HttpResponse<String> post(String path, String body, Map<String, String> headers) {
            return TestSupport.post(path, body, withSession(headers));
        }

        private Map<String, String> withSession(Map<String, String> headers) {
            var all = new java.util.HashMap<>(headers);
            if (sessionId != null) {
                all.put("Mcp-Session-Id", sessionId);
            }
            return all;
        }
    }

    static HttpResponse<String> post(String path, String body, Map<String, String> headers) {
        return send("POST", path, HttpRequest.BodyPublishers.ofString(body), headers);
    }

    static HttpResponse<String> send(String method, String path, HttpRequest.BodyPublisher body, Map<String, String> headers) {
        var builder = HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-06-18")
                .method(method, body);
        headers.forEach(builder::setHeader);
        try {
            return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** JSON-RPC messages of a response, whether it came as JSON or as server-sent events. */
    static List<JsonNode> messages(HttpResponse<String> response) {
        return messages(response.headers().firstValue("content-type").orElse(""), response.body());
    }

    /** JSON-RPC messages of a response body of the given content type. */
    static List<JsonNode> messages(String type, String body) {
        List<JsonNode> out = new ArrayList<>();
        try {
            if (type.startsWith("text/event-stream")) {
                for (SseEvent event : new SseEventParser(1 << 24).feed(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                    if (event.data() != null && !event.data().isEmpty()) {
                        out.add(JSON.readTree(event.data()));
                    }
                }
            } else if (!body.isEmpty()) {
                JsonNode node = JSON.readTree(body);
                if (node.isArray()) {
                    node.forEach(out::add);
                } else {
                    out.add(node);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("response not JSON-RPC: " + body, e);
        }
        return out;
    }

    static String callBody(Object id, String tool, String argumentsJson) {
        String idJson = id instanceof String s ? "\"" + s + "\"" : String.valueOf(id);
        return "{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + argumentsJson + "}}";
    }

    /** The labels every toolgate_* series carries under {@link SidecarTestResource}'s policy name and namespace. */
    static final String POLICY_LABELS = "policy=\"server-everything\",policy_namespace=\"toolgate-it\"";

    /**
     * The sidecar's metrics with {@link #POLICY_LABELS} taken out of each series, so assertions name only the labels
     * they are about. When the labels are there at all, every toolgate_* sample must carry them.
     */
    static String metrics() {
        String text = rawMetrics();
        if (!text.contains(POLICY_LABELS)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (String line : text.split("\n", -1)) {
            if (line.startsWith("toolgate_")) {
                if (!line.contains(POLICY_LABELS)) {
                    throw new AssertionError("a toolgate series without the McpPolicy labels: " + line);
                }
                line = line.replace("{" + POLICY_LABELS + "}", "").replace(POLICY_LABELS + ",", "").replace("," + POLICY_LABELS, "");
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    /** The sidecar's metrics as it serves them. */
    static String rawMetrics() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(SidecarTestResource.managementUrl() + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The value of one Prometheus sample line (exact series match), or 0 when absent. */
    static double sample(String metrics, String series) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    /** This agent's audit lines once {@code expected} of them were written (the writer batches in the background). */
    static List<JsonNode> auditLinesOf(String agent, int expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<JsonNode> mine = new ArrayList<>();
            String text = java.nio.file.Files.readString(SidecarTestResource.auditLog);
            for (String line : text.substring(0, text.lastIndexOf('\n') + 1).lines().toList()) { // whole lines only
                JsonNode json = JSON.readTree(line);
                if (agent.equals(json.path("identity").asText())) {
                    mine.add(json);
                }
            }
            if (mine.size() >= expected || System.nanoTime() > deadline) {
                return mine;
            }
            Thread.sleep(20);
        }
    }
}
