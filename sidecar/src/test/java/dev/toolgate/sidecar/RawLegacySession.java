package dev.toolgate.sidecar;

import dev.toolgate.sidecar.mcp.SseEvent;
import dev.toolgate.sidecar.mcp.SseEventParser;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A legacy HTTP+SSE (2024-11-05) session through the sidecar, driven by hand so tests choose the exact POST target and
 * bytes: the event stream is read in the background, the endpoint it announces is kept, and every JSON-RPC response
 * that arrives on it is queued.
 */
final class RawLegacySession implements AutoCloseable {
    final String endpoint;
    private final InputStream events;
    private final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    private final Thread reader;

    RawLegacySession(String agent) {
        HttpResponse<InputStream> stream;
        try {
            stream = TestSupport.HTTP.send(HttpRequest.newBuilder(URI.create(SidecarTestResource.proxyUrl() + "/sse"))
                    .header("Accept", "text/event-stream").header("X-Agent-Id", agent).build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        events = stream.body();
        CompletableFuture<String> announced = new CompletableFuture<>();
        reader = new Thread(() -> read(announced), "legacy-sse-reader");
        reader.setDaemon(true);
        reader.start();
        endpoint = announced.orTimeout(10, TimeUnit.SECONDS).join();
        post(endpoint, """
                {"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"raw-legacy","version":"1"}}}""",
                java.util.Map.of("X-Agent-Id", agent));
        JsonNode initialized = next(Duration.ofSeconds(10));
        if (initialized == null || !initialized.has("result")) {
            throw new AssertionError("initialize not answered on the stream: " + initialized);
        }
        post(endpoint, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", java.util.Map.of("X-Agent-Id", agent));
    }

    /** The server's session id, as the endpoint carries it. */
    String sessionId() {
        return endpoint.substring(endpoint.indexOf("sessionId=") + "sessionId=".length());
    }

    private void read(CompletableFuture<String> announced) {
        SseEventParser parser = new SseEventParser(1 << 24);
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = events.read(buffer)) > 0) {
                for (SseEvent event : parser.feed(java.util.Arrays.copyOf(buffer, n))) {
                    if ("endpoint".equals(event.event())) {
                        announced.complete(event.data().trim());
                    } else if (event.data() != null && !event.data().isEmpty()) {
                        JsonNode message = TestSupport.JSON.readTree(event.data());
                        if (message.has("id") && (message.has("result") || message.has("error"))) {
                            messages.add(message); // answers only: the server also sends notifications of its own
                        }
                    }
                }
            }
        } catch (IOException closed) {
            // the stream ended
        }
        announced.completeExceptionally(new AssertionError("event stream ended without an endpoint event"));
    }

    static HttpResponse<String> post(String target, String body, java.util.Map<String, String> headers) {
        return TestSupport.post(target, body, headers);
    }

    /** The next message on the stream, or null after {@code wait}. */
    JsonNode next(Duration wait) {
        try {
            return messages.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every message that arrives within {@code wait}. */
    List<JsonNode> drain(Duration wait) {
        List<JsonNode> out = new ArrayList<>();
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode m = next(Duration.ofMillis(50));
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    @Override
    public void close() {
        try {
            events.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
        reader.interrupt();
    }
}
