package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A server that answers the headers (and maybe part of the body) and then goes silent is cut off after the idle
 * timeout ({@link Profiles.Scripted#IDLE_TIMEOUT}), with an answer the client can act on; one that keeps sending, however
 * slowly, is not.
 */
@QuarkusTest
@TestProfile(Profiles.Scripted.class)
class UpstreamStallIT {

    private static final Duration IDLE = Profiles.Scripted.IDLE_TIMEOUT;
    /** Idle timeout plus slack for a loaded machine; far below the 20 s a hang would take to show. */
    private static final Duration PROMPT = IDLE.plusSeconds(4);

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

    private record Timed(HttpResponse<String> response, Duration took) {
    }

    /**
     * A tools/call through the sidecar, body included, with a hard deadline: the HTTP client's own timeout ends with
     * the headers, so a stalled body would otherwise hang the test.
     */
    private static Timed call(int id) {
        long start = System.nanoTime();
        var request = HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp"))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(TestSupport.callBody(id, "echo", "{\"message\":\"x\"}")))
                .build();
        var pending = TestSupport.HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        try {
            var response = pending.get(20, TimeUnit.SECONDS);
            return new Timed(response, Duration.ofNanos(System.nanoTime() - start));
        } catch (TimeoutException e) {
            pending.cancel(true);
            throw new AssertionError("no complete answer within 20 s", e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double timeouts() {
        return TestSupport.sample(TestSupport.metrics(), "toolgate_upstream_errors_total{kind=\"timeout\"}");
    }

    private static void timeoutErrorFor(JsonNode message, int id) {
        assertThat(message.get("id").asInt()).as(message.toString()).isEqualTo(id);
        assertThat(message.get("error").get("code").asInt()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
        assertThat(message.get("error").get("data").get("kind").asText()).isEqualTo("timeout");
    }

    @Test
    void eventStreamHeadersThenSilenceEndWithAnErrorEventWithinTheIdleTimeout() {
        SidecarTestResource.recorder.script((request, body, vertx) ->
                request.response().setChunked(true).putHeader("Content-Type", "text/event-stream").writeHead());
        double before = timeouts();
        Timed timed = call(61);
        assertThat(timed.took()).isLessThan(PROMPT).isGreaterThanOrEqualTo(IDLE.minusMillis(100));
        assertThat(timed.response().statusCode()).isEqualTo(200);
        List<JsonNode> messages = TestSupport.messages(timed.response());
        assertThat(messages).hasSize(1);
        timeoutErrorFor(messages.get(0), 61);
        assertThat(timeouts() - before).isEqualTo(1.0);
    }

    @Test
    void eventStreamThatFallsSilentAfterAnEventEndsWithAnErrorEvent() {
        SidecarTestResource.recorder.script((request, body, vertx) -> request.response().setChunked(true)
                .putHeader("Content-Type", "text/event-stream")
                .write("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":1}}\n\n"));
        Timed timed = call(62);
        assertThat(timed.took()).isLessThan(PROMPT);
        List<JsonNode> messages = TestSupport.messages(timed.response());
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).get("method").asText()).isEqualTo("notifications/progress");
        timeoutErrorFor(messages.get(1), 62);
    }

    @Test
    void jsonHeadersThenHalfABodyGive504WithinTheIdleTimeout() {
        String answer = "{\"jsonrpc\":\"2.0\",\"id\":63,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"never finished\"}]}}";
        SidecarTestResource.recorder.script((request, body, vertx) -> request.response()
                .putHeader("Content-Type", "application/json")
                .putHeader("Content-Length", Integer.toString(answer.length()))
                .write(answer.substring(0, answer.length() / 2)));
        double before = timeouts();
        Timed timed = call(63);
        assertThat(timed.took()).isLessThan(PROMPT);
        assertThat(timed.response().statusCode()).isEqualTo(504);
        timeoutErrorFor(TestSupport.messages(timed.response()).get(0), 63);
        assertThat(timeouts() - before).isEqualTo(1.0);
    }

    @Test
    void slowDripWithinTheIdleTimeoutIsNotCut() {
        long gap = IDLE.toMillis() / 4; // far inside the timeout, even on a loaded machine
        String progress = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":%d}}\n\n";
        SidecarTestResource.recorder.script((request, body, vertx) -> {
            HttpServerResponse response = request.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
            drip(vertx, response, gap, 6, i -> String.format(progress, i),
                    "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":64,\"result\":{\"content\":[]}}\n\n");
        });
        Timed timed = call(64);
        List<JsonNode> messages = TestSupport.messages(timed.response());
        assertThat(timed.took()).as("the drip lasted longer than the idle timeout").isGreaterThan(IDLE);
        assertThat(messages).hasSize(7);
        assertThat(messages.get(6).get("id").asInt()).isEqualTo(64);
        assertThat(messages.get(6).has("result")).isTrue();
    }

    @Test
    void slowJsonBodyWithinTheIdleTimeoutIsNotCut() {
        long gap = IDLE.toMillis() / 4; // far inside the timeout, even on a loaded machine
        String answer = "{\"jsonrpc\":\"2.0\",\"id\":65,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"slow but steady\"}]}}";
        SidecarTestResource.recorder.script((request, body, vertx) -> {
            HttpServerResponse response = request.response().setChunked(true).putHeader("Content-Type", "application/json");
            int pieces = 7;
            int size = (answer.length() + pieces - 1) / pieces;
            drip(vertx, response, gap, pieces, i -> answer.substring(i * size, Math.min(answer.length(), (i + 1) * size)), "");
        });
        Timed timed = call(65);
        assertThat(timed.took()).isGreaterThan(IDLE);
        assertThat(timed.response().statusCode()).isEqualTo(200);
        assertThat(timed.response().body()).isEqualTo(answer);
    }

    /** Writes {@code count} pieces {@code gap} ms apart, then {@code last} and the end. */
    private static void drip(Vertx vertx, HttpServerResponse response, long gap, int count, java.util.function.IntFunction<String> piece, String last) {
        int[] sent = {0};
        response.write(piece.apply(sent[0]++));
        vertx.setPeriodic(gap, timer -> {
            if (response.closed()) {
                vertx.cancelTimer(timer);
            } else if (sent[0] < count) {
                response.write(piece.apply(sent[0]++));
            } else {
                vertx.cancelTimer(timer);
                response.end(Buffer.buffer(last));
            }
        });
    }

    @Test
    void getEventStreamsHaveNoIdleTimeout() throws Exception {
        SidecarTestResource.recorder.script((request, body, vertx) ->
                request.response().setChunked(true).putHeader("Content-Type", "text/event-stream").write(": open\n\n"));
        HttpResponse<InputStream> response = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/mcp"))
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        InputStream stream = response.body();
        CompletableFuture<String> rest = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException closed) {
                return "closed by the test";
            }
        });
        Thread.sleep(IDLE.multipliedBy(2).toMillis());
        assertThat(rest).as("the quiet GET stream is still open after twice the idle timeout").isNotDone();
        stream.close();
        rest.get(5, TimeUnit.SECONDS);
    }
}
