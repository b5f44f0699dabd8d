package dev.toolgate.sidecar.upstream;

import java.util.Set;
import java.util.concurrent.TimeoutException;

import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.caller.SessionOwners;
import dev.toolgate.sidecar.enforce.DenialResponses;
import dev.toolgate.sidecar.enforce.ServerMessageInspector;
import dev.toolgate.sidecar.enforce.ToolDefinitions;
import dev.toolgate.sidecar.mcp.McpMethods;
import dev.toolgate.sidecar.mcp.SseEventParser;
import dev.toolgate.sidecar.observe.SessionClients;
import dev.toolgate.sidecar.observe.ToolCallMetrics;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * Relays the server's answer to the client: the head (status, headers, the session it opened), then the body by its
 * kind. An event stream goes to {@link EventStreamRelay}; a JSON body is collected (bounded), inspected by
 * {@link ServerMessageInspector} and written whole; a body that cannot be JSON streams through. A head whose headers
 * keep the body from being inspected is refused; silence for the idle timeout ends the exchange.
 */
@Singleton
class ResponseRelay {
    private static final Set<String> RESPONSE_DROP = HopByHopHeaders.names("content-length");

    private final SidecarConfig config;
    private final Vertx vertx;
    private final ToolCallMetrics metrics;
    private final SessionOwners sessions;
    private final SessionClients sessionClients;
    private final EventStreamRelay events;
    private final UnrelayedAnswers unrelayed;
    private final ToolDefinitions definitions;

    @Inject
    ResponseRelay(SidecarConfig config, Vertx vertx, ToolCallMetrics metrics, SessionOwners sessions, SessionClients sessionClients,
            EventStreamRelay events, UnrelayedAnswers unrelayed, ToolDefinitions definitions) {
        this.definitions = definitions;
        this.config = config;
        this.vertx = vertx;
        this.metrics = metrics;
        this.sessions = sessions;
        this.sessionClients = sessionClients;
        this.events = events;
        this.unrelayed = unrelayed;
    }

    void relay(RelayExchange exchange, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.ctx.response();
        if (response.ended() || response.closed()) {
            upstream.request().reset();
            return;
        }
        if (upstream.statusCode() >= 500) {
            metrics.upstreamError("status");
        }
        boolean hasBody = hasBody(exchange, upstream);
        String problem = hasBody ? ResponseHeaders.problem(upstream.headers()) : null;
        if (problem != null) {
            unrelayed.refuseAnswer(exchange, problem);
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
        if (response.headWritten()) {
            // A call held in hold mode answers on the event stream the sidecar opened while it waited: the server's
            // answer goes on as its events, the server's head has nowhere to go.
            if (kind == ResponseHeaders.Kind.EVENT_STREAM) {
                events.relay(exchange, upstream);
            } else if (hasBody && kind == ResponseHeaders.Kind.JSON) {
                relayBody(exchange, upstream, true);
            } else {
                unrelayed.refuseAnswer(exchange, "the server answered a held call with HTTP " + upstream.statusCode() + " "
                        + upstream.getHeader(HttpHeaders.CONTENT_TYPE) + ", not JSON or an event stream");
                upstream.request().reset();
            }
            return;
        }
        response.setStatusCode(upstream.statusCode());
        if (upstream.statusMessage() != null) {
            response.setStatusMessage(upstream.statusMessage());
        }
        HopByHopHeaders.copy(upstream.headers(), response.headers(), RESPONSE_DROP);
        sessions.created(upstream.getHeader(McpMethods.SESSION_ID_HEADER), exchange.caller);
        sessionClients.created(upstream.getHeader(McpMethods.SESSION_ID_HEADER), exchange.body);
        if (kind == ResponseHeaders.Kind.EVENT_STREAM) {
            events.relay(exchange, upstream);
        } else if (hasBody) {
            relayBody(exchange, upstream, kind == ResponseHeaders.Kind.JSON);
        } else {
            passThrough(exchange, upstream);
        }
    }

    /** The server went silent mid-answer for the idle timeout. */
    private void stalled(RelayExchange exchange, HttpClientResponse upstream) {
        unrelayed.failAfterResponse(exchange,
                new TimeoutException("the MCP server sent nothing for " + config.upstreamIdleTimeout().toMillis() + " ms"));
        upstream.request().reset();
    }

    /** A response without a body (HEAD, 204, 304, 1xx): the headers are all there is. */
    private void passThrough(RelayExchange exchange, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.ctx.response();
        String length = upstream.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
        }
        upstream.handler(chunk -> exchange.activity());
        upstream.exceptionHandler(e -> unrelayed.failAfterResponse(exchange, e));
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
    private void relayBody(RelayExchange exchange, HttpClientResponse upstream, boolean json) {
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
                unrelayed.refuseAnswer(exchange, "answer larger than " + max + " bytes (toolgate.max-filtered-response-bytes)");
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
        upstream.exceptionHandler(e -> unrelayed.failAfterResponse(exchange, e));
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

    private void relayInspected(RelayExchange exchange, Buffer collected) {
        // Read in place when the buffer is a heap array (it is for what Vert.x reads): a large answer is not copied.
        ByteBuf view = collected.getByteBuf();
        byte[] bytes = view.hasArray() ? view.array() : collected.getBytes();
        int offset = view.hasArray() ? view.arrayOffset() + view.readerIndex() : 0;
        int end = offset + collected.length();
        // One leading byte order mark is dropped, as clients' UTF-8 decoders drop it; the client gets the body without.
        boolean bom = collected.length() >= 3 && (bytes[offset] & 0xff) == 0xEF && (bytes[offset + 1] & 0xff) == 0xBB
                && (bytes[offset + 2] & 0xff) == 0xBF;
        ServerMessageInspector.Result result = ServerMessageInspector.inspect(bytes, bom ? offset + 3 : offset, end,
                exchange.policy(), exchange.caller, metrics.labels(), definitions);
        Buffer out;
        switch (result.outcome()) {
            case REFUSED -> {
                unrelayed.refuseAnswer(exchange, result.problem());
                return;
            }
            case REWRITTEN -> out = Buffer.buffer(DenialResponses.bytes(result.message()));
            default -> out = bom ? collected.slice(3, collected.length()) : collected;
        }
        exchange.answered(result.answeredIds());
        if (exchange.ctx.response().headWritten()) {
            // a held call's event stream: the answer is its last event
            exchange.ctx.response().end(Buffer.buffer(SseEventParser.messageEvent(out.toString(java.nio.charset.StandardCharsets.UTF_8))));
            return;
        }
        exchange.ctx.response().putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(out.length())).end(out);
    }

    private static void write(RelayExchange exchange, HttpServerResponse response, HttpClientResponse upstream, Buffer chunk) {
        response.write(chunk);
        if (response.writeQueueFull()) {
            exchange.holdBack(response, upstream);
        }
    }

    private static boolean hasBody(RelayExchange exchange, HttpClientResponse upstream) {
        int status = upstream.statusCode();
        return exchange.ctx.request().method() != HttpMethod.HEAD && status != 204 && status != 304 && status >= 200;
    }
}
