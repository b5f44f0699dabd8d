package dev.toolgate.sidecar.upstream;

import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

import dev.toolgate.sidecar.enforce.DenialResponses;
import dev.toolgate.sidecar.mcp.JsonRpcIds;
import dev.toolgate.sidecar.mcp.SseEventParser;
import dev.toolgate.sidecar.observe.AuditLog;
import dev.toolgate.sidecar.observe.RefusalReason;
import dev.toolgate.sidecar.observe.ToolCallMetrics;
import io.quarkus.logging.Log;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * What the client gets when the server's answer is not relayed, because it failed or could not be inspected: JSON-RPC
 * errors for the requests still pending, in the form the response has reached (a 502/504 body before the head went out,
 * error events on an event stream, otherwise a reset connection). Every such answer is counted, and refusals audited.
 */
@Singleton
class UnrelayedAnswers {
    private final ToolCallMetrics metrics;
    private final AuditLog audit;

    @Inject
    UnrelayedAnswers(ToolCallMetrics metrics, AuditLog audit) {
        this.metrics = metrics;
        this.audit = audit;
    }

    /** Audit line and metric for a server message that was not relayed. */
    void recordRefusal(RelayExchange exchange, String detail) {
        metrics.refused(RefusalReason.UPSTREAM_MESSAGE);
        HttpServerRequest request = exchange.ctx.request();
        audit.refused(RefusalReason.UPSTREAM_MESSAGE, detail, exchange.caller.subject(), exchange.session, request.method().name(),
                request.path(), exchange.facts);
        Log.debugf("MCP server message not relayed: %s", detail);
    }

    /** The whole answer cannot be relayed (it cannot be inspected). */
    void refuseAnswer(RelayExchange exchange, String detail) {
        if (exchange.settled) {
            return;
        }
        recordRefusal(exchange, detail);
        HttpServerResponse response = exchange.settle();
        if (response == null) {
            return;
        }
        if (!response.headWritten()) {
            response.headers().clear();
            JsonNode payload = exchange.errorsForPending(id -> DenialResponses.upstreamRefused(id, detail));
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

    /** One event of a stream is dropped; the pending requests it was seen to answer get an error event instead. */
    void refuseEvent(RelayExchange exchange, String detail, List<JsonNode> answeredIds) {
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

    /** The server never answered: the client gets JSON-RPC errors with a 502 (504 on timeout). */
    void failBeforeResponse(RelayExchange exchange, Throwable cause) {
        UpstreamFailure failure = UpstreamFailure.of(cause);
        HttpServerResponse response = settleFailure(exchange, failure);
        if (response == null) {
            return;
        }
        Log.warnf("MCP server request failed (%s): %s", failure.kind().label(), failure.detail());
        if (response.headWritten()) {
            // a held call's event stream (hold mode): one error event per pending request
            for (JsonNode id : exchange.pending.values()) {
                response.write(Buffer.buffer(SseEventParser.messageEvent(
                        DenialResponses.upstreamError(id, failure.kind().label(), failure.detail()).toString())));
            }
            response.end();
            return;
        }
        JsonNode payload = exchange.errorsForPending(id -> DenialResponses.upstreamError(id, failure.kind().label(), failure.detail()));
        response.headers().clear(); // the server's headers may have been copied for a body that never completed
        response.setStatusCode(failure.httpStatus())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(Buffer.buffer(DenialResponses.bytes(payload)));
    }

    /** The server failed mid-answer: SSE clients get an error event per unanswered request; others a reset connection. */
    void failAfterResponse(RelayExchange exchange, Throwable cause) {
        if (!exchange.ctx.response().headWritten()) {
            failBeforeResponse(exchange, cause);
            return;
        }
        UpstreamFailure failure = UpstreamFailure.of(cause);
        HttpServerResponse response = settleFailure(exchange, failure);
        if (response == null) {
            return;
        }
        Log.warnf("MCP server response broke off (%s): %s", failure.kind().label(), failure.detail());
        if (isEventStream(response)) {
            for (JsonNode id : exchange.pending.values()) {
                response.write(Buffer.buffer(SseEventParser.messageEvent(
                        DenialResponses.upstreamError(id, failure.kind().label(), failure.detail()).toString())));
            }
            response.end();
        } else {
            response.reset();
        }
    }

    /** Counts the upstream failure (once per exchange) and settles it; the client's response, or null when nothing is left to answer. */
    private HttpServerResponse settleFailure(RelayExchange exchange, UpstreamFailure failure) {
        if (exchange.settled) {
            return null;
        }
        metrics.upstreamError(failure.kind().label());
        return exchange.settle();
    }

    static boolean isEventStream(HttpServerResponse response) {
        return String.valueOf(response.headers().get(HttpHeaders.CONTENT_TYPE)).toLowerCase(Locale.ROOT).startsWith("text/event-stream");
    }
}
