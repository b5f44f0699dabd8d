package dev.toolgate.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.netty.channel.EventLoop;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.net.ConnectException;
import java.net.URI;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Sends an inspected request to the MCP server and streams the answer back: server-sent events one event at a time
 * (each written, and so flushed, on its own), JSON as it comes, except tools/list answers which are filtered first.
 * Failures become JSON-RPC errors; a client that goes away cancels the upstream request.
 */
@Singleton // no client proxy: these run on every request
public class UpstreamForwarder {
    /**
     * Headers never forwarded besides hop-by-hop ones: we set Host, the length and the type (the body is the sidecar's own
     * UTF-8 JSON, so no charset or other parameter of the client's may reach a server that would read the body by it),
     * the body is never encoded, digests of the client's bytes would not match, and responses must arrive uncompressed.
     */
    private static final Set<String> REQUEST_DROP = HopByHopHeaders.names("host", "content-length", "content-type", "content-encoding",
            "content-md5", "digest", "content-digest", "repr-digest", "accept-encoding", "expect");
    private static final Set<String> RESPONSE_DROP = HopByHopHeaders.names("content-length");

    private final SidecarConfig config;
    private final PolicyHolder policies;
    private final ToolCallMetrics metrics;
    private final AuditLog audit;
    private final LegacySseSessions legacy;
    private final Vertx vertx;
    private final HttpClientOptions clientOptions;
    private final PoolOptions poolOptions;
    /**
     * One client (so one connection pool) per event loop. A pooled connection lives on the event loop that opened it;
     * with one shared pool a request arriving on loop A often got a connection of loop B, and every read and write then
     * crossed threads twice (measured: a single event loop was faster than four). Per-loop pools keep each exchange on
     * the loop that accepted the request.
     */
    private final Map<EventLoop, HttpClient> clients = new ConcurrentHashMap<>();
    private final String host;
    private final int port;
    private final String basePath;
    private final String authority;

    @Inject
    public UpstreamForwarder(Vertx vertx, SidecarConfig config, PolicyHolder policies, ToolCallMetrics metrics, AuditLog audit,
            LegacySseSessions legacy) {
        this.config = config;
        this.policies = policies;
        this.metrics = metrics;
        this.audit = audit;
        this.legacy = legacy;
        URI upstream = URI.create(config.upstream());
        if (!"http".equalsIgnoreCase(upstream.getScheme()) || upstream.getHost() == null) {
            throw new IllegalArgumentException("toolgate.upstream must be an http:// URL with a host, got " + config.upstream());
        }
        this.host = upstream.getHost();
        this.port = upstream.getPort() < 0 ? 80 : upstream.getPort();
        String path = upstream.getRawPath() == null ? "" : upstream.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.authority = upstream.getPort() < 0 ? host : host + ":" + port;
        this.vertx = vertx;
        this.clientOptions = new HttpClientOptions()
                .setConnectTimeout((int) config.upstreamConnectTimeout().toMillis())
                .setKeepAlive(true)
                .setDecompressionSupported(false);
        int loops = 0;
        for (var ignored : vertx.nettyEventLoopGroup()) {
            loops++;
        }
        // the configured bound is for the whole sidecar: split evenly across the loops' pools (at least one each)
        this.poolOptions = new PoolOptions().setHttp1MaxSize(Math.max(1, config.upstreamMaxConnections() / Math.max(1, loops)));
    }

    /** The calling event loop's client (created on first use). */
    private HttpClient client() {
        EventLoop loop = ((ContextInternal) Vertx.currentContext()).nettyEventLoop();
        HttpClient client = clients.get(loop);
        return client != null ? client : clients.computeIfAbsent(loop, l -> vertx.createHttpClient(clientOptions, poolOptions));
    }

    void close(@Observes ShutdownEvent event) {
        clients.values().forEach(HttpClient::close);
    }

    /** Path and query of a request, whatever form its request-target had (absolute-form loses scheme and host). */
    static String originForm(HttpServerRequest request) {
        String path = request.path() == null || request.path().isEmpty() ? "/" : request.path();
        return request.query() == null ? path : path + "?" + request.query();
    }

