package dev.toolgate.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * MCP over Streamable HTTP as raw JSON-RPC (java.net.http): initialize, notifications/initialized, tools/call. The
 * same exchange as {@code mcp-client.mjs}, for calls from outside the cluster (through a port-forward).
 */
final class Mcp {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One tool call to make: tool name, arguments, X-Agent-Id (identity for the policy's limits). */
    record Call(String name, Map<String, Object> arguments, String agent) {
    }

    /** The JSON-RPC answer to a call (the response object, or null) with its HTTP status. */
    record Answer(int status, JsonNode response, String text) {
        boolean isResult() {
            return response != null && response.has("result") && !response.path("result").path("isError").asBoolean(false);
        }

        int errorCode() {
            return response != null && response.has("error") ? response.path("error").path("code").asInt() : 0;
        }

        String resultText() {
            return response == null ? "" : response.path("result").path("content").path(0).path("text").asText("");
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + (response != null ? response : text);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final URI uri;
    private String session;
    private int nextId = 1;

    Mcp(URI uri) {
        this.uri = uri;
    }

    Mcp initialize() throws IOException, InterruptedException {
        ObjectNode init = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", 0).put("method", "initialize");
        init.putObject("params").put("protocolVersion", "2025-06-18").<ObjectNode>set("capabilities", JSON.createObjectNode())
                .putObject("clientInfo").put("name", "toolgate-kt").put("version", "1");
        Answer answer = post(init, null);
        if (answer.response() == null || !answer.response().has("result")) {
            throw new IOException("initialize through " + uri + " failed: " + answer);
        }
        post(JSON.createObjectNode().put("jsonrpc", "2.0").put("method", "notifications/initialized"), null);
        return this;
    }

    Answer call(String tool, Map<String, Object> arguments, String agent) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", nextId++).put("method", "tools/call");
        body.putObject("params").put("name", tool).set("arguments", JSON.valueToTree(arguments));
        return post(body, agent);
    }

    /**
     * A tools/call with a progress token, sent without waiting: its answer comes when the sidecar ends the hold (the
     * whole event stream is in {@link Answer#text}, progress notifications included).
     */
    java.util.concurrent.CompletableFuture<Answer> callHeld(String tool, Map<String, Object> arguments, String agent, String progressToken,
            Duration timeout) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", nextId++).put("method", "tools/call");
        ObjectNode params = body.putObject("params").put("name", tool);
        params.set("arguments", JSON.valueToTree(arguments));
        params.putObject("_meta").put("progressToken", progressToken);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18").header("X-Agent-Id", agent)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            try {
                return new Answer(response.statusCode(), parse(response, body.path("id")), response.body());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private Answer post(ObjectNode body, String agent) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (session != null) {
            request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
        }
        if (agent != null) {
            request.header("X-Agent-Id", agent);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        response.headers().firstValue("mcp-session-id").ifPresent(s -> session = s);
        return new Answer(response.statusCode(), parse(response, body.path("id")), response.body());
    }

    private static JsonNode parse(HttpResponse<String> response, JsonNode id) throws IOException {
        String type = response.headers().firstValue("content-type").orElse("");
        String text = response.body();
        if (type.contains("text/event-stream")) {
            JsonNode found = null;
            for (String line : text.split("\r?\n")) {
                if (line.startsWith("data:")) {
                    JsonNode message = JSON.readTree(line.substring(5));
                    if (message.path("id").equals(id)) {
                        found = message;
                    }
                }
            }
            return found;
        }
        return text.isBlank() ? null : JSON.readTree(text);
    }

    /** Parses the KT-RESULT lines of {@code mcp-client.mjs}. */
    static List<JsonNode> results(String log) {
        return log.lines().filter(l -> l.startsWith("KT-RESULT ")).map(l -> {
            try {
                return JSON.readTree(l.substring("KT-RESULT ".length()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    static Answer answer(JsonNode result) {
        return new Answer(result.path("status").asInt(), result.hasNonNull("response") ? result.get("response") : null,
                result.path("text").asText(result.path("error").asText("")));
    }
}
