package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server's body parser decodes by whatever charset it finds in Content-Type (the TypeScript SDK's legacy transport
 * uses the npm content-type parser, which allows whitespace around '=', quoted values with escapes and takes the last
 * of repeated parameters). A UTF-7 body is harmless ASCII JSON to the sidecar and a different message to such a
 * server: {@code "+ACI-"} decodes to a quote. Every such spelling must be refused, and what is accepted must reach the
 * server as exactly the message decided: labelled plain {@code application/json}, written from the parsed tree.
 * Runs against the legacy server (server-everything in SSE mode), the transport that honours the charset.
 */
@QuarkusTest
@TestProfile(Profiles.LegacySse.class)
class CharsetDifferentialIT {

    @Inject
    PolicyHolder holder;

    private final String agent = "charset-" + UUID.randomUUID();

    @BeforeEach
    void policy() throws IOException {
        ObjectNode policy = (ObjectNode) TestSupport.JSON.readTree(SidecarTestResource.resource("policies/everything.json"));
        ((ObjectNode) policy.get("tools")).set("get-sum", TestSupport.JSON.readTree("""
                {"deny_if": [{"conditions": [{"arg": "a", "op": "gt", "value": 1000}], "on_deny": "Amounts over 1000 need a human."}]}"""));
        TestSupport.usePolicy(holder, policy.toString());
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static String marker() {
        return "m" + UUID.randomUUID().toString().replace("-", "");
    }

    /** Allowed echo to the sidecar; under UTF-7 a second "name" makes it the denied get-env. */
    private static String smuggledName(String marker) {
        return "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"" + marker
                + "\"},\"x\":\"+ACI-,+ACI-name+ACI-:+ACI-get-env\"}}";
    }

    /** a = 1 to the sidecar; under UTF-7 a second "a" of 5000, which deny_if refuses. */
    private static String smuggledAmount(String marker) {
        return "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\",\"params\":{\"name\":\"get-sum\",\"arguments\":{\"a\":1,\"b\":2,"
                + "\"note\":\"+ACI-,+ACI-a+ACI-:5000,+ACI-marker+ACI-:+ACI-" + marker + "\"}}}";
    }

    private Map<String, String> headers(String contentType) {
        return Map.of("Content-Type", contentType, "X-Agent-Id", agent);
    }

    private static void neverForwarded(List<String> markers) {
        for (String m : markers) {
            assertThat(SidecarTestResource.recorder.sawBodyContaining(m)).as("server received a body with " + m).isFalse();
        }
    }

    private static double refusedTotal(String reason) {
        return TestSupport.sample(TestSupport.metrics(), "toolgate_refused_total{reason=\"" + reason + "\"}");
    }

    private static final List<String> UTF7_SPELLINGS = List.of(
            "application/json; charset = utf-7",
            "application/json; charset=\"utf-7\"",
            "application/json; CHARSET=UTF-7",
            "application/json; charset=utf-8; charset=utf-7",
            "application/json; charset=\"utf\\-7\"",
            "application/json;charset =utf-7",
            "application/json; charset= utf-7",
            "application/json; charset=\tutf-7",
            "application/json ; charset=utf-7",
            "application/json; charset*=utf-7''",
            "application/json; charset=utf-8, application/json; charset=utf-7",
            "text/plain; charset=utf-7");

    @Test
    void everyUtf7SpellingIsRefusedBeforeTheSmuggledToolOrAmountCanReachTheServer() throws Exception {
        double before = refusedTotal("media_type");
        List<String> markers = new ArrayList<>();
        try (RawLegacySession session = new RawLegacySession(agent)) {
            for (String contentType : UTF7_SPELLINGS) {
                String nameMarker = marker();
                String amountMarker = marker();
                markers.add(nameMarker);
                markers.add(amountMarker);
                for (String body : List.of(smuggledName(nameMarker), smuggledAmount(amountMarker))) {
                    HttpResponse<String> response = RawLegacySession.post(session.endpoint, body, headers(contentType));
                    assertThat(response.statusCode()).as(contentType).isEqualTo(415);
                    JsonNode error = TestSupport.messages(response).get(0).get("error");
                    assertThat(error.get("code").asInt()).isEqualTo(ErrorCodes.INVALID_REQUEST);
                    assertThat(error.get("message").asText()).as(contentType).containsAnyOf("charset", "malformed");
                }
            }
            assertThat(session.drain(Duration.ofMillis(300))).as("nothing was executed, so nothing answered on the stream").isEmpty();
        }
        neverForwarded(markers);
        assertThat(refusedTotal("media_type") - before).isEqualTo(2.0 * UTF7_SPELLINGS.size());
        await().atMost(Duration.ofSeconds(10)).until(() -> refusedAuditLines("media_type").size() == 2 * UTF7_SPELLINGS.size());
        JsonNode line = refusedAuditLines("media_type").get(0);
        assertThat(line.get("method").asText()).isEqualTo("POST");
        assertThat(line.get("path").asText()).isEqualTo("/message");
        assertThat(line.get("detail").asText()).contains("utf-7");
    }

    @Test
    void utf16BodiesWithTheirCharsetAreRefused() {
        String m = marker();
        String call = TestSupport.callBody(13, "get-env", "{\"m\":\"" + m + "\"}");
        for (var charset : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE, StandardCharsets.UTF_16)) {
            var response = TestSupport.send("POST", "/message?sessionId=" + UUID.randomUUID(), HttpRequest.BodyPublishers.ofByteArray(call.getBytes(charset)),
                    headers("application/json; charset=" + charset.name().toLowerCase()));
            assertThat(response.statusCode()).as(charset.name()).isEqualTo(415);
        }
        neverForwarded(List.of(m));
    }