    /** Per-request state for the relay. */
    private final class Exchange {
        final RoutingContext ctx;
        final ParsedBody body;
        final List<CallDecision> allowed;
        final String identity;
        final String session;
        final Set<JsonNode> pendingIds = new LinkedHashSet<>();
        final Set<JsonNode> toolsListIds = new HashSet<>();
        final long start = System.nanoTime();
        final Runnable onFinish;
        int status;
        boolean finished;

        Exchange(RoutingContext ctx, ParsedBody body, List<CallDecision> allowed, String identity, String session, Runnable onFinish) {
            this.ctx = ctx;
            this.onFinish = onFinish;
            this.body = body;
            this.allowed = allowed;
            this.identity = identity;
            this.session = session;
            if (body != null) {
                for (JsonRpcMessage m : body.messages()) {
                    if (m.isRequest()) {
                        pendingIds.add(m.id());
                    }
                    if (m.isToolsList()) {
                        toolsListIds.add(m.id());
                    }
                }
            }
        }

        /** Records allowed calls once, when the exchange ends however it ends. */
        void finish(int upstreamStatus) {
            if (finished) {
                return;
            }
            finished = true;
            onFinish.run();
            long nanos = System.nanoTime() - start;
            for (CallDecision call : allowed) {
                if (upstreamStatus > 0) {
                    metrics.upstreamDuration(call.tool(), nanos);
                }
                audit.record(call, identity, session, new AuditLog.Outcome(upstreamStatus, nanos / 1_000_000));
            }
        }
    }

    /** @param onFinish run once when the exchange ends, however it ends (ProxyRoute gives back the body's buffer budget) */
    public void forward(RoutingContext ctx, byte[] bytes, ParsedBody body, List<CallDecision> allowed, String identity, String session,
            Runnable onFinish) {
        Exchange exchange = new Exchange(ctx, body, allowed, identity, session, onFinish);
        HttpServerRequest request = ctx.request();
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setHost(host)
                .setPort(port)
                .setURI(basePath + originForm(request));
        if (request.method() != HttpMethod.GET && !config.upstreamIdleTimeout().isZero()) {
            options.setIdleTimeout(config.upstreamIdleTimeout().toMillis());
        }
        client().request(options).onComplete(created -> {
            if (created.failed()) {
                failBeforeResponse(exchange, created.cause());
                return;
            }
            HttpClientRequest upstream = created.result();
            HopByHopHeaders.copy(request.headers(), upstream.headers(), REQUEST_DROP);
            upstream.putHeader(HttpHeaders.HOST, authority);
            if (bytes.length > 0 || request.headers().contains(HttpHeaders.CONTENT_TYPE)) {
                upstream.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
            }
            ctx.response().closeHandler(v -> {
                // The client went away: stop the server's work on its behalf.
                upstream.reset();
                exchange.finish(0);
            });
            var sent = bytes.length > 0 || request.method() == HttpMethod.POST || request.method() == HttpMethod.PUT
                    ? upstream.send(Buffer.buffer(bytes)) : upstream.send();
            sent.onComplete(answered -> {
                if (answered.failed()) {
                    failBeforeResponse(exchange, answered.cause());
                } else {
                    relay(exchange, answered.result());
                }
            });
        });
    }

    private void relay(Exchange exchange, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.ctx.response();
        if (response.ended() || response.closed()) {
            upstream.request().reset();
            return;
        }
        exchange.status = upstream.statusCode();
        if (upstream.statusCode() >= 500) {
            metrics.upstreamError("status");
        }
        String contentType = upstream.getHeader(HttpHeaders.CONTENT_TYPE);
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        response.setStatusCode(upstream.statusCode());
        if (upstream.statusMessage() != null) {
            response.setStatusMessage(upstream.statusMessage());
        }
        HopByHopHeaders.copy(upstream.headers(), response.headers(), RESPONSE_DROP);
        if (type.startsWith("text/event-stream")) {
            streamEvents(exchange, upstream);
        } else if (!exchange.toolsListIds.isEmpty() && type.contains("json")) {
            filterJson(exchange, upstream);
        } else {
            passThrough(exchange, upstream);
        }
    }

