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

import java.util.List;
import java.util.Locale;

/**
 * The only route on the proxy port: every method and path. Reads the whole body (bounded) before anything goes
 * upstream, refuses what cannot be inspected, decides every tools/call, then either answers itself or hands exactly the
 * evaluated bytes to {@link UpstreamForwarder}.
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

    void install(@Observes Router router) {
        router.route().handler(this::handle);
    }

    void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (request.method() == HttpMethod.CONNECT) {
            refuse(ctx, 405, ErrorCodes.INVALID_REQUEST, "CONNECT is not supported by this proxy");
            return;
        }
        if (request.headers().contains(HttpHeaders.UPGRADE) || request.headers().contains("HTTP2-Settings")) {
            refuse(ctx, 400, ErrorCodes.INVALID_REQUEST,
                    "protocol upgrade refused (" + request.getHeader(HttpHeaders.UPGRADE) + "): only HTTP/1.1 is proxied, so every body can be inspected");
            return;
        }
        for (String encoding : tokens(request.headers().getAll(HttpHeaders.CONTENT_ENCODING))) {
            if (!encoding.equals("identity")) {
                refuse(ctx, 415, ErrorCodes.INVALID_REQUEST,
                        "Content-Encoding \"" + encoding + "\" not accepted: send the body uncompressed so it can be inspected");
                return;
            }
        }
        for (String coding : tokens(request.headers().getAll(HttpHeaders.TRANSFER_ENCODING))) {
            if (!coding.equals("chunked")) {
                refuse(ctx, 501, ErrorCodes.INVALID_REQUEST, "Transfer-Encoding \"" + coding + "\" not supported");
                return;
            }
        }
        String charset = charsetOf(request.getHeader(HttpHeaders.CONTENT_TYPE));
        if (charset != null && !charset.equals("utf-8") && !charset.equals("utf8")) {
            refuse(ctx, 415, ErrorCodes.INVALID_REQUEST, "charset \"" + charset + "\" not accepted: JSON-RPC bodies must be UTF-8");
            return;
        }
        int max = config.maxBodyBytes();
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        long declaredLength = -1;
        if (declared != null) {
            try {
                declaredLength = Long.parseLong(declared.trim());
                if (declaredLength > max) {
                    tooLarge(ctx, max);
                    return;
                }
            } catch (NumberFormatException e) {
                refuse(ctx, 400, ErrorCodes.INVALID_REQUEST, "invalid Content-Length");
                return;
            }
        }
        // Sized up front when the length is declared (and bounded above), so the body is not regrown while it arrives.
        Buffer body = declaredLength > 0 ? Buffer.buffer((int) declaredLength) : Buffer.buffer();
        boolean[] overflow = {false};
        request.handler(chunk -> {
            if (overflow[0]) {
                return;
            }
            if (body.length() + chunk.length() > max) {
                overflow[0] = true;
                tooLarge(ctx, max);
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(e -> Log.debugf("client request failed while reading its body: %s", e));
        request.endHandler(v -> {
            if (!overflow[0]) {
                onBody(ctx, body.getBytes());
            }
        });
        request.resume();
    }

    private void onBody(RoutingContext ctx, byte[] bytes) {
        try {
            decide(ctx, bytes);
        } catch (Throwable t) {
            // Never leave a client hanging, and never forward on an internal fault.
            Log.error("Request handling failed; answered 500 without forwarding", t);
            refuse(ctx, 500, ErrorCodes.INTERNAL_ERROR, "Toolgate internal error; the request was not forwarded", null);
        }
    }

    private void decide(RoutingContext ctx, byte[] bytes) {
        HttpServerRequest request = ctx.request();
        String uri = UpstreamForwarder.originForm(request);
        LegacySseSessions.Stream legacyStream = request.method() == HttpMethod.POST ? legacy.find(uri) : null;
        ParsedBody parsed = null;
        EnforcementFilter.Inspection inspection = new EnforcementFilter.Inspection(List.of());
        String identity = config.identity().header().map(request::getHeader).orElse(null);
        String session = request.getHeader(McpMethods.SESSION_ID_HEADER);
        if (session == null && legacyStream != null) {
            session = uri; // the legacy transport's session lives in the endpoint's query
        }
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
            refuse(ctx, 400, rejection.code(), rejection.getMessage(), rejection.id());
            return;
        }
        for (CallDecision call : inspection.decisions()) {
            metrics.decided(call.tool(), call.decision().verdict());
            if (!call.allowed()) {
                audit.record(call, identity, session, AuditLog.Outcome.NOT_FORWARDED);
            }
        }
        if (inspection.forward()) {
            if (legacyStream != null && parsed != null) {
                parsed.messages().stream().filter(JsonRpcMessage::isToolsList).forEach(m -> legacyStream.toolsListIds().add(m.id()));
            }
            forwarder.forward(ctx, bytes, parsed, inspection.allowed(), identity, session);
            return;
        }
        // Batches are all-or-nothing: nothing of a body with a refused call reaches the server.
        List<ObjectNode> answers = DenialResponses.forRefusedBody(parsed, inspection.decisions());
        for (CallDecision held : inspection.allowed()) {
            audit.record(held, identity, session, AuditLog.Outcome.NOT_FORWARDED);
        }
        HttpServerResponse response = ctx.response();
        long retryAfter = inspection.maxRetryAfterSeconds();
        if (retryAfter > 0) {
            response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
        }
        if (legacyStream != null) {
            // Legacy HTTP+SSE clients wait for answers on their event stream, not on the POST.
            answers.forEach(answer -> legacyStream.send(SseEventParser.messageEvent(answer.toString())));
            response.setStatusCode(202).end("Accepted");
            return;
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
    }

    private void tooLarge(RoutingContext ctx, int max) {
        refuse(ctx, 413, ErrorCodes.INVALID_REQUEST, "request body larger than " + max + " bytes");
    }

    private static void refuse(RoutingContext ctx, int status, int code, String message) {
        refuse(ctx, status, code, message, null);
    }

    static void refuse(RoutingContext ctx, int status, int code, String message, JsonNode id) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.headWritten()) {
            return;
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
    }

    private static final long DRAIN_GRACE_MILLIS = 5000;

    private static List<String> tokens(List<String> headerValues) {
        if (headerValues.isEmpty()) {
            return List.of(); // the usual case: no stream pipeline per request
        }
        return headerValues.stream().flatMap(v -> java.util.Arrays.stream(v.split(",")))
                .map(t -> t.trim().toLowerCase(Locale.ROOT)).filter(t -> !t.isEmpty()).toList();
    }

    static String charsetOf(String contentType) {
        if (contentType == null) {
            return null;
        }
        for (String param : contentType.split(";")) {
            String p = param.trim();
            if (p.regionMatches(true, 0, "charset=", 0, 8)) {
                return p.substring(8).trim().replace("\"", "").toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }
}
