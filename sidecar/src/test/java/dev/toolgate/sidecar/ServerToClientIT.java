package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;
import dev.toolgate.sidecar.mcp.SseEvent;
import dev.toolgate.sidecar.mcp.SseEventParser;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.buffer.Buffer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Attacks on the server-to-client direction: a server (or a replay of its stream) that puts a tools/list result in
 * front of the client in a form the sidecar might not read. In every case the hidden tool ({@code get-env} under
 * {@code policies/everything.json}) must not reach the client, whatever it does with the bytes (decompress them, strip
 * a byte order mark, take the last of duplicate keys, treat an unnamed event as a message).
 */
@QuarkusTest
@TestProfile(Profiles.Scripted.class)
class ServerToClientIT {

    private static final String HIDDEN = "get-env";
    private static final String TOOLS = "{\"tools\":[{\"name\":\"echo\",\"inputSchema\":{\"type\":\"object\"}},"
            + "{\"name\":\"get-env\",\"inputSchema\":{\"type\":\"object\"}}]}";
    private static final String LIST_2 = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    @AfterEach
    void restore() {
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static String toolsResult(String idJson) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"result\":" + TOOLS + "}";
    }

    /** The server answers every request with these headers and body bytes. */
    private static void serverAnswers(String contentType, Map<String, String> headers, byte[] body) {
        SidecarTestResource.recorder.script((request, ignored, vertx) -> {
            var response = request.response().putHeader("Content-Type", contentType);
            headers.forEach(response::putHeader);
            response.end(Buffer.buffer(body));
        });
    }

    private static void serverAnswers(String contentType, String body) {
        serverAnswers(contentType, Map.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    private static HttpResponse<byte[]> post(String body) {
        return send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            return TestSupport.HTTP.send(request.timeout(Duration.ofSeconds(20))
                    .header("Accept", "application/json, text/event-stream")
                    .build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The body as a lenient client reads it: decompressed when the server says so, any byte order mark dropped. */
    private static String asClientSees(HttpResponse<byte[]> response) {
        byte[] body = response.body();
        if (response.headers().firstValue("content-encoding").orElse("").contains("gzip")) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                body = in.readAllBytes();
            } catch (IOException e) {
                throw new AssertionError("gzip body that does not decompress", e);
            }
        }
        String text = new String(body, StandardCharsets.UTF_8);
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private static List<JsonNode> messages(HttpResponse<byte[]> response) {
        return TestSupport.messages(response.headers().firstValue("content-type").orElse(""), asClientSees(response));
    }

    private static void hiddenToolNotVisible(HttpResponse<byte[]> response) {
        assertThat(asClientSees(response)).as("what the client received").doesNotContain(HIDDEN);
    }

    /** The one message the client got is a JSON-RPC error for {@code id} saying the server's answer was refused. */
    private static void refusedAnswerFor(HttpResponse<byte[]> response, int id) {
        List<JsonNode> messages = messages(response);
        assertThat(messages).as(asClientSees(response)).hasSize(1);
        assertThat(messages.get(0).get("id").asInt()).isEqualTo(id);
        assertThat(messages.get(0).get("error").get("code").asInt()).isEqualTo(ErrorCodes.UPSTREAM_MESSAGE_REFUSED);
    }

    /** The client got the tools/list result with the allowed tools and without the hidden one. */
    private static void filteredList(HttpResponse<byte[]> response) {
        hiddenToolNotVisible(response);
        List<JsonNode> messages = messages(response);
        assertThat(messages.stream().filter(m -> m.path("result").has("tools")))
                .as(asClientSees(response)).singleElement()
                .satisfies(m -> assertThat(m.get("result").get("tools").findValuesAsText("name")).contains("echo").doesNotContain(HIDDEN));
    }

    // --- the real TypeScript SDK server, resuming a stream from its event store

    @Test
    void resumedGetStreamReplayingAToolsListResultIsFiltered() throws Exception {
        String version = "2025-11-25"; // the SDK server sends resumable (primed) streams from this revision on
        var init = send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp"))
                .header("Content-Type", "application/json").header("MCP-Protocol-Version", version)
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
                        + version + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}")));
        String session = init.headers().firstValue("mcp-session-id").orElseThrow(() -> new AssertionError(asClientSees(init)));
        send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp"))
                .header("Content-Type", "application/json").header("MCP-Protocol-Version", version).header("Mcp-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")));
        var list = send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp"))
                .header("Content-Type", "application/json").header("MCP-Protocol-Version", version).header("Mcp-Session-Id", session)
                .POST(HttpRequest.BodyPublishers.ofString(LIST_2)));
        filteredList(list);
        // The first event is the priming event: its id is the cursor to resume the stream from.
        SseEvent priming = new SseEventParser(1 << 20).feed(list.body()).get(0);
        assertThat(priming.id()).as(asClientSees(list)).isNotBlank();