    private void passThrough(Exchange exchange, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.ctx.response();
        String length = upstream.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
        } else if (hasBody(exchange, upstream)) {
            response.setChunked(true);
        }
        upstream.handler(chunk -> write(response, upstream, chunk));
        upstream.exceptionHandler(e -> failAfterResponse(exchange, e));
        upstream.endHandler(v -> {
            response.end();
            exchange.finish(upstream.statusCode());
        });
    }

    private void filterJson(Exchange exchange, HttpClientResponse upstream) {
        Buffer collected = Buffer.buffer();
        int max = config.maxFilteredResponseBytes();
        upstream.handler(chunk -> {
            if (collected.length() + chunk.length() > max) {
                upstream.request().reset();
                failAfterResponse(exchange, new IllegalStateException("tools/list response larger than " + max + " bytes"));
                return;
            }
            collected.appendBuffer(chunk);
        });
        upstream.exceptionHandler(e -> failAfterResponse(exchange, e));
        upstream.endHandler(v -> {
            Buffer out = collected;
            try {
                JsonNode json = JsonRpcParser.STRICT.readTree(collected.getBytes());
                boolean changed = false;
                if (json instanceof ArrayNode array) {
                    for (JsonNode element : array) {
                        changed |= ToolsListFilter.apply(element, exchange.toolsListIds, policies.policy().orElse(null), metrics.labels());
                    }
                } else {
                    changed = ToolsListFilter.apply(json, exchange.toolsListIds, policies.policy().orElse(null), metrics.labels());
                }
                if (changed) {
                    out = Buffer.buffer(DenialResponses.bytes(json));
                }
            } catch (Exception e) {
                Log.debugf("tools/list response not JSON-RPC, passed on unchanged: %s", e);
            }
            HttpServerResponse response = exchange.ctx.response();
            response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(out.length())).end(out);
            exchange.finish(upstream.statusCode());
        });
    }

    private void streamEvents(Exchange exchange, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.ctx.response();
        HttpServerRequest request = exchange.ctx.request();
        response.setChunked(true);
        SseEventParser parser = new SseEventParser(config.maxFilteredResponseBytes());
        boolean eventStreamRequest = request.method() == HttpMethod.GET;
        LegacySseSessions.Stream stream = new LegacySseSessions.Stream(response, Vertx.currentContext());
        String[] registered = {null};
        Runnable unregister = () -> {
            if (registered[0] != null) {
                legacy.unregister(registered[0], stream);
            }
        };
        response.closeHandler(v -> {
            upstream.request().reset();
            unregister.run();
            exchange.finish(0);
        });
        response.putHeader("X-Accel-Buffering", "no");
        upstream.handler(chunk -> {
            List<SseEvent> events;
            try {
                events = parser.feed(chunk.getBytes());
            } catch (IllegalStateException tooBig) {
                upstream.request().reset();
                failAfterResponse(exchange, tooBig);
                return;
            }
            for (SseEvent event : events) {
                byte[] out = event.raw();
                if (eventStreamRequest && "endpoint".equals(event.event()) && event.data() != null) {
                    String key = LegacySseSessions.endpointKey(originForm(request), event.data());
                    if (key != null) {
                        unregister.run();
                        registered[0] = key;
                        legacy.register(key, stream);
                        out = event.withData(key); // a relative endpoint keeps the client posting through the sidecar
                    }
                } else if (event.data() != null && "message".equals(event.event())
                        && (!exchange.pendingIds.isEmpty() || !exchange.toolsListIds.isEmpty() || !stream.toolsListIds().isEmpty())) {
                    out = inspectServerMessage(exchange, event, out, stream.toolsListIds());
                }
                response.write(Buffer.buffer(out));
            }
            if (response.writeQueueFull()) {
                upstream.pause();
                response.drainHandler(v -> upstream.resume());
            }
        });
        upstream.exceptionHandler(e -> {
            unregister.run();
            failAfterResponse(exchange, e);
        });
        upstream.endHandler(v -> {
            unregister.run();
            byte[] rest = parser.remainder();
            if (rest.length > 0) {
                response.write(Buffer.buffer(rest));
            }
            response.end();
            exchange.finish(upstream.statusCode());
        });
    }

    private byte[] inspectServerMessage(Exchange exchange, SseEvent event, byte[] raw, Set<JsonNode> legacyToolsListIds) {
        try {
            JsonNode message = JsonRpcParser.STRICT.readTree(event.data());
            boolean isResponse = message.has("id") && (message.has("result") || message.has("error"));
            if (isResponse) {
                exchange.pendingIds.remove(message.get("id"));
            }
            Set<JsonNode> listIds = exchange.toolsListIds;
            if (isResponse && legacyToolsListIds.remove(message.get("id"))) {
                listIds = Set.of(message.get("id")); // a legacy tools/list answer arriving on the client's event stream
            }
            if (ToolsListFilter.apply(message, listIds, policies.policy().orElse(null), metrics.labels())) {
                return event.withData(message.toString());
            }
        } catch (Exception e) {
            Log.debugf("server event not JSON, passed on unchanged: %s", e);
        }
        return raw;
    }

    private static void write(HttpServerResponse response, HttpClientResponse upstream, Buffer chunk) {
        response.write(chunk);
        if (response.writeQueueFull()) {
            upstream.pause();
            response.drainHandler(v -> upstream.resume());
        }
    }

    private static boolean hasBody(Exchange exchange, HttpClientResponse upstream) {
        int status = upstream.statusCode();
        return exchange.ctx.request().method() != HttpMethod.HEAD && status != 204 && status != 304 && status >= 200;
    }

    static String failureKind(Throwable failure) {
        if (failure instanceof ConnectException || failure.getCause() instanceof ConnectException) {
            return "connect";
        }
        String text = String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT);
        if (failure instanceof TimeoutException || failure.getClass().getSimpleName().contains("Timeout") || text.contains("timeout")
                || text.contains("timed out")) {
            return "timeout";
        }
        return "reset";
    }

    /** The server never answered: the client gets JSON-RPC errors with a 502 (504 on timeout). */
    private void failBeforeResponse(Exchange exchange, Throwable failure) {
        String kind = failureKind(failure);
        HttpServerResponse response = settleFailure(exchange, kind);
        if (response == null) {
            return;
        }
        Log.warnf("MCP server request failed (%s): %s", kind, failure.getMessage());
        JsonNode payload = errorsForPending(exchange, kind, String.valueOf(failure.getMessage()));
        response.setStatusCode(kind.equals("timeout") ? 504 : 502)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(DenialResponses.bytes(payload)));
    }

    /** The server failed mid-answer: SSE clients get an error event per unanswered request; others a reset connection. */
    private void failAfterResponse(Exchange exchange, Throwable failure) {
        if (!exchange.ctx.response().headWritten()) {
            failBeforeResponse(exchange, failure);
            return;
        }
        String kind = failureKind(failure);
        HttpServerResponse response = settleFailure(exchange, kind);
        if (response == null) {
            return;
        }
        Log.warnf("MCP server response broke off (%s): %s", kind, failure.getMessage());
        String type = String.valueOf(response.headers().get(HttpHeaders.CONTENT_TYPE)).toLowerCase(Locale.ROOT);
        if (type.startsWith("text/event-stream")) {
            for (JsonNode id : exchange.pendingIds) {
                response.write(Buffer.buffer(SseEventParser.messageEvent(
                        DenialResponses.upstreamError(id, kind, String.valueOf(failure.getMessage())).toString())));
            }
            response.end();
        } else {
            response.reset();
        }
    }

    /** Counts the upstream failure and closes the exchange; the client's response, or null when the client is gone. */
    private HttpServerResponse settleFailure(Exchange exchange, String kind) {
        metrics.upstreamError(kind);
        exchange.finish(0);
        HttpServerResponse response = exchange.ctx.response();
        return response.ended() || response.closed() ? null : response;
    }

    private static JsonNode errorsForPending(Exchange exchange, String kind, String detail) {
        if (exchange.body != null && exchange.body.batch() && !exchange.pendingIds.isEmpty()) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            exchange.pendingIds.forEach(id -> array.add(DenialResponses.upstreamError(id, kind, detail)));
            return array;
        }
        JsonNode id = exchange.pendingIds.isEmpty() ? null : exchange.pendingIds.iterator().next();
        return DenialResponses.upstreamError(id, kind, detail);
    }

}