    @Test
    void twoContentTypeFieldsAreRefused() throws IOException {
        String m = marker();
        String body = smuggledName(m);
        String answer = StrictInputIT.rawExchange("POST /message?sessionId=x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Type: application/json; charset=utf-7\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertThat(answer).startsWith("HTTP/1.1 415").contains("Content-Type sent 2 times");
        neverForwarded(List.of(m));
    }

    @Test
    void acceptedSpellingsReachTheServerAsExactlyTheMessageDecided() throws IOException {
        try (RawLegacySession session = new RawLegacySession(agent)) {
            List<String> accepted = new ArrayList<>(List.of("application/json", "application/json; charset=\"utf-8\"", "application/json;charset = UTF-8",
                    "application/json; charset=utf8; profile=\"x\"", "text/plain"));
            accepted.add(null); // no Content-Type at all
            int id = 100;
            for (String contentType : accepted) {
                String m = marker();
                id++;
                // escapes, whitespace and a \/ the server would read as the same text the sidecar decided
                String body = "{ \"jsonrpc\" : \"2.0\", \"id\" : " + id + ", \"method\" : \"tools\\/call\",\n \"params\" : { \"name\" : \"\\u0065cho\","
                        + " \"arguments\" : { \"message\" : \"" + m + " \\u00e9\\ud83d\\ude00\" } } }";
                String expected = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\""
                        + m + " é😀\"}}}";
                if (contentType == null) {
                    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                    String answer = StrictInputIT.rawExchange("POST " + session.endpoint + " HTTP/1.1\r\nHost: x\r\nX-Agent-Id: " + agent
                            + "\r\nContent-Length: " + bytes.length + "\r\n\r\n" + body);
                    assertThat(answer).startsWith("HTTP/1.1 202");
                } else {
                    assertThat(RawLegacySession.post(session.endpoint, body, headers(contentType)).statusCode()).as(contentType).isEqualTo(202);
                }
                JsonNode reply = session.next(Duration.ofSeconds(10));
                assertThat(reply).as(contentType + ": answer on the stream").isNotNull();
                assertThat(reply.get("result").get("content").get(0).get("text").asText()).contains(m + " é😀");
                RecordingUpstream.Received received = SidecarTestResource.recorder.received().stream()
                        .filter(r -> r.body().contains(m)).findFirst().orElseThrow();
                assertThat(received.body()).as(contentType).isEqualTo(expected);
                assertThat(received.headers().getAll("Content-Type")).as(contentType).containsExactly("application/json");
                assertThat(received.headers().get("Content-Encoding")).isNull();
            }
        }
    }

    @Test
    void compressionIsNeverForwardedEvenWhenItSaysIdentity() throws IOException {
        try (RawLegacySession session = new RawLegacySession(agent)) {
            String m = marker();
            Map<String, String> headers = new HashMap<>(headers("application/json"));
            headers.put("Content-Encoding", "identity");
            String body = TestSupport.callBody(7, "echo", "{\"message\":\"" + m + "\"}");
            assertThat(RawLegacySession.post(session.endpoint, body, headers).statusCode()).isEqualTo(202);
            assertThat(session.next(Duration.ofSeconds(10))).isNotNull();
            RecordingUpstream.Received received = SidecarTestResource.recorder.received().stream()
                    .filter(r -> r.body().contains(m)).findFirst().orElseThrow();
            assertThat(received.headers().get("Content-Encoding")).isNull();
        }
    }

    private List<JsonNode> refusedAuditLines(String reason) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        String text = Files.readString(SidecarTestResource.auditLog);
        for (String line : text.substring(0, text.lastIndexOf('\n') + 1).lines().toList()) {
            JsonNode json = TestSupport.JSON.readTree(line);
            if (agent.equals(json.path("identity").asText()) && "refused".equals(json.path("decision").asText())
                    && reason.equals(json.path("reason").asText())) {
                lines.add(json);
            }
        }
        return lines;
    }
}