        List<String> replayed = readStream(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp"))
                .header("Accept", "text/event-stream").header("MCP-Protocol-Version", version).header("Mcp-Session-Id", session)
                .header("Last-Event-ID", priming.id()).GET().build(), line -> line.contains("\"tools\""), Duration.ofSeconds(10));
        assertThat(String.join("\n", replayed)).as("the replayed stream").contains("\"echo\"").doesNotContain(HIDDEN);
    }

    /** Lines of an open event stream until one matches {@code until} (or {@code max} passes); then the stream is closed. */
    private static List<String> readStream(HttpRequest request, java.util.function.Predicate<String> until, Duration max) throws Exception {
        HttpResponse<InputStream> response = TestSupport.HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
        List<String> lines = new ArrayList<>();
        Thread closer = new Thread(() -> {
            sleep(max);
            close(response.body());
        });
        closer.setDaemon(true);
        closer.start();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
                if (until.test(line)) {
                    break;
                }
            }
        } catch (IOException closedByTheTimer) {
            // the deadline passed: what was read is the answer
        }
        closer.interrupt();
        return lines;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // closing to end the read
        }
    }

    // --- scripted servers

    @Test
    void getStreamWithAToolsListResultForAnIdTheSidecarNeverSawIsFiltered() {
        serverAnswers("text/event-stream", "event: message\nid: 9\ndata: " + toolsResult("77") + "\n\n");
        var response = send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp")).GET());
        filteredList(response);
    }

    @Test
    void gzipEncodedJsonAnswerIsRefused() throws IOException {
        serverAnswers("application/json", Map.of("Content-Encoding", "gzip"), gzip(toolsResult("2")));
        var response = post(LIST_2);
        hiddenToolNotVisible(response);
        assertThat(response.statusCode()).isEqualTo(502);
        refusedAnswerFor(response, 2);
    }

    @Test
    void gzipEncodedEventStreamIsRefused() throws IOException {
        serverAnswers("text/event-stream", Map.of("Content-Encoding", "gzip"), gzip("event: message\ndata: " + toolsResult("2") + "\n\n"));
        var response = post(LIST_2);
        hiddenToolNotVisible(response);
        assertThat(response.statusCode()).isEqualTo(502);
        refusedAnswerFor(response, 2);
    }

    @Test
    void eventStreamStartingWithAByteOrderMarkIsFiltered() {
        // A client decodes the stream as UTF-8, which drops the BOM: the first line is then a data field.
        serverAnswers("text/event-stream", "\uFEFFdata: " + toolsResult("2") + "\n\n");
        filteredList(post(LIST_2));
    }

    @Test
    void eventWithAnEmptyEventFieldIsAMessageAndFiltered() {
        serverAnswers("text/event-stream", "event:\ndata: " + toolsResult("2") + "\n\n");
        filteredList(post(LIST_2));
    }

    @Test
    void eventOfAnotherTypeIsInspectedToo() {
        serverAnswers("text/event-stream", "event: tools\ndata: " + toolsResult("2") + "\n\n");
        filteredList(post(LIST_2));
    }

    @Test
    void carriageReturnLineEndsAndSplitDataAreFiltered() {
        String result = toolsResult("2");
        int half = result.indexOf("\"result\"");
        serverAnswers("text/event-stream", "event: message\rdata: " + result.substring(0, half) + "\r\ndata: " + result.substring(half) + "\r\r");
        filteredList(post(LIST_2));
    }

    @Test
    void idSpeltAsADecimalIsTheSameRequest() {
        serverAnswers("application/json", toolsResult("2.0"));
        filteredList(post(LIST_2));
        serverAnswers("text/event-stream", "data: " + toolsResult("2e0") + "\n\n");
        filteredList(post(LIST_2));
    }

    @Test
    void duplicateResultKeyIsRefused() {
        serverAnswers("application/json", "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[]},\"result\":" + TOOLS + "}");
        var json = post(LIST_2);
        hiddenToolNotVisible(json);
        assertThat(json.statusCode()).isEqualTo(502);
        refusedAnswerFor(json, 2);

        serverAnswers("text/event-stream", "data: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[]},\"result\":" + TOOLS + "}\n\n");
        var sse = post(LIST_2);
        hiddenToolNotVisible(sse);
        refusedAnswerFor(sse, 2);
    }

    @Test
    void batchAnswerToAToolsCallCarryingAToolsListResultIsFiltered() {
        serverAnswers("application/json", "[{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}},"
                + toolsResult("2") + "]");
        var response = post(TestSupport.callBody(3, "echo", "{\"message\":\"hi\"}"));
        filteredList(response);
        assertThat(asClientSees(response)).contains("\"hi\"");
    }

    @Test
    void toolsListResultAnsweringADifferentlySpeltIdOfAToolsCallIsFiltered() {
        // TypeScript SDK clients look answers up by Number(id): "3" resolves request 3, whatever was asked.
        serverAnswers("application/json", toolsResult("\"3\""));
        filteredList(post(TestSupport.callBody(3, "echo", "{\"message\":\"hi\"}")));
    }

    @Test
    void unterminatedLastEventIsNotRelayed() {
        serverAnswers("text/event-stream", "data: " + toolsResult("2"));
        hiddenToolNotVisible(post(LIST_2));
    }

    @Test
    void jsonBodyUnderAnotherContentTypeIsInspected() {
        serverAnswers("text/plain", "  " + toolsResult("2"));
        filteredList(post(LIST_2));
        serverAnswers("application/json", "\uFEFF" + toolsResult("2"));
        filteredList(post(LIST_2));
    }

    @Test
    void nonUtf8CharsetIsRefused() {
        serverAnswers("application/json; charset=utf-16", Map.of(), toolsResult("2").getBytes(StandardCharsets.UTF_16));
        var response = post(LIST_2);
        assertThat(new String(response.body(), StandardCharsets.UTF_16)).doesNotContain(HIDDEN);
        assertThat(response.statusCode()).isEqualTo(502);
        refusedAnswerFor(response, 2);
    }

    @Test
    void eventThatIsNotValidUtf8IsDropped() {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String result = toolsResult("2");
        body.writeBytes(("data: " + result.substring(0, result.length() - 1) + ",\"x\":\"").getBytes(StandardCharsets.UTF_8));
        body.write(0xFF); // a client decodes it as U+FFFD and reads the message
        body.writeBytes("\"}\n\n".getBytes(StandardCharsets.UTF_8));
        serverAnswers("text/event-stream", Map.of(), body.toByteArray());
        var response = post(LIST_2);
        hiddenToolNotVisible(response);
        refusedAnswerFor(response, 2);
    }

    @Test
    void refusalsAreCountedAndAudited() throws Exception {
        String agent = "refusal-" + UUID.randomUUID();
        String series = "toolgate_refused_total{reason=\"upstream_message\"}";
        double before = TestSupport.sample(TestSupport.metrics(), series);
        serverAnswers("application/json", "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{},\"result\":{}}");
        send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp")).header("Content-Type", "application/json")
                .header("X-Agent-Id", agent).POST(HttpRequest.BodyPublishers.ofString(LIST_2)));
        assertThat(TestSupport.sample(TestSupport.metrics(), series) - before).isEqualTo(1.0);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Files.readAllLines(SidecarTestResource.auditLog).stream()
                .filter(line -> line.contains(agent)).map(line -> {
                    try {
                        return TestSupport.JSON.readTree(line);
                    } catch (IOException e) {
                        throw new AssertionError(line, e);
                    }
                }))
                .singleElement()
                .satisfies(line -> {
                    assertThat(line.get("decision").asText()).isEqualTo("refused");
                    assertThat(line.get("reason").asText()).isEqualTo("upstream_message");
                    assertThat(line.get("method").asText()).isEqualTo("POST");
                    assertThat(line.get("path").asText()).isEqualTo("/mcp");
                }));
    }

    @Test
    void ordinaryToolsCallAnswerPassesUnchanged() {
        String answer = "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"tools are fine\"}]}}";
        serverAnswers("application/json", answer);
        var response = post(TestSupport.callBody(3, "echo", "{\"message\":\"hi\"}"));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(answer);
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
