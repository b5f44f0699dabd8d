package dev.toolgate.sidecar;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Sits between the sidecar and the real MCP server in tests: records every request that reached "the server" and
 * passes it on, or misbehaves on demand (refuse, hang, break mid-stream, canned or scripted answer).
 */
public final class RecordingUpstream implements AutoCloseable {

    public record Received(String method, String uri, io.vertx.core.MultiMap headers, String body) {
    }

    public enum Mode { PASS, HANG, RESET_BEFORE_HEADERS, RESET_MID_SSE, CANNED, SCRIPTED }

    /** A hand-written answer: full control of status, headers, bytes and timing (timers on {@code vertx}). */
    @FunctionalInterface
    public interface Script {
        void answer(HttpServerRequest request, Buffer body, Vertx vertx);
    }

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client;
    private volatile HttpServer server;
    private volatile int port;
    private final java.util.concurrent.atomic.AtomicInteger abandoned = new java.util.concurrent.atomic.AtomicInteger();
    private final int targetPort;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile Mode mode = Mode.PASS;
    private volatile String cannedContentType;
    private volatile String cannedBody;
    private volatile Script script;

    public RecordingUpstream(int targetPort) {
        this.targetPort = targetPort;
        this.client = vertx.createHttpClient();
        listen(0);
        this.port = server.actualPort();
    }

    private void listen(int onPort) {
        HttpServer created = vertx.createHttpServer().requestHandler(this::handle);
        try {
            created.listen(onPort, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        server = created;
    }

    public int port() {
        return port;
    }

    /** Stops listening, so connections to the port are refused until {@link #startListening()}. */
    public void stopListening() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public void startListening() {
        listen(port);
    }

    /** Requests whose client (the sidecar) went away before they were answered. */
    public int abandoned() {
        return abandoned.get();
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    /** True when any request body that reached the server contains {@code text}. */
    public boolean sawBodyContaining(String text) {
        return received.stream().anyMatch(r -> r.body().contains(text));
    }

    public void mode(Mode mode) {
        this.mode = mode;
    }

    public void canned(String contentType, String body) {
        this.cannedContentType = contentType;
        this.cannedBody = body;
        this.mode = Mode.CANNED;
    }

    /** Answers every request with {@code script} until the mode changes. */
    public void script(Script script) {
        this.script = script;
        this.mode = Mode.SCRIPTED;
    }

    private void handle(HttpServerRequest request) {
        request.response().closeHandler(v -> {
            if (!request.response().ended()) {
                abandoned.incrementAndGet();
            }
        });
        request.body().onSuccess(body -> {
            received.add(new Received(request.method().name(), request.uri(), io.vertx.core.MultiMap.caseInsensitiveMultiMap().addAll(request.headers()),
                    body.toString(StandardCharsets.UTF_8)));
            switch (mode) {
                case HANG -> {
                    // never answer
                }
                case RESET_BEFORE_HEADERS -> request.connection().close();
                case RESET_MID_SSE -> {
                    request.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                    request.response().write(": started\n\n");
                    vertx.setTimer(100, t -> request.connection().close());
                }
                case CANNED -> request.response().putHeader("Content-Type", cannedContentType).end(cannedBody);
                case SCRIPTED -> script.answer(request, body, vertx);
                case PASS -> pass(request, body);
            }
        });
    }

    private void pass(HttpServerRequest request, Buffer body) {
        RequestOptions options = new RequestOptions().setMethod(request.method()).setHost("127.0.0.1").setPort(targetPort).setURI(request.uri());
        client.request(options).onSuccess(upstream -> {
            upstream.headers().addAll(request.headers());
            upstream.headers().remove("Content-Length");
            request.response().closeHandler(v -> upstream.reset());
            upstream.send(body).onSuccess(answer -> {
                request.response().setStatusCode(answer.statusCode());
                request.response().headers().addAll(answer.headers());
                for (String hop : List.of("Transfer-Encoding", "Connection", "Keep-Alive")) {
                    request.response().headers().remove(hop);
                }
                if (answer.getHeader("Content-Length") == null) {
                    request.response().setChunked(true);
                }
                answer.handler(request.response()::write);
                answer.endHandler(v -> request.response().end());
                answer.exceptionHandler(e -> request.connection().close());
            }).onFailure(e -> request.connection().close());
        }).onFailure(e -> request.connection().close());
    }

    @Override
    public void close() {
        vertx.close();
    }
}
