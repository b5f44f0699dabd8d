package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The MCP server refusing, hanging or breaking off gives the client a JSON-RPC error, never a hang. */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class UpstreamFailureIT {

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
    }

    @AfterEach
    void restore() {
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static JsonNode onlyMessage(java.net.http.HttpResponse<String> response) {
        var messages = TestSupport.messages(response);
        assertThat(messages).as(response.body()).hasSize(1);
        return messages.get(0);
    }

    @Test
    void refusedConnectionGives502WithJsonRpcError() {
        SidecarTestResource.recorder.stopListening();
        try {
            var response = TestSupport.post("/mcp", TestSupport.callBody(41, "echo", "{\"message\":\"x\"}"), Map.of());
            assertThat(response.statusCode()).isEqualTo(502);
            JsonNode message = onlyMessage(response);
            assertThat(message.get("id").asInt()).isEqualTo(41);
            assertThat(message.get("error").get("code").asInt()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
            assertThat(message.get("error").get("data").get("kind").asText()).isEqualTo("connect");
        } finally {
            SidecarTestResource.recorder.startListening();
        }
    }

    @Test
    void resetBeforeHeadersGives502() {
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.RESET_BEFORE_HEADERS);
        var response = TestSupport.post("/mcp", TestSupport.callBody(42, "echo", "{\"message\":\"x\"}"), Map.of());
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(onlyMessage(response).get("error").get("code").asInt()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    }

    @Test
    void silentServerTimesOutWith504() {
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.HANG);
        long start = System.nanoTime();
        var response = TestSupport.post("/mcp", TestSupport.callBody(43, "echo", "{\"message\":\"x\"}"), Map.of());
        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(onlyMessage(response).get("error").get("data").get("kind").asText()).isEqualTo("timeout");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void resetMidStreamEndsTheEventStreamWithAnErrorForTheRequest() {
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.RESET_MID_SSE);
        var response = TestSupport.post("/mcp", TestSupport.callBody(44, "echo", "{\"message\":\"x\"}"), Map.of());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode message = onlyMessage(response);
        assertThat(message.get("id").asInt()).isEqualTo(44);
        assertThat(message.get("error").get("code").asInt()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    }

    @Test
    void clientDisconnectCancelsTheUpstreamRequest() throws Exception {
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.HANG);
        int before = SidecarTestResource.recorder.abandoned();
        int received = SidecarTestResource.recorder.received().size();
        String body = TestSupport.callBody(45, "echo", "{\"message\":\"x\"}");
        try (Socket socket = new Socket("127.0.0.1", SidecarTestResource.proxyPort)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> SidecarTestResource.recorder.received().size() > received);
        }
        await().atMost(Duration.ofSeconds(3)).until(() -> SidecarTestResource.recorder.abandoned() > before);
    }
}
