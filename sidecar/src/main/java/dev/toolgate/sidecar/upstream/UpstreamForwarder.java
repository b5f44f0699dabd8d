package dev.toolgate.sidecar.upstream;

import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.edge.ProxyRoute;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.DenialResponses;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.enforce.ServerMessageInspector;
import dev.toolgate.sidecar.mcp.JsonRpcIds;
import dev.toolgate.sidecar.mcp.JsonRpcMessage;
import dev.toolgate.sidecar.mcp.ParsedBody;
import dev.toolgate.sidecar.mcp.SseEvent;
import dev.toolgate.sidecar.mcp.SseEventParser;
import dev.toolgate.sidecar.observe.AuditLog;
import dev.toolgate.sidecar.observe.RequestFacts;
import dev.toolgate.sidecar.observe.SessionClients;
import dev.toolgate.sidecar.observe.RefusalReason;
import dev.toolgate.sidecar.observe.ToolCallMetrics;

import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.caller.CallerResolver;
import dev.toolgate.sidecar.caller.SessionOwners;
import dev.toolgate.sidecar.mcp.McpMethods;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.netty.buffer.ByteBuf;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Sends an inspected request to the MCP server and relays the answer: server-sent events one event at a time (each
 * written, and so flushed, on its own), JSON bodies whole once read. Every server message on every stream (POST answers,
 * GET and resumed streams) goes through {@link ServerMessageInspector} first; what cannot be inspected is not relayed.
 * Failures and stalls become JSON-RPC errors; a client that goes away cancels the upstream request.
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
    /** {@link #REQUEST_DROP} plus what the caller step consumed (credentials, a claimed identity, the forward headers). */
    private final Set<String> requestDrop;
    private final java.util.Optional<String> forwardHeader;
    private final SessionOwners sessions;
    private final java.util.Optional<String> forwardGroupsHeader;

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
    private final SessionClients sessionClients;
    private final String host;
    private final int port;
    private final String basePath;
    private final String authority;

    @Inject
    public UpstreamForwarder(Vertx vertx, SidecarConfig config, PolicyHolder policies, ToolCallMetrics metrics, AuditLog audit,
            LegacySseSessions legacy, CallerResolver resolver, SessionOwners sessions, SessionClients sessionClients) {
        this.config = config;
        this.sessions = sessions;
        this.sessionClients = sessionClients;
        Set<String> drop = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        drop.addAll(REQUEST_DROP);
        drop.addAll(resolver.consumedHeaders());
        // The forward headers carry only what the sidecar verified: a client's copy never passes, whatever the source.
        config.identity().forwardHeader().ifPresent(drop::add);
        config.identity().forwardGroupsHeader().ifPresent(drop::add);
        this.requestDrop = java.util.Collections.unmodifiableSet(drop);
        this.forwardHeader = config.identity().forwardHeader();
        this.forwardGroupsHeader = config.identity().forwardGroupsHeader();
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

    /** Per-request state for the relay. Used on the exchange's event loop only. */
    private final class Exchange {
        final RoutingContext ctx;
        final ParsedBody body;
        final List<CallDecision> allowed;
        final Caller caller;
        /** The policy the request was decided under, for its answers; null for a GET event stream, which follows reloads. */
        final PolicyHolder.State decidedUnder;
        final String session;
        final RequestFacts facts;
        /** Requests of the body not answered yet, keyed by id value ({@link JsonRpcIds}), with the id as the client spelt it. */
        final Map<Object, JsonNode> pending = new LinkedHashMap<>();
        final long start = System.nanoTime();
        final Runnable onFinish;
        /** Silence limit while the response is read; null on GET event streams, which are long-lived by design. */
        IdleTimer idle;
        int status;
        boolean finished;
        /** A failure or refusal has been answered; whatever the server does after that changes nothing. */
        boolean settled;
        /** A server message of unknown id was refused: it may have been an answer, so what is left unanswered gets errors. */
        boolean lostUnknownMessage;

        Exchange(RoutingContext ctx, ParsedBody body, List<CallDecision> allowed, Caller caller, String session, PolicyHolder.State decidedUnder,
                RequestFacts facts, Runnable onFinish) {
            this.ctx = ctx;
            this.facts = facts == null ? RequestFacts.NONE : facts;
            this.onFinish = onFinish;
            this.body = body;
            this.allowed = allowed;
            this.caller = caller;
            this.decidedUnder = decidedUnder;
            this.session = session;
            if (body != null) {
                for (JsonRpcMessage m : body.messages()) {
                    if (m.isRequest()) {
                        pending.put(JsonRpcIds.key(m.id()), m.id());
                    }
                }
            }
        }

        void answered(List<JsonNode> ids) {
            for (JsonNode id : ids) {
                pending.remove(JsonRpcIds.key(id));
            }
        }

        void activity() {
            if (idle != null) {
                idle.activity();
            }
        }

        /** Records allowed calls once, when the exchange ends however it ends. */
        void finish(int upstreamStatus) {
            if (idle != null) {
                idle.stop();
            }
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
                audit.record(call, caller.subject(), session, new AuditLog.Outcome(upstreamStatus, nanos / 1_000_000), facts);
            }
        }
    }

    /** @param onFinish run once when the exchange ends, however it ends (ProxyRoute gives back the body's buffer budget) */
    /** The verified subject (and groups) in the operator's headers; a caller nobody verified passes none (the client's copies were dropped). */
    private void passVerifiedIdentity(Caller caller, io.vertx.core.MultiMap headers) {
        if (caller == null || (caller.source() != Caller.Source.JWT && caller.source() != Caller.Source.SERVICE_ACCOUNT)) {
            return;
        }
        forwardHeader.ifPresent(name -> headers.set(name, caller.subject()));
        forwardGroupsHeader.ifPresent(name -> headers.set(name, String.join(",", new java.util.TreeSet<>(caller.groups()))));
    }

    public void forward(RoutingContext ctx, byte[] bytes, ParsedBody body, List<CallDecision> allowed, Caller caller, String session,
            PolicyHolder.State decidedUnder, RequestFacts facts,
            Runnable onFinish) {
        Exchange exchange = new Exchange(ctx, body, allowed, caller, session, decidedUnder, facts, onFinish);
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
            HopByHopHeaders.copy(request.headers(), upstream.headers(), requestDrop);
            upstream.putHeader(HttpHeaders.HOST, authority);
            passVerifiedIdentity(exchange.caller, upstream.headers());
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
        boolean hasBody = hasBody(exchange, upstream);
        String problem = hasBody ? ResponseHeaders.problem(upstream.headers()) : null;
        if (problem != null) {
            refuseAnswer(exchange, problem);
            upstream.exceptionHandler(ignored -> {
                // the reset below is ours: nothing left to answer
            });
            upstream.request().reset();
            return;
        }
        if (exchange.ctx.request().method() != HttpMethod.GET && !config.upstreamIdleTimeout().isZero()) {
            exchange.idle = new IdleTimer(vertx, config.upstreamIdleTimeout(), () -> stalled(exchange, upstream));
            exchange.idle.start();
        }
        ResponseHeaders.Kind kind = ResponseHeaders.kind(upstream.getHeader(HttpHeaders.CONTENT_TYPE));
        response.setStatusCode(upstream.statusCode());
        if (upstream.statusMessage() != null) {
            response.setStatusMessage(upstream.statusMessage());
        }
        HopByHopHeaders.copy(upstream.headers(), response.headers(), RESPONSE_DROP);
        sessions.created(upstream.getHeader(McpMethods.SESSION_ID_HEADER), exchange.caller);
        sessionClients.created(upstream.getHeader(McpMethods.SESSION_ID_HEADER), exchange.body);
        if (kind == ResponseHeaders.Kind.EVENT_STREAM) {
            streamEvents(exchange, upstream);
        } else if (hasBody) {
            relayBody(exchange, upstream, kind == ResponseHeaders.Kind.JSON);
        } else {
            passThrough(exchange, upstream);
        }
    }

    /** The server went silent mid-answer for the idle timeout. */
    private void stalled(Exchange exchange, HttpClientResponse upstream) {
        failAfterResponse(exchange, new TimeoutException("the MCP server sent nothing for " + config.upstreamIdleTimeout().toMillis() + " ms"));
        upstream.request().reset();
    }

    /** A response without a body (HEAD, 204, 304, 1xx): the headers are all there is. */
    private void passThrough(Exchange exchange, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.ctx.response();
        String length = upstream.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
        }
        upstream.handler(chunk -> exchange.activity());
        upstream.exceptionHandler(e -> failAfterResponse(exchange, e));
        upstream.endHandler(v -> {
            response.end();
            exchange.finish(upstream.statusCode());
        });
    }

    /**
     * A body other than an event stream. A JSON one is collected (bounded), inspected and relayed whole: it can carry
     * a tools/list result whatever was asked (a batch answer, an id spelt differently). So is any other body whose first
     * significant byte could start JSON, since a careless client may parse a body whatever its type; a body that cannot
     * be JSON (HTML, plain text, binary starting with an ASCII byte) streams through as it comes.
     */
    private void relayBody(Exchange exchange, HttpClientResponse upstream, boolean json) {
        HttpServerResponse response = exchange.ctx.response();
        int max = config.maxFilteredResponseBytes();
        Buffer collected = Buffer.buffer();
        boolean[] undecided = {!json};
        boolean[] streaming = {false};
        upstream.handler(chunk -> {
            exchange.activity();
            if (exchange.settled) {
                return;
            }
            if (streaming[0]) {
                write(exchange, response, upstream, chunk);
                return;
            }
            if (collected.length() + chunk.length() > max) {
                refuseAnswer(exchange, "answer larger than " + max + " bytes (toolgate.max-filtered-response-bytes)");
                upstream.request().reset();
                return;
            }
            collected.appendBuffer(chunk);
            if (undecided[0]) {
                int first = firstSignificantByte(collected);
                if (first >= 0) {
                    undecided[0] = false;
                    if (first < 0x80 && first != '{' && first != '[') {
                        streaming[0] = true;
                        String length = upstream.getHeader(HttpHeaders.CONTENT_LENGTH);
                        if (length != null) {
                            response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
                        } else {
                            response.setChunked(true);
                        }
                        write(exchange, response, upstream, collected);
                    }
                }
            }
        });
        upstream.exceptionHandler(e -> failAfterResponse(exchange, e));
        upstream.endHandler(v -> {
            if (exchange.settled) {
                return;
            }
            if (streaming[0]) {
                response.end();
            } else {
                relayInspected(exchange, collected);
            }
            exchange.finish(upstream.statusCode());
        });
    }

    /** The first byte that is not ASCII whitespace or a control character, or -1 when there is none yet. */
    private static int firstSignificantByte(Buffer buffer) {
        for (int i = 0; i < buffer.length(); i++) {
            int b = buffer.getByte(i) & 0xff;
            if (b > 0x20) {
                return b;
            }
        }
        return -1;
    }

    private void relayInspected(Exchange exchange, Buffer collected) {
        // Read in place when the buffer is a heap array (it is for what Vert.x reads): a large answer is not copied.
        ByteBuf view = collected.getByteBuf();
        byte[] bytes = view.hasArray() ? view.array() : collected.getBytes();
        int offset = view.hasArray() ? view.arrayOffset() + view.readerIndex() : 0;
        int end = offset + collected.length();
        // One leading byte order mark is dropped, as clients' UTF-8 decoders drop it; the client gets the body without.
        boolean bom = collected.length() >= 3 && (bytes[offset] & 0xff) == 0xEF && (bytes[offset + 1] & 0xff) == 0xBB
                && (bytes[offset + 2] & 0xff) == 0xBF;
        ServerMessageInspector.Result result = ServerMessageInspector.inspect(bytes, bom ? offset + 3 : offset, end,
                policyFor(exchange), exchange.caller, metrics.labels());
        Buffer out;
        switch (result.outcome()) {
            case REFUSED -> {
                refuseAnswer(exchange, result.problem());
                return;
            }
            case REWRITTEN -> out = Buffer.buffer(DenialResponses.bytes(result.message()));
            default -> out = bom ? collected.slice(3, collected.length()) : collected;
        }
        exchange.answered(result.answeredIds());
        exchange.ctx.response().putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(out.length())).end(out);
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
        // The stream has started: the client learns it now, not with the first event (which may be long in coming).
        response.writeHead();
        upstream.handler(chunk -> {
            exchange.activity();
            if (exchange.settled) {
                return;
            }
            List<SseEvent> events;
            try {
                events = parser.feed(chunk.getBytes());
            } catch (IllegalStateException tooBig) {
                unregister.run();
                refuseAnswer(exchange, tooBig.getMessage() + " (toolgate.max-filtered-response-bytes)");
                upstream.request().reset();
                return;
            }
            for (SseEvent event : events) {
                byte[] out = event.raw();
                if (eventStreamRequest && "endpoint".equals(event.event()) && event.data() != null) {
                    String key = LegacySseSessions.endpointKey(originForm(request), event.data());
                    if (key != null) {
                        unregister.run();
                        registered[0] = key;
                        sessions.created(legacy.register(key, stream), exchange.caller);
                        out = event.withData(key); // a relative endpoint keeps the client posting through the sidecar
                    }
                } else {
                    out = relayEvent(exchange, event);
                }
                if (out != null) {
                    response.write(Buffer.buffer(out));
                }
            }
            if (response.writeQueueFull()) {
                holdBack(exchange, response, upstream);
            }
        });
        upstream.exceptionHandler(e -> {
            unregister.run();
            failAfterResponse(exchange, e);
        });
        upstream.endHandler(v -> {
            unregister.run();
            if (exchange.settled) {
                return;
            }
            for (SseEvent event : parser.finish()) {
                byte[] out = relayEvent(exchange, event);
                if (out != null) {
                    response.write(Buffer.buffer(out));
                }
            }
            if (parser.remainderEvent().carriesData()) {
                // Clients do not dispatch an event the stream ended in the middle of; a lenient one might.
                recordRefusal(exchange, "server-sent event cut off by the end of the stream");
                exchange.lostUnknownMessage = true;
            }
            if (exchange.lostUnknownMessage) {
                for (JsonNode id : exchange.pending.values()) {
                    response.write(Buffer.buffer(SseEventParser.messageEvent(
                            DenialResponses.upstreamRefused(id, "a message of the stream could not be inspected").toString())));
                }
                exchange.pending.clear();
            }
            response.end();
            exchange.finish(upstream.statusCode());
        });
    }

    /**
     * What the client gets of one server-sent event: the event as the sidecar read it, with hidden tools removed from
     * any tools/list result in it; null when it was refused (then any request it visibly answered gets an error event).
     */
    private byte[] relayEvent(Exchange exchange, SseEvent event) {
        if (!event.wellFormed()) {
            refuseEvent(exchange, "server-sent event is not valid UTF-8",
                    event.data() == null ? List.of() : ServerMessageInspector.idsOf(event.data()));
            return null;
        }
        if (!event.carriesData()) {
            return event.canonical(); // comments, priming events (id, retry): nothing a client reads as a message
        }
        ServerMessageInspector.Result result = ServerMessageInspector.inspect(event.data(), policyFor(exchange), exchange.caller, metrics.labels());
        if (result.outcome() == ServerMessageInspector.Outcome.REFUSED) {
            refuseEvent(exchange, result.problem(), result.answeredIds());
            return null;
        }
        exchange.answered(result.answeredIds());
        return result.outcome() == ServerMessageInspector.Outcome.REWRITTEN ? event.withData(result.message().toString()) : event.canonical();
    }

    /** Drops an event; the pending requests it was seen to answer get an error event instead. */
    private void refuseEvent(Exchange exchange, String detail, List<JsonNode> answeredIds) {
        recordRefusal(exchange, detail);
        if (answeredIds.isEmpty()) {
            exchange.lostUnknownMessage = true;
        }
        for (JsonNode answered : answeredIds) {
            JsonNode id = exchange.pending.remove(JsonRpcIds.key(answered));
            if (id != null) {
                exchange.ctx.response().write(Buffer.buffer(SseEventParser.messageEvent(DenialResponses.upstreamRefused(id, detail).toString())));
            }
        }
    }

    /** The policy a server message is inspected under: the request's, or for a GET event stream the one in force. */
    private dev.toolgate.policy.Policy policyFor(Exchange exchange) {
        return (exchange.decidedUnder != null ? exchange.decidedUnder : policies.state()).policy();
    }

    /** Audit line and metric for a server message that was not relayed. */
    private void recordRefusal(Exchange exchange, String detail) {
        metrics.refused(RefusalReason.UPSTREAM_MESSAGE);
        HttpServerRequest request = exchange.ctx.request();
        audit.refused(RefusalReason.UPSTREAM_MESSAGE, detail, exchange.caller.subject(), exchange.session, request.method().name(), request.path(),
                exchange.facts);
        Log.debugf("MCP server message not relayed: %s", detail);
    }

    /**
     * The whole answer cannot be relayed: before the headers went out the client gets a 502 with an error per pending
     * request; on an event stream an error event per pending request, then the end; otherwise a reset connection.
     */
    private void refuseAnswer(Exchange exchange, String detail) {
        if (exchange.settled) {
            return;
        }
        recordRefusal(exchange, detail);
        HttpServerResponse response = settle(exchange);
        if (response == null) {
            return;
        }
        if (!response.headWritten()) {
            response.headers().clear();
            JsonNode payload = errorsForPending(exchange, id -> DenialResponses.upstreamRefused(id, detail));
            response.setStatusCode(502)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(Buffer.buffer(DenialResponses.bytes(payload)));
        } else if (isEventStream(response)) {
            for (JsonNode id : exchange.pending.values()) {
                response.write(Buffer.buffer(SseEventParser.messageEvent(DenialResponses.upstreamRefused(id, detail).toString())));
            }
            response.end();
        } else {
            response.reset();
        }
    }

    private void write(Exchange exchange, HttpServerResponse response, HttpClientResponse upstream, Buffer chunk) {
        response.write(chunk);
        if (response.writeQueueFull()) {
            holdBack(exchange, response, upstream);
        }
    }

    /** Stops reading from the server until the client has taken what is queued (its silence meanwhile is ours). */
    private static void holdBack(Exchange exchange, HttpServerResponse response, HttpClientResponse upstream) {
        upstream.pause();
        if (exchange.idle != null) {
            exchange.idle.pause();
        }
        response.drainHandler(v -> {
            if (exchange.idle != null) {
                exchange.idle.resume();
            }
            upstream.resume();
        });
    }

    private static boolean hasBody(Exchange exchange, HttpClientResponse upstream) {
        int status = upstream.statusCode();
        return exchange.ctx.request().method() != HttpMethod.HEAD && status != 204 && status != 304 && status >= 200;
    }

    public static String failureKind(Throwable failure) {
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
        JsonNode payload = errorsForPending(exchange, id -> DenialResponses.upstreamError(id, kind, String.valueOf(failure.getMessage())));
        response.headers().clear(); // the server's headers may have been copied for a body that never completed
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
        if (isEventStream(response)) {
            for (JsonNode id : exchange.pending.values()) {
                response.write(Buffer.buffer(SseEventParser.messageEvent(
                        DenialResponses.upstreamError(id, kind, String.valueOf(failure.getMessage())).toString())));
            }
            response.end();
        } else {
            response.reset();
        }
    }

    private static boolean isEventStream(HttpServerResponse response) {
        return String.valueOf(response.headers().get(HttpHeaders.CONTENT_TYPE)).toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }

    /** Counts the upstream failure (once per exchange) and closes it; the client's response, or null when there is nothing left to answer. */
    private HttpServerResponse settleFailure(Exchange exchange, String kind) {
        if (exchange.settled) {
            return null;
        }
        metrics.upstreamError(kind);
        return settle(exchange);
    }

    /** Marks the exchange answered-for and closes it; the client's response, or null when the client is gone or answered. */
    private static HttpServerResponse settle(Exchange exchange) {
        boolean first = !exchange.settled;
        exchange.settled = true;
        exchange.finish(0);
        HttpServerResponse response = exchange.ctx.response();
        return !first || response.ended() || response.closed() ? null : response;
    }

    /** One error per pending request (a batch gets an array), or one with a null id when nothing is pending. */
    private static JsonNode errorsForPending(Exchange exchange, java.util.function.Function<JsonNode, JsonNode> error) {
        if (exchange.body != null && exchange.body.batch() && !exchange.pending.isEmpty()) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            exchange.pending.values().forEach(id -> array.add(error.apply(id)));
            return array;
        }
        JsonNode id = exchange.pending.isEmpty() ? null : exchange.pending.values().iterator().next();
        return error.apply(id);
    }

}
