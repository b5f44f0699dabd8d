package dev.toolgate.sidecar.upstream;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Policy;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.JsonRpcIds;
import dev.toolgate.sidecar.mcp.JsonRpcMessage;
import dev.toolgate.sidecar.mcp.ParsedBody;
import dev.toolgate.sidecar.observe.AuditLog;
import dev.toolgate.sidecar.observe.RequestFacts;
import dev.toolgate.sidecar.observe.ToolCallMetrics;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * One forwarded request while its answer is relayed: what was decided, the requests still unanswered, and whether the
 * exchange has been settled by a failure or refusal. Used on the exchange's event loop only. It records the allowed
 * calls once, when the exchange ends however it ends.
 */
final class RelayExchange {
    final RoutingContext ctx;
    final ParsedBody body;
    final Caller caller;
    final String session;
    final RequestFacts facts;
    /** Requests of the body not answered yet, keyed by id value ({@link JsonRpcIds}), with the id as the client spelt it. */
    final Map<Object, JsonNode> pending = new LinkedHashMap<>();
    private final List<CallDecision> allowed;
    /** The policy the request was decided under, for its answers; null for a GET event stream, which follows reloads. */
    private final PolicyHolder.State decidedUnder;
    private final PolicyHolder policies;
    private final ToolCallMetrics metrics;
    private final AuditLog audit;
    private final Runnable onFinish;
    private final long start = System.nanoTime();
    /** Silence limit while the response is read; null on GET event streams, which are long-lived by design. */
    IdleTimer idle;
    private boolean finished;
    /** A failure or refusal has been answered; whatever the server does after that changes nothing. */
    boolean settled;
    /** A server message of unknown id was refused: it may have been an answer, so what is left unanswered gets errors. */
    boolean lostUnknownMessage;

    RelayExchange(RoutingContext ctx, ParsedBody body, List<CallDecision> allowed, Caller caller, String session,
            PolicyHolder.State decidedUnder, RequestFacts facts, Runnable onFinish, PolicyHolder policies, ToolCallMetrics metrics,
            AuditLog audit) {
        this.ctx = ctx;
        this.body = body;
        this.allowed = allowed;
        this.caller = caller;
        this.session = session;
        this.decidedUnder = decidedUnder;
        this.facts = facts == null ? RequestFacts.NONE : facts;
        this.onFinish = onFinish;
        this.policies = policies;
        this.metrics = metrics;
        this.audit = audit;
        if (body != null) {
            for (JsonRpcMessage m : body.messages()) {
                if (m.isRequest()) {
                    pending.put(JsonRpcIds.key(m.id()), m.id());
                }
            }
        }
    }

    /** The policy a server message is inspected under: the request's, or for a GET event stream the one in force. */
    Policy policy() {
        return (decidedUnder != null ? decidedUnder : policies.state()).policy();
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

    /** Stops reading from the server until the client has taken what is queued (its silence meanwhile is ours). */
    void holdBack(HttpServerResponse response, HttpClientResponse upstream) {
        upstream.pause();
        if (idle != null) {
            idle.pause();
        }
        response.drainHandler(v -> {
            if (idle != null) {
                idle.resume();
            }
            upstream.resume();
        });
    }

    /** Records the allowed calls once, when the exchange ends however it ends; {@code upstreamStatus} 0 when none came. */
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

    /** Marks the exchange answered-for and ends it; the client's response, or null when the client is gone or was answered. */
    HttpServerResponse settle() {
        boolean first = !settled;
        settled = true;
        finish(0);
        HttpServerResponse response = ctx.response();
        return !first || response.ended() || response.closed() ? null : response;
    }

    /** One error per pending request (a batch gets an array), or one with a null id when nothing is pending. */
    JsonNode errorsForPending(Function<JsonNode, JsonNode> error) {
        if (body != null && body.batch() && !pending.isEmpty()) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            pending.values().forEach(id -> array.add(error.apply(id)));
            return array;
        }
        JsonNode id = pending.isEmpty() ? null : pending.values().iterator().next();
        return error.apply(id);
    }
}
