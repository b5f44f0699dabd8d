package dev.toolgate.sidecar.upstream;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.caller.SessionOwners;
import dev.toolgate.sidecar.enforce.DenialResponses;
import dev.toolgate.sidecar.enforce.ServerMessageInspector;
import dev.toolgate.sidecar.enforce.ToolDefinitions;
import dev.toolgate.sidecar.mcp.SseEvent;
import dev.toolgate.sidecar.mcp.SseEventParser;
import dev.toolgate.sidecar.observe.ToolCallMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * Relays a server's {@code text/event-stream} answer event by event: each event is parsed, its message inspected
 * ({@link ServerMessageInspector}) and written on its own, so it is flushed as it comes. On a GET stream of the legacy
 * HTTP+SSE transport, the {@code endpoint} event registers the session with {@link LegacySseSessions} and is handed on
 * as the relative endpoint the sidecar accepts.
 */
@Singleton
class EventStreamRelay {
    private final SidecarConfig config;
    private final LegacySseSessions legacy;
    private final SessionOwners sessions;
    private final ToolCallMetrics metrics;
    private final UnrelayedAnswers unrelayed;
    private final ToolDefinitions definitions;

    @Inject
    EventStreamRelay(SidecarConfig config, LegacySseSessions legacy, SessionOwners sessions, ToolCallMetrics metrics,
            UnrelayedAnswers unrelayed, ToolDefinitions definitions) {
        this.definitions = definitions;
        this.config = config;
        this.legacy = legacy;
        this.sessions = sessions;
        this.metrics = metrics;
        this.unrelayed = unrelayed;
    }

    void relay(RelayExchange exchange, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.ctx.response();
        HttpServerRequest request = exchange.ctx.request();
        boolean held = response.headWritten(); // a call held in hold mode: the sidecar's own event stream is open already
        if (!held) {
            response.setChunked(true);
        }
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
        if (!held) {
            response.putHeader("X-Accel-Buffering", "no");
            // The stream has started: the client learns it now, not with the first event (which may be long in coming).
            response.writeHead();
        }
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
                unrelayed.refuseAnswer(exchange, tooBig.getMessage() + " (toolgate.max-filtered-response-bytes)");
                upstream.request().reset();
                return;
            }
            for (SseEvent event : events) {
                byte[] out = event.raw();
                if (eventStreamRequest && "endpoint".equals(event.event()) && event.data() != null) {
                    String key = LegacySseSessions.endpointKey(UpstreamClient.originForm(request), event.data());
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
                exchange.holdBack(response, upstream);
            }
        });
        upstream.exceptionHandler(e -> {
            unregister.run();
            unrelayed.failAfterResponse(exchange, e);
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
                unrelayed.recordRefusal(exchange, "server-sent event cut off by the end of the stream");
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
    private byte[] relayEvent(RelayExchange exchange, SseEvent event) {
        if (!event.wellFormed()) {
            unrelayed.refuseEvent(exchange, "server-sent event is not valid UTF-8",
                    event.data() == null ? List.of() : ServerMessageInspector.idsOf(event.data()));
            return null;
        }
        if (!event.carriesData()) {
            return event.canonical(); // comments, priming events (id, retry): nothing a client reads as a message
        }
        ServerMessageInspector.Result result = ServerMessageInspector.inspect(event.data(), exchange.policy(), exchange.caller, metrics.labels(),
                definitions);
        if (result.outcome() == ServerMessageInspector.Outcome.REFUSED) {
            unrelayed.refuseEvent(exchange, result.problem(), result.answeredIds());
            return null;
        }
        exchange.answered(result.answeredIds());
        return result.outcome() == ServerMessageInspector.Outcome.REWRITTEN ? event.withData(result.message().toString()) : event.canonical();
    }
}
