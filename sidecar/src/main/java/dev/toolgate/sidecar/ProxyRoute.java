package dev.toolgate.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.logging.Log;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The only route on the proxy port: every method and path. Reads the whole body (bounded per request and across all
 * requests) before anything goes upstream, refuses what cannot be inspected, decides every tools/call, then either
 * answers itself or hands the evaluated messages, written afresh from the parsed tree ({@link ForwardedBody}), to
 * {@link UpstreamForwarder}. Every refusal is audited and counted by {@link RefusalReason}.
 */
@Singleton // no client proxy: these run on every request
public class ProxyRoute {

    @Inject
    SidecarConfig config;
    @Inject
    PolicyHolder policies;
    @Inject
    ToolCallMetrics metrics;
    @Inject
    AuditLog audit;
    @Inject
    LegacySseSessions legacy;
    @Inject
    UpstreamForwarder forwarder;
    @Inject
    BufferBudget budget;

    void install(@Observes Router router) {
        router.route().handler(this::handle);
    }

    void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String headerSession = request.getHeader(McpMethods.SESSION_ID_HEADER);
        if (request.method() == HttpMethod.CONNECT) {
            refuse(ctx, RefusalReason.PROTOCOL, 405, ErrorCodes.INVALID_REQUEST, "CONNECT is not supported by this proxy", null, headerSession);
            return;
        }
        if (request.headers().contains(HttpHeaders.UPGRADE) || request.headers().contains("HTTP2-Settings")) {
            refuse(ctx, RefusalReason.PROTOCOL, 400, ErrorCodes.INVALID_REQUEST,
                    "protocol upgrade refused (" + request.getHeader(HttpHeaders.UPGRADE) + "): only HTTP/1.1 is proxied, so every body can be inspected",
                    null, headerSession);
            return;
        }
        for (String encoding : tokens(request.headers().getAll(HttpHeaders.CONTENT_ENCODING))) {
            if (!encoding.equals("identity")) {
                refuse(ctx, RefusalReason.MEDIA_TYPE, 415, ErrorCodes.INVALID_REQUEST,
                        "Content-Encoding \"" + encoding + "\" not accepted: send the body uncompressed so it can be inspected", null, headerSession);
                return;
            }
        }
        for (String coding : tokens(request.headers().getAll(HttpHeaders.TRANSFER_ENCODING))) {
            if (!coding.equals("chunked")) {
                refuse(ctx, RefusalReason.PROTOCOL, 501, ErrorCodes.INVALID_REQUEST, "Transfer-Encoding \"" + coding + "\" not supported", null, headerSession);
                return;
            }
        }
        String mediaTypeProblem = MediaType.problem(request.headers().getAll(HttpHeaders.CONTENT_TYPE));
        if (mediaTypeProblem != null) {
            refuse(ctx, RefusalReason.MEDIA_TYPE, 415, ErrorCodes.INVALID_REQUEST, mediaTypeProblem, null, headerSession);
            return;
        }
        int max = config.maxBodyBytes();
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > max) {
                    tooLarge(ctx, max, headerSession);
                    return;
                }
            } catch (NumberFormatException e) {
                refuse(ctx, RefusalReason.MALFORMED, 400, ErrorCodes.INVALID_REQUEST, "invalid Content-Length", null, headerSession);
                return;
            }
        }
        LegacySseSessions.Route route = legacy.route(request.method(), path(request), request.query());
        if (route instanceof LegacySseSessions.Refused refused) {
            refuse(ctx, RefusalReason.SESSION, refused.status(), ErrorCodes.INVALID_REQUEST, "Toolgate: " + refused.why(), null, headerSession);
            return;
        }
        readBody(ctx, route, headerSession);
    }

    /**
     * Collects the body as it arrives, never sized from Content-Length (a declared length costs the client nothing),
     * each chunk reserved from the shared {@link BufferBudget} first. The reservation is given back when the sidecar is
     * done with the body: after answering it, or when the forwarded exchange ends ({@link UpstreamForwarder}).
     */
    private void readBody(RoutingContext ctx, LegacySseSessions.Route route, String headerSession) {
        HttpServerRequest request = ctx.request();
        int max = config.maxBodyBytes();
        BufferBudget.Reservation held = budget.reservation();
        List<Buffer> chunks = new ArrayList<>(1);
        int[] size = {0};
        boolean[] stopped = {false};
        Runnable drop = () -> {
            stopped[0] = true;
            chunks.clear();
            held.release();
        };
        // The client may go away mid-body; once forwarded, UpstreamForwarder takes this handler over.
        ctx.response().closeHandler(v -> drop.run());
        request.handler(chunk -> {
            if (stopped[0]) {
                return;
            }
            if (size[0] + chunk.length() > max) {
                drop.run();
                tooLarge(ctx, max, headerSession);
                return;
            }
            if (!held.grow(chunk.length())) {
                drop.run();
                overloaded(ctx, headerSession);
                return;
            }
            chunks.add(chunk);
            size[0] += chunk.length();
        });
        request.exceptionHandler(e -> {
            drop.run();
            Log.debugf("client request failed while reading its body: %s", e);
        });
        request.endHandler(v -> {
            if (!stopped[0]) {
                byte[] bytes = concat(chunks, size[0]);
                chunks.clear();
                onBody(ctx, bytes, route, held);
            }
        });
        request.resume();
    }

    private static byte[] concat(List<Buffer> chunks, int size) {
        if (chunks.size() == 1) {
            return chunks.get(0).getBytes();
        }
        byte[] bytes = new byte[size];
        int at = 0;
        for (Buffer chunk : chunks) {
            chunk.getBytes(bytes, at);
            at += chunk.length();
        }
        return bytes;
    }

    private void onBody(RoutingContext ctx, byte[] bytes, LegacySseSessions.Route route, BufferBudget.Reservation held) {
        boolean forwarded = false;
        try {
            forwarded = decide(ctx, bytes, route, held);
        } catch (Throwable t) {
            // Never leave a client hanging, and never forward on an internal fault.
            Log.error("Request handling failed; answered 500 without forwarding", t);
            refuse(ctx, RefusalReason.INTERNAL_ERROR, 500, ErrorCodes.INTERNAL_ERROR, "Toolgate internal error; the request was not forwarded", null,
                    ctx.request().getHeader(McpMethods.SESSION_ID_HEADER));
        } finally {
            if (!forwarded) {
                held.release();
            }
        }
    }

    /** Decides the body and answers or forwards it; true when it was handed to the forwarder (which then releases {@code held}). */
    private boolean decide(RoutingContext ctx, byte[] bytes, LegacySseSessions.Route route, BufferBudget.Reservation held) {
        HttpServerRequest request = ctx.request();
        LegacySseSessions.Stream legacyStream = null;
        String session = request.getHeader(McpMethods.SESSION_ID_HEADER);
        if (route instanceof LegacySseSessions.Legacy message) {
            // The legacy server knows its session only from the endpoint; a Mcp-Session-Id header means nothing to it.
            session = message.session();
            legacyStream = request.method() == HttpMethod.POST ? message.stream() : null;
        }
        ParsedBody parsed = null;
        EnforcementFilter.Inspection inspection = new EnforcementFilter.Inspection(List.of());
        String identity = identity(request);
        try {
            if (bytes.length > 0) {
                parsed = JsonRpcParser.parse(bytes);
            }
            McpHeaderCheck.check(request.headers().getAll(McpMethods.METHOD_HEADER), request.headers().getAll(McpMethods.NAME_HEADER), parsed);
            if (parsed != null) {
                PolicyHolder.State state = policies.state();
                inspection = EnforcementFilter.inspect(parsed, state.policy(), state.problem(), identity, session);
            }
        } catch (JsonRpcRejection rejection) {
            refuse(ctx, RefusalReason.MALFORMED, 400, rejection.code(), rejection.getMessage(), rejection.id(), session);
            return false;
        }
        for (CallDecision call : inspection.decisions()) {
            metrics.decided(call.tool(), call.decision().verdict());
            if (!call.allowed()) {
                audit.record(call, identity, session, AuditLog.Outcome.NOT_FORWARDED);
            }
        }
        if (inspection.forward()) {
            // What the policy evaluated, written afresh: the server never parses the client's own spelling of it.
            byte[] forwarded = parsed == null ? bytes : ForwardedBody.bytes(parsed, bytes.length);
            forwarder.forward(ctx, forwarded, parsed, inspection.allowed(), identity, session, held::release);
            return true;
        }
        // Batches are all-or-nothing: nothing of a body with a refused call reaches the server.
        List<ObjectNode> answers = DenialResponses.forRefusedBody(parsed, inspection.decisions());
        for (CallDecision call : inspection.allowed()) {
            audit.record(call, identity, session, AuditLog.Outcome.NOT_FORWARDED);
        }
        HttpServerResponse response = ctx.response();
        long retryAfter = inspection.maxRetryAfterSeconds();
        if (retryAfter > 0) {
            response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
        }
        if (legacyStream != null) {
            // Legacy HTTP+SSE clients wait for answers on their event stream, not on the POST.
            LegacySseSessions.Stream stream = legacyStream;
            answers.forEach(answer -> stream.send(SseEventParser.messageEvent(answer.toString())));
            response.setStatusCode(202).end("Accepted");
            return false;
        }
        JsonNode payload;
        if (parsed.batch()) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            answers.forEach(array::add);
            payload = array;
        } else {
            payload = answers.get(0);
        }
        response.setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(DenialResponses.bytes(payload)));
        return false;
    }

    private String identity(HttpServerRequest request) {
        return config.identity().header().map(request::getHeader).orElse(null);
    }

    /** The raw path, as forwarded ({@link UpstreamForwarder#originForm}). */
    private static String path(HttpServerRequest request) {
        return request.path() == null || request.path().isEmpty() ? "/" : request.path();
    }

    private void tooLarge(RoutingContext ctx, int max, String session) {
        refuse(ctx, RefusalReason.TOO_LARGE, 413, ErrorCodes.INVALID_REQUEST, "request body larger than " + max + " bytes", null, session);
    }

    private void overloaded(RoutingContext ctx, String session) {
        if (!ctx.response().headWritten()) {
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(OVERLOADED_RETRY_AFTER_SECONDS));
        }
        refuse(ctx, RefusalReason.OVERLOADED, 503, ErrorCodes.OVERLOADED, "Toolgate: too many request bytes in flight (toolgate.max-buffered-bytes = "
                + budget.capacity() + "); retry after " + OVERLOADED_RETRY_AFTER_SECONDS + " s", null, session);
    }

    private static final long OVERLOADED_RETRY_AFTER_SECONDS = 1;

    /** Answers a request the sidecar will not forward, with its audit line and {@code toolgate_refused_total{reason}}. */
    private void refuse(RoutingContext ctx, RefusalReason reason, int status, int code, String message, JsonNode id, String session) {
        if (answer(ctx, status, code, message, id)) {
            HttpServerRequest request = ctx.request();
            metrics.refused(reason);
            audit.refused(reason, message, identity(request), session, request.method().name(), path(request));
        }
    }

    /** Writes a JSON-RPC error response (unless one was already written); false when nothing could be written. */
    static boolean answer(RoutingContext ctx, int status, int code, String message, JsonNode id) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.headWritten()) {
            return false;
        }
        HttpServerRequest request = ctx.request();
        if (!request.isEnded()) {
            // Drain (and drop) the rest of the body so the client can read our answer instead of a reset connection;
            // a client that keeps sending is cut off after a grace period.
            request.handler(ignored -> {
            });
            request.resume();
            long timer = ctx.vertx().setTimer(DRAIN_GRACE_MILLIS, t -> {
                if (!request.isEnded()) {
                    request.connection().close();
                }
            });
            request.endHandler(v -> ctx.vertx().cancelTimer(timer));
        }
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(DenialResponses.bytes(DenialResponses.protocolError(id, code, message))));
        return true;
    }

    private static final long DRAIN_GRACE_MILLIS = 5000;

    private static List<String> tokens(List<String> headerValues) {
        if (headerValues.isEmpty()) {
            return List.of(); // the usual case: no stream pipeline per request
        }
        return headerValues.stream().flatMap(v -> java.util.Arrays.stream(v.split(",")))
                .map(t -> t.trim().toLowerCase(Locale.ROOT)).filter(t -> !t.isEmpty()).toList();
    }
}
