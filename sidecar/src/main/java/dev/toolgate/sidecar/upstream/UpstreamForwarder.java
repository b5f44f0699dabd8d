package dev.toolgate.sidecar.upstream;

import java.util.List;

import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ParsedBody;
import dev.toolgate.sidecar.observe.AuditLog;
import dev.toolgate.sidecar.observe.RequestFacts;
import dev.toolgate.sidecar.observe.ToolCallMetrics;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * The walk's forward step: sends a decided request to the MCP server ({@link UpstreamClient}) and hands the answer to
 * {@link ResponseRelay}, which inspects every server message before the client sees it. A failure before the answer
 * becomes JSON-RPC errors ({@link UnrelayedAnswers}); a client that goes away cancels the server's request. The allowed
 * calls are recorded once, when the exchange ends however it ends ({@link RelayExchange#finish}).
 */
@Singleton // no client proxy: these run on every request
public class UpstreamForwarder {
    private final UpstreamClient client;
    private final ResponseRelay relay;
    private final UnrelayedAnswers unrelayed;
    private final PolicyHolder policies;
    private final ToolCallMetrics metrics;
    private final AuditLog audit;

    @Inject
    UpstreamForwarder(UpstreamClient client, ResponseRelay relay, UnrelayedAnswers unrelayed, PolicyHolder policies,
            ToolCallMetrics metrics, AuditLog audit) {
        this.client = client;
        this.relay = relay;
        this.unrelayed = unrelayed;
        this.policies = policies;
        this.metrics = metrics;
        this.audit = audit;
    }

    /**
     * @param bytes       the body the server receives (the sidecar's own rendering of the parsed messages)
     * @param allowed     the calls of the body decided allowed, recorded when the exchange ends
     * @param decidedUnder the policy the request was decided under, for its answers; null for a GET event stream
     * @param onFinish    run once when the exchange ends, however it ends (ProxyRoute gives back the body's buffer budget)
     */
    public void forward(RoutingContext ctx, byte[] bytes, ParsedBody body, List<CallDecision> allowed, Caller caller, String session,
            PolicyHolder.State decidedUnder, RequestFacts facts, Runnable onFinish) {
        RelayExchange exchange = new RelayExchange(ctx, body, allowed, caller, session, decidedUnder, facts, onFinish, policies,
                metrics, audit);
        client.open(ctx.request(), caller, bytes.length > 0).onComplete(created -> {
            if (created.failed()) {
                unrelayed.failBeforeResponse(exchange, created.cause());
                return;
            }
            HttpClientRequest upstream = created.result();
            ctx.response().closeHandler(v -> {
                // The client went away: stop the server's work on its behalf.
                upstream.reset();
                exchange.finish(0);
            });
            UpstreamClient.send(upstream, ctx.request(), bytes).onComplete(answered -> {
                if (answered.failed()) {
                    unrelayed.failBeforeResponse(exchange, answered.cause());
                } else {
                    relay.relay(exchange, answered.result());
                }
            });
        });
    }
}
