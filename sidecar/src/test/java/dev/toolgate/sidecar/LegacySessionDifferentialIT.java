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
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The legacy server (the TypeScript SDK's SSEServerTransport behind express, here server-everything in SSE mode) routes
 * many spellings of the endpoint it announced to the same session: case-insensitive paths, a trailing slash, a
 * percent-encoded query, extra parameters. The sidecar must count a legacy message under the server's session whatever
 * else the request says, and refuse every spelling it did not hand out, so a session-scoped limit and tools/list
 * filtering hold.
 */
@QuarkusTest
@TestProfile(Profiles.LegacySse.class)
class LegacySessionDifferentialIT {

    @Inject
    PolicyHolder holder;

    private final String agent = "legacy-session-" + UUID.randomUUID();

    @BeforeEach
    void policy() throws IOException {
        ObjectNode policy = (ObjectNode) TestSupport.JSON.readTree(SidecarTestResource.resource("policies/everything.json"));
        ((ObjectNode) policy.get("tools")).set("echo", TestSupport.JSON.readTree("""
                {"limits": [{"counter": "echo_per_session", "window": "minute", "max": 2, "scope": "session"}]}"""));
        TestSupport.usePolicy(holder, policy.toString());
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static String marker() {
        return "m" + UUID.randomUUID().toString().replace("-", "");
    }

    /** Spellings express routes to the same session as {@code /message?sessionId=S}. */
    private static List<String> variants(String session) {
        String encodedValue = session.chars().mapToObj(c -> String.format("%%%02X", c)).reduce("", String::concat);
        return List.of(
                "/message?sessionId=" + session + "&x=1",
                "/message?x=1&sessionId=" + session,
                "/message/?sessionId=" + session,
                "/Message?sessionId=" + session,
                "/MESSAGE/?sessionId=" + session,
                "/message?%73essionId=" + session,
                "/message?sessionId=" + encodedValue,
                "/message?sessionId=" + session + "&sessionId=" + session,
                "/message?sessionId=" + session + ";x=1");
    }

    private Map<String, String> headers() {
        return Map.of("X-Agent-Id", agent, "Mcp-Session-Id", UUID.randomUUID().toString());
    }

    private static double refusedTotal(String reason) {
        return TestSupport.sample(TestSupport.metrics(), "toolgate_refused_total{reason=\"" + reason + "\"}");
    }

    @Test
    void aSessionScopedLimitOfTwoHoldsAcrossEverySpellingAndHeader() {
        double refusedBefore = refusedTotal("session");
        List<String> markers = new ArrayList<>();
        try (RawLegacySession session = new RawLegacySession(agent)) {
            List<String> variants = variants(session.sessionId());
            for (String variant : variants) {
                String m = marker();
                markers.add(m);
                HttpResponse<String> response = RawLegacySession.post(variant, TestSupport.callBody(1, "echo", "{\"message\":\"" + m + "\"}"), headers());
                assertThat(response.statusCode()).as(variant).isIn(400, 404);
                assertThat(TestSupport.messages(response).get(0).get("error").get("message").asText()).as(variant).contains("legacy HTTP+SSE");
            }
            // The exact endpoint with a different Mcp-Session-Id each time: the legacy server ignores the header, so must the limit.
            List<Integer> ids = List.of(2, 3, 4);
            for (int id : ids) {
                String m = marker();
                markers.add(m);
                assertThat(RawLegacySession.post(session.endpoint, TestSupport.callBody(id, "echo", "{\"message\":\"" + m + "\"}"), headers()).statusCode())
                        .isEqualTo(202);
            }
            List<JsonNode> answers = session.drain(Duration.ofSeconds(2));
            assertThat(answers).extracting(a -> a.get("id").asInt()).containsExactlyInAnyOrder(2, 3, 4);
            assertThat(answers.stream().filter(a -> a.has("result")).count()).as("executed: %s", answers).isEqualTo(2);
            JsonNode limited = answers.stream().filter(a -> a.has("error")).findFirst().orElseThrow();
            assertThat(limited.get("error").get("code").asInt()).isEqualTo(ErrorCodes.RATE_LIMITED);
        }
        long reached = markers.stream().filter(SidecarTestResource.recorder::sawBodyContaining).count();
        assertThat(reached).as("calls that reached the server").isEqualTo(2);
        assertThat(refusedTotal("session") - refusedBefore).isEqualTo(variants("x").size());
    }

    @Test
    void theLimitIsCountedUnderTheServersSessionId() throws IOException {
        try (RawLegacySession session = new RawLegacySession(agent)) {
            assertThat(RawLegacySession.post(session.endpoint, TestSupport.callBody(5, "echo", "{\"message\":\"counted\"}"), headers()).statusCode())
                    .isEqualTo(202);
            assertThat(session.next(Duration.ofSeconds(10))).isNotNull();
            await().atMost(Duration.ofSeconds(10)).until(() -> auditLines().stream().anyMatch(l -> "echo".equals(l.path("tool").asText())));
            JsonNode line = auditLines().stream().filter(l -> "echo".equals(l.path("tool").asText())).findFirst().orElseThrow();
            assertThat(line.get("session").asText()).isEqualTo(session.sessionId());
        }
    }

    @Test
    void toolsListThroughAnotherSpellingIsRefusedSoNoUnfilteredListReachesTheClient() {
        try (RawLegacySession session = new RawLegacySession(agent)) {
            int id = 20;
            for (String variant : variants(session.sessionId())) {
                HttpResponse<String> response = RawLegacySession.post(variant, "{\"jsonrpc\":\"2.0\",\"id\":" + (id++) + ",\"method\":\"tools/list\"}", headers());
                assertThat(response.statusCode()).as(variant).isIn(400, 404);
            }
            assertThat(RawLegacySession.post(session.endpoint, "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"tools/list\"}", headers()).statusCode())
                    .isEqualTo(202);
            List<JsonNode> answers = session.drain(Duration.ofSeconds(2));
            assertThat(answers).extracting(a -> a.get("id").asInt()).containsExactly(99);
            assertThat(answers.get(0).toString()).contains("\"echo\"").doesNotContain("get-env");
        }
    }

    @Test
    void endpointsTheSidecarDidNotHandOutAreRefused() {
        String m = marker();
        String call = TestSupport.callBody(1, "echo", "{\"message\":\"" + m + "\"}");
        HttpResponse<String> unknown = RawLegacySession.post("/message?sessionId=" + UUID.randomUUID(), call, headers());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(TestSupport.messages(unknown).get(0).get("error").get("message").asText()).contains("unknown or closed");
        String closedEndpoint;
        try (RawLegacySession session = new RawLegacySession(agent)) {
            closedEndpoint = session.endpoint;
        }
        String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
        await().atMost(Duration.ofSeconds(10)).until(() -> RawLegacySession.post(closedEndpoint, ping, headers()).statusCode() == 404);
        assertThat(RawLegacySession.post(closedEndpoint, call, headers()).statusCode()).isEqualTo(404);
        assertThat(SidecarTestResource.recorder.sawBodyContaining(m)).isFalse();
        await().atMost(Duration.ofSeconds(10)).until(() -> auditLines().stream()
                .anyMatch(l -> "refused".equals(l.path("decision").asText()) && "session".equals(l.path("reason").asText())));
    }

    private List<JsonNode> auditLines() throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        String text = Files.readString(SidecarTestResource.auditLog);
        for (String line : text.substring(0, text.lastIndexOf('\n') + 1).lines().toList()) {
            JsonNode json = TestSupport.JSON.readTree(line);
            if (agent.equals(json.path("identity").asText())) {
                lines.add(json);
            }
        }
        return lines;
    }
}
