package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every route by which a denied call could try to reach the server. Each case uses a unique marker in the body and
 * asserts the real server (behind the recording upstream) never received it.
 */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class StrictInputIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void policy() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static String marker() {
        return "m" + UUID.randomUUID().toString().replace("-", "");
    }

    private static String deniedCall(String marker) {
        return TestSupport.callBody(1, "get-env", "{\"marker\":\"" + marker + "\"}");
    }

    private static void neverForwarded(String marker) {
        assertThat(SidecarTestResource.recorder.sawBodyContaining(marker)).as("server received a body with " + marker).isFalse();
    }

    private static JsonNode error(HttpResponse<String> response) {
        return TestSupport.messages(response).get(0).get("error");
    }

    @Test
    void malformedBodiesGetParseErrors() {
        String m = marker();
        for (String body : List.of(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"name\":\"get-env\",\"arguments\":{\"x\":\"" + m + "\"}}}",
                deniedCall(m) + " trailing",
                deniedCall(m) + "{}",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get-env\",\"arguments\":{\"x\":\"" + m + "\"}}")) {
            var response = TestSupport.post("/mcp", body, Map.of());
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(error(response).get("code").asInt()).as(body).isEqualTo(ErrorCodes.PARSE_ERROR);
        }
        neverForwarded(m);
    }

    @Test
    void nonUtf8AndBomAreRefused() {
        String m = marker();
        byte[] utf8 = deniedCall(m).getBytes(StandardCharsets.UTF_8);
        byte[] bom = new byte[utf8.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(utf8, 0, bom, 3, utf8.length);
        byte[] invalid = utf8.clone();
        invalid[utf8.length - 5] = (byte) 0xC3; // a lead byte with no continuation
        for (byte[] body : List.of(bom, deniedCall(m).getBytes(StandardCharsets.UTF_16BE), deniedCall(m).getBytes(StandardCharsets.UTF_16LE), invalid)) {
            var response = TestSupport.send("POST", "/mcp", HttpRequest.BodyPublishers.ofByteArray(body), Map.of());
            assertThat(response.statusCode()).isEqualTo(400);
            assertThat(error(response).get("code").asInt()).isEqualTo(ErrorCodes.PARSE_ERROR);
        }
        var utf16Charset = TestSupport.post("/mcp", deniedCall(m), Map.of("Content-Type", "application/json; charset=utf-16"));
        assertThat(utf16Charset.statusCode()).isEqualTo(415);
        neverForwarded(m);
    }

    @Test
    void anyPathAnyMethodAnyContentTypeIsInspected() {
        String m = marker();
        var session = new TestSupport.RawSession();
        record Case(String method, String path, String contentType) {
        }
        for (Case c : List.of(new Case("POST", "/mcp", "text/plain"), new Case("POST", "/other/path?x=1", "application/octet-stream"),
                new Case("GET", "/mcp", "application/json"), new Case("DELETE", "/mcp", "application/json"),
                new Case("PUT", "/message?sessionId=abc", "application/x-www-form-urlencoded"), new Case("PATCH", "/", "application/json"))) {
            var response = TestSupport.send(c.method(), c.path(), HttpRequest.BodyPublishers.ofString(deniedCall(m)),
                    Map.of("Content-Type", c.contentType(), "Mcp-Session-Id", session.sessionId));
            assertThat(error(response).get("code").asInt()).as(c.toString()).isEqualTo(ErrorCodes.DENIED);
            assertThat(error(response).get("data").get("reason").asText()).isEqualTo("Environment variables may hold credentials.");
        }
        // Non-JSON bodies are refused on any path: an uninspectable body never passes.
        var form = TestSupport.send("POST", "/upload", HttpRequest.BodyPublishers.ofString("name=get-env&marker=" + m),
                Map.of("Content-Type", "application/x-www-form-urlencoded"));
        assertThat(form.statusCode()).isEqualTo(400);
        neverForwarded(m);
    }

    @Test
    void batchWithADeniedCallForwardsNothingAndAnswersEveryId() {
        String m = marker();
        var session = new TestSupport.RawSession();
        String batch = "[" + TestSupport.callBody("a", "echo", "{\"message\":\"" + m + "\"}") + ","
                + TestSupport.callBody("b", "get-env", "{}") + ","
                + "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":1}},"
                + "{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"method\":\"ping\"}]";
        var response = session.post(batch);
        assertThat(response.statusCode()).isEqualTo(200);
        List<JsonNode> answers = TestSupport.messages(response);
        assertThat(answers).hasSize(3);
        Map<String, Integer> codes = new java.util.HashMap<>();
        answers.forEach(a -> codes.put(a.get("id").asText(), a.get("error").get("code").asInt()));
        assertThat(codes).containsEntry("a", ErrorCodes.NOT_FORWARDED).containsEntry("b", ErrorCodes.DENIED).containsEntry("c", ErrorCodes.NOT_FORWARDED);
        neverForwarded(m);
    }

    @Test
    void batchOfAllowedCallsIsForwarded() {
        String m = marker();
        var session = new TestSupport.RawSession();
        session.post("[" + TestSupport.callBody("a", "echo", "{\"message\":\"" + m + "\"}") + "," + TestSupport.callBody("b", "get-sum", "{\"a\":1,\"b\":2}") + "]");
        assertThat(SidecarTestResource.recorder.sawBodyContaining(m)).isTrue();
    }

    @Test
    void aRefusedBatchSentAgainAndAgainLeavesTheLimitOfItsAllowedToolUntouched() {
        // get-annotated-message: 2 per minute per identity; get-env: denied
        Map<String, String> agent = Map.of("X-Agent-Id", "batcher-" + UUID.randomUUID());
        var session = new TestSupport.RawSession();
        String limited = "{\"messageType\":\"success\"}";
        String withDenied = "[" + TestSupport.callBody("a", "get-annotated-message", limited) + ","
                + TestSupport.callBody("b", "get-env", "{}") + "]";
        for (int i = 0; i < 5; i++) {
            Map<String, Integer> codes = codesById(session.post("/mcp", withDenied, agent));
            assertThat(codes).containsEntry("a", ErrorCodes.NOT_FORWARDED).containsEntry("b", ErrorCodes.DENIED);
        }
        // three calls need three units of a counter that has two: the third is rate limited, and the batch takes nothing
        String tooMany = "[" + TestSupport.callBody("x", "get-annotated-message", limited) + ","
                + TestSupport.callBody("y", "get-annotated-message", limited) + ","
                + TestSupport.callBody("z", "get-annotated-message", limited) + "]";
        var refused = session.post("/mcp", tooMany, agent);
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
        assertThat(codesById(refused)).containsEntry("x", ErrorCodes.NOT_FORWARDED).containsEntry("y", ErrorCodes.NOT_FORWARDED)
                .containsEntry("z", ErrorCodes.RATE_LIMITED);
        String single = TestSupport.callBody(7, "get-annotated-message", limited);
        for (int i = 0; i < 2; i++) {
            JsonNode answer = TestSupport.messages(session.post("/mcp", single, agent)).get(0);
            assertThat(answer.has("result")).as("single call %d after the refused batches: %s", i + 1, answer).isTrue();
        }
        JsonNode third = TestSupport.messages(session.post("/mcp", single, agent)).get(0);
        assertThat(third.get("error").get("code").asInt()).isEqualTo(ErrorCodes.RATE_LIMITED);
    }

    private static Map<String, Integer> codesById(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Integer> codes = new java.util.HashMap<>();
        TestSupport.messages(response).forEach(a -> codes.put(a.get("id").asText(), a.get("error").get("code").asInt()));
        return codes;
    }

    @Test
    void malformedToolCallsAreRefused() {
        String m = marker();
        record Case(String body, int code) {
        }
        for (Case c : List.of(
                new Case("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":[\"get-env\"],\"arguments\":{\"m\":\"" + m + "\"}}}", ErrorCodes.INVALID_PARAMS),
                new Case("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":{\"x\":\"get-env\"},\"arguments\":{\"m\":\"" + m + "\"}}}", ErrorCodes.INVALID_PARAMS),
                new Case("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":[\"" + m + "\"]}}", ErrorCodes.INVALID_PARAMS),
                new Case("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"Tools/Call\",\"params\":{\"name\":\"get-env\",\"arguments\":{\"m\":\"" + m + "\"}}}", ErrorCodes.INVALID_REQUEST),
                new Case("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\" tools/call\",\"params\":{\"name\":\"get-env\",\"arguments\":{\"m\":\"" + m + "\"}}}", ErrorCodes.INVALID_REQUEST),
                new Case("{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"get-env\",\"arguments\":{\"m\":\"" + m + "\"}}}", ErrorCodes.INVALID_REQUEST),
                new Case("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get-env\",\"arguments\":{\"m\":\"" + m + "\"}}}", ErrorCodes.INVALID_REQUEST))) {
            var response = TestSupport.post("/mcp", c.body(), Map.of());
            assertThat(response.statusCode()).as(c.body()).isEqualTo(400);
            assertThat(error(response).get("code").asInt()).as(c.body()).isEqualTo(c.code());
        }
        // An escaped name is decided as the server will read it.
        var escaped = TestSupport.post("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get\\u002denv\",\"arguments\":{\"m\":\"" + m + "\"}}}", Map.of());
        assertThat(error(escaped).get("code").asInt()).isEqualTo(ErrorCodes.DENIED);
        neverForwarded(m);
    }

    @Test
    void mirroredHeadersMustMatchTheBody() {
        String m = marker();
        var session = new TestSupport.RawSession();
        var wrongName = session.post("/mcp", TestSupport.callBody(1, "echo", "{\"message\":\"" + m + "\"}"),
                Map.of("Mcp-Method", "tools/call", "Mcp-Name", "get-sum"));
        assertThat(wrongName.statusCode()).isEqualTo(400);
        assertThat(error(wrongName).get("message").asText()).contains("Mcp-Name");
        assertThat(error(wrongName).get("code").asInt()).as("MCP 2026-07-28 HeaderMismatch").isEqualTo(-32020);
        var wrongMethod = session.post("/mcp", TestSupport.callBody(2, "echo", "{\"message\":\"" + m + "\"}"), Map.of("Mcp-Method", "tools/list"));
        assertThat(wrongMethod.statusCode()).isEqualTo(400);
        assertThat(error(wrongMethod).get("code").asInt()).isEqualTo(-32020);
        neverForwarded(m);
        String ok = marker();
        var matching = session.post("/mcp", TestSupport.callBody(3, "echo", "{\"message\":\"" + ok + "\"}"),
                Map.of("Mcp-Method", "tools/call", "Mcp-Name", "echo"));
        assertThat(matching.statusCode()).isEqualTo(200);
        assertThat(SidecarTestResource.recorder.sawBodyContaining(ok)).isTrue();
    }

    @Test
    void oversizedBodiesGet413() throws IOException {
        String m = marker();
        String big = TestSupport.callBody(1, "echo", "{\"message\":\"" + m + "x".repeat(4 * 1024 * 1024) + "\"}");
        var declared = TestSupport.post("/mcp", big, Map.of());
        assertThat(declared.statusCode()).isEqualTo(413);
        // chunked: no Content-Length, the limit trips while reading
        String chunked = rawExchange("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(big.length()) + "\r\n" + big + "\r\n0\r\n\r\n");
        assertThat(chunked).startsWith("HTTP/1.1 413");
        neverForwarded(m);
    }

    @Test
    void compressedBodiesGet415() throws IOException {
        String m = marker();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (var out = new GZIPOutputStream(gz)) {
            out.write(deniedCall(m).getBytes(StandardCharsets.UTF_8));
        }
        var response = TestSupport.send("POST", "/mcp", HttpRequest.BodyPublishers.ofByteArray(gz.toByteArray()), Map.of("Content-Encoding", "gzip"));
        assertThat(response.statusCode()).isEqualTo(415);
        neverForwarded(m);
    }

    @Test
    void protocolUpgradesAreRefused() throws IOException {
        String m = marker();
        String body = deniedCall(m);
        String websocket = rawExchange("GET /mcp HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        assertThat(websocket).startsWith("HTTP/1.1 400");
        String h2c = rawExchange("POST /mcp HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertThat(h2c).startsWith("HTTP/1.1 400");
        String prior = rawExchange("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assertThat(prior).doesNotStartWith("HTTP/1.1 200").doesNotContain("\"result\"");
        neverForwarded(m);
    }

    @Test
    void getWithBodyAndChunkedBodiesAreInspected() throws IOException {
        String m = marker();
        String body = deniedCall(m);
        String response = rawExchange("GET /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "10\r\n" + body.substring(0, 16) + "\r\n" + Integer.toHexString(body.length() - 16) + "\r\n" + body.substring(16) + "\r\n0\r\n\r\n");
        assertThat(response).startsWith("HTTP/1.1 200").contains("\"code\":" + ErrorCodes.DENIED);
        neverForwarded(m);
    }

    @Test
    void absoluteFormTargetsAreInspectedAndReducedToPathAndQuery() throws IOException {
        String m = marker();
        String denied = deniedCall(m);
        String answer = rawExchange("POST http://evil.invalid/mcp HTTP/1.1\r\nHost: evil.invalid\r\nContent-Type: application/json\r\nContent-Length: "
                + denied.length() + "\r\n\r\n" + denied);
        assertThat(answer).startsWith("HTTP/1.1 200").contains("\"code\":" + ErrorCodes.DENIED);
        neverForwarded(m);
        String ok = marker();
        String allowed = TestSupport.callBody(1, "echo", "{\"message\":\"" + ok + "\"}");
        rawExchange("POST http://evil.invalid/absolute?q=1 HTTP/1.1\r\nHost: evil.invalid\r\nContent-Type: application/json\r\nContent-Length: "
                + allowed.length() + "\r\n\r\n" + allowed);
        var received = SidecarTestResource.recorder.received().stream().filter(r -> r.body().contains(ok)).findFirst().orElseThrow();
        assertThat(received.uri()).isEqualTo("/absolute?q=1");
        assertThat(received.headers().get("Host")).doesNotContain("evil.invalid");
    }

    /** Sends raw bytes and returns what came back until the server closes or 3 s pass. */
    static String rawExchange(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", SidecarTestResource.proxyPort)) {
            socket.setSoTimeout(3000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException closedEarly) {
                // the proxy may answer (413) and close before the whole body is written
            }
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    got.write(buf, 0, n);
                    String text = got.toString(StandardCharsets.UTF_8);
                    int headerEnd = text.indexOf("\r\n\r\n");
                    if (headerEnd > 0 && complete(text, headerEnd)) {
                        break;
                    }
                }
            } catch (IOException timeoutOrReset) {
                // whatever arrived is the answer
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    private static boolean complete(String text, int headerEnd) {
        String head = text.substring(0, headerEnd).toLowerCase();
        int at = head.indexOf("content-length:");
        if (at < 0) {
            return false;
        }
        int end = head.indexOf("\r\n", at);
        int length = Integer.parseInt(head.substring(at + 15, end < 0 ? head.length() : end).trim());
        return text.getBytes(StandardCharsets.UTF_8).length >= headerEnd + 4 + length;
    }
}
