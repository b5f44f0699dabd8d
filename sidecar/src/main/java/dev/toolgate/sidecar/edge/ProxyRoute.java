package dev.toolgate.sidecar.edge;

import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.approval.AskedOnStream;
import dev.toolgate.sidecar.approval.WaitingCall;
import dev.toolgate.sidecar.approval.ApprovalStep;
import dev.toolgate.sidecar.approval.ApprovalTicket;
import dev.toolgate.sidecar.approval.Elicitation;
import dev.toolgate.sidecar.approval.RequestStates;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.DenialResponses;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import dev.toolgate.sidecar.enforce.ToolDefinitions;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;
import dev.toolgate.sidecar.mcp.ForwardedBody;
import dev.toolgate.sidecar.mcp.JsonRpcParser;
import dev.toolgate.sidecar.mcp.JsonRpcRejection;
import dev.toolgate.sidecar.mcp.McpHeaderCheck;
import dev.toolgate.sidecar.mcp.McpMethods;
import dev.toolgate.sidecar.mcp.ParsedBody;
import dev.toolgate.sidecar.mcp.SseEventParser;
import dev.toolgate.sidecar.observe.AuditLog;
import dev.toolgate.sidecar.observe.RefusalReason;
import dev.toolgate.sidecar.observe.RequestFacts;
import dev.toolgate.sidecar.observe.SessionClients;
import dev.toolgate.sidecar.observe.ToolCallMetrics;
import dev.toolgate.sidecar.observe.Tracing;
import dev.toolgate.sidecar.upstream.LegacySseSessions;
import dev.toolgate.sidecar.upstream.UpstreamForwarder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.logging.Log;
import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.caller.BearerChallenge;
import dev.toolgate.sidecar.caller.CallerResolver;
import dev.toolgate.sidecar.caller.ProtectedResourceMetadata;
import dev.toolgate.sidecar.caller.SessionOwners;
import dev.toolgate.sidecar.caller.HeaderCallerResolver;
import dev.toolgate.sidecar.caller.Resolution;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
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
import java.util.function.BiConsumer;

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
    @Inject
    CallerResolver resolver;
    @Inject
    ProtectedResourceMetadata resourceMetadata;
    @Inject
    SessionOwners sessions;
    @Inject
    ApprovalStep approvals;
    @Inject
    Elicitation elicitation;
    @Inject
    SessionClients sessionClients;
    @Inject
    ToolDefinitions definitions;
    @Inject
    Tracing tracing;

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

    /**
     * The walk of one request whose body is read: parse → caller → decide (answers to the sidecar's own elicitations
     * are taken out first, and in elicit mode a re-sent call's requestState opened; then approvals, for calls that need
     * one, and in hold mode the wait for a human) → forward or answer (in elicit mode possibly "input required", or an
     * elicitation on the call's own stream) → record. Parsing is synchronous; the caller, the decision and the approvals are stages (a key
     * fetch, a shared counter store, the operator's approval API), each continued on
     * this request's event loop. Whatever happens, the request is answered or forwarded exactly once, and never
     * forwarded on a fault.
     */
    private void onBody(RoutingContext ctx, byte[] bytes, LegacySseSessions.Route route, BufferBudget.Reservation held) {
        Walk walk = new Walk(ctx, route, held);
        walk.step(() -> {
            ParsedBody parsed = walk.parse(bytes);
            if (parsed == null && bytes.length > 0) {
                return; // refused
            }
            resolver.resolve(ctx.request()).whenComplete(walk.then((resolution, failure) -> {
                if (failure != null) {
                    throw failure;
                }
                if (resolution instanceof Resolution.Unauthenticated unauthenticated) {
                    walk.unauthenticated(unauthenticated);
                    return;
                }
                Caller caller = ((Resolution.Identified) resolution).caller();
                walk.caller = caller;
                if (!sessions.claim(walk.session, caller)) {
                    walk.foreignSession();
                    return;
                }
                if (parsed == null) {
                    walk.forward(bytes, null, EnforcementFilter.Inspection.NONE);
                    return;
                }
                ParsedBody body = elicitation.takeAnswers(parsed, walk.session, caller); // answers to the sidecar's own elicitations
                if (body == null) {
                    walk.accepted();
                    return;
                }
                decide(walk, bytes, body);
            }));
        });
    }

    /** The walk's decide step and what follows it, for a parsed body from an identified caller. */
    private void decide(Walk walk, byte[] bytes, ParsedBody parsed) {
        Caller caller = walk.caller;
        approvals.cancelHeld(parsed.messages(), walk.session, caller);
        PolicyHolder.State state = policies.state();
        walk.decidedUnder = state;
        EnforcementFilter.Prepared prepared;
        try {
            prepared = EnforcementFilter.prepare(parsed, state.policy(), state.problem(), caller, walk.session, definitions);
        } catch (JsonRpcRejection rejection) {
            walk.malformed(rejection);
            return;
        }
        String policyHash = state.policy() == null ? null : state.policy().hash();
        Elicitation.Answer answer; // elicit mode: a re-sent call's state is opened before anything is decided
        try {
            answer = elicitation.open(parsed, prepared, caller, policyHash);
        } catch (RequestStates.Refused refused) {
            walk.requestStateRefused(parsed, refused);
            return;
        }
        Tracing.DecisionSpans spans = tracing.start(prepared);
        prepared.decide(System.currentTimeMillis())
                .thenCompose(inspection -> answer != null && !answer.accepted()
                        ? java.util.concurrent.CompletableFuture.completedFuture(elicitation.declined(inspection, answer))
                        : approvals.settle(prepared, inspection, caller, walk.session, policyHash))
                .whenComplete(walk.then((settled, fault) -> {
                    tracing.end(spans, settled, fault, policyHash);
                    if (fault != null) {
                        throw fault;
                    }
                    EnforcementFilter.Inspection inspection = answer != null ? elicitation.answered(settled) : settled;
                    if (walk.legacyStream == null && elicitation.asks(inspection, parsed, answer)) { // legacy HTTP+SSE predates it
                        walk.elicit(parsed, inspection, policyHash);
                        return;
                    }
                    if (walk.legacyStream == null && elicitation.asksOnStream(inspection, parsed, answer,
                            sessionClients.takesFormElicitation(walk.session), acceptsEventStream(walk.request))) {
                        walk.askOnStream(bytes, parsed, prepared, inspection);
                        return;
                    }
                    if (approvals.holds(inspection, parsed.batch())) {
                        walk.hold(bytes, parsed, prepared, inspection);
                        return;
                    }
                    walk.decided(bytes, parsed, inspection);
                }));
    }

    /** One request's state along the walk; its steps run on the request's event loop. */
    private final class Walk {
        final RoutingContext ctx;
        final HttpServerRequest request;
        final BufferBudget.Reservation held;
        final Context context;
        final String session;
        /** The legacy HTTP+SSE stream a POST belongs to, where its answers go; null otherwise. */
        final LegacySseSessions.Stream legacyStream;
        /** Known once the caller step has passed. */
        Caller caller;
        /** The policy the body was decided under; its answers are inspected under it too. Null without a body. */
        PolicyHolder.State decidedUnder;
        /** True once the forwarder has the request (and with it the buffer reservation). */
        boolean forwarded;
        /** Where the request came from, for its audit lines. */
        final RequestFacts facts;

        Walk(RoutingContext ctx, LegacySseSessions.Route route, BufferBudget.Reservation held) {
            this.ctx = ctx;
            this.request = ctx.request();
            this.held = held;
            this.context = ctx.vertx().getOrCreateContext();
            this.facts = RequestFacts.of(request, tracing.currentTraceId());
            if (route instanceof LegacySseSessions.Legacy message) {
                // The legacy server knows its session only from the endpoint; a Mcp-Session-Id header means nothing to it.
                this.session = message.session();
                this.legacyStream = request.method() == HttpMethod.POST ? message.stream() : null;
            } else {
                this.session = request.getHeader(McpMethods.SESSION_ID_HEADER);
                this.legacyStream = null;
            }
        }

        /** Runs one step; a fault answers 500 without forwarding, and the buffer is given back unless forwarded. */
        void step(ThrowingRunnable body) {
            try {
                body.run();
            } catch (Throwable t) {
                fault(t);
            }
        }

        /** Continues a stage's completion as a step on this request's event loop. */
        <T> BiConsumer<T, Throwable> then(ThrowingConsumer<T> next) {
            return (value, failure) -> {
                Runnable run = () -> step(() -> next.accept(value, failure));
                if (Vertx.currentContext() == context) {
                    run.run();
                } else {
                    context.runOnContext(v -> run.run());
                }
            };
        }

        void fault(Throwable t) {
            // Never leave a client hanging, and never forward on an internal fault.
            Log.error("Request handling failed; answered 500 without forwarding", t);
            refuse(ctx, RefusalReason.INTERNAL_ERROR, 500, ErrorCodes.INTERNAL_ERROR, "Toolgate internal error; the request was not forwarded", null,
                    session, subject());
            done();
        }

        String subject() {
            return caller != null ? caller.subject() : claimedIdentity(request);
        }

        /** The buffer reservation goes back when the sidecar answers itself; the forwarder releases it otherwise. */
        void done() {
            if (!forwarded) {
                held.release();
            }
        }

        /** Step 1: the parsed body, or null (a refusal answered, or no body). */
        ParsedBody parse(byte[] bytes) {
            try {
                ParsedBody parsed = bytes.length > 0 ? JsonRpcParser.parse(bytes) : null;
                McpHeaderCheck.check(request.headers().getAll(McpMethods.METHOD_HEADER), request.headers().getAll(McpMethods.NAME_HEADER), parsed);
                return parsed;
            } catch (JsonRpcRejection rejection) {
                malformed(rejection);
                return null;
            }
        }

        void malformed(JsonRpcRejection rejection) {
            refuse(ctx, RefusalReason.MALFORMED, 400, rejection.code(), rejection.getMessage(), rejection.id(), session, subject());
            done();
        }

        /**
         * Step 3 refused (elicit mode): the re-sent call's Toolgate {@code requestState} does not open. Nothing is decided
         * or forwarded; the client is told why (-32602), and starts afresh by sending the call without it.
         */
        void requestStateRefused(ParsedBody parsed, RequestStates.Refused refused) {
            JsonNode id = parsed.batch() ? null : parsed.messages().get(0).id();
            refuse(ctx, RefusalReason.REQUEST_STATE, 400, ErrorCodes.INVALID_PARAMS, "Toolgate: requestState refused: " + refused.getMessage(),
                    id, session, caller.subject());
            done();
        }

        /**
         * Step 5 in elicit mode: the call's approval is pending and its client takes an elicitation, so it is answered
         * "input required" (a form elicitation and a new sealed requestState) instead of retry mode's error; the client
         * re-sends the call with its answer.
         */
        void elicit(ParsedBody parsed, EnforcementFilter.Inspection pending, String policyHash) {
            CallDecision call = pending.decisions().get(0);
            ObjectNode answer = elicitation.inputRequired(parsed.messages().get(0).id(), call, caller, policyHash);
            CallDecision asked = call.with(call.decision(), call.approval().elicited(ApprovalTicket.ASKED));
            metrics.decided(asked.tool(), asked.decision());
            audit.record(asked, caller.subject(), session, AuditLog.Outcome.NOT_FORWARDED, facts);
            HttpServerResponse response = ctx.response();
            if (!response.ended() && !response.closed()) {
                response.setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                        .end(Buffer.buffer(DenialResponses.bytes(answer)));
            }
            done();
        }

        /**
         * The body held nothing but the client's answers to the sidecar's own elicitations ({@link Elicitation#takeAnswers}):
         * 202, as a server acknowledges a response; nothing is forwarded.
         */
        void accepted() {
            HttpServerResponse response = ctx.response();
            if (!response.ended() && !response.closed()) {
                response.setStatusCode(202).end();
            }
            done();
        }

        /**
         * Step 4 waits (elicit mode, a client of a revision before 2026-07-28 that declared form elicitation): the call's
         * approval is pending, so its POST is answered with an event stream on which the sidecar asks the client
         * ({@code elicitation/create}); the client's answer comes in another request of its session. Once it accepts
         * and the approval is approved, the call is decided as any other ({@link #decided}), and the server's answer is
         * the stream's last event. With a progress token the client also gets {@code notifications/progress} while it
         * waits. Ends, too, as a hold does: the client going away or cancelling the request.
         */
        void askOnStream(byte[] bytes, ParsedBody parsed, EnforcementFilter.Prepared prepared, EnforcementFilter.Inspection pending) {
            JsonNode token = progressToken(parsed.messages().get(0));
            WaitingCall.Progress progress = token == null ? null : (waited, longest, ticket) -> progress(token, waited, longest, ticket, true);
            AskedOnStream asked = elicitation.askOnStream(prepared, pending, caller, session, ctx.vertx(), context, progress, message -> {
                HttpServerResponse response = ctx.response();
                if (!response.ended() && !response.closed()) {
                    response.write(Buffer.buffer(SseEventParser.messageEvent(message.toString())));
                }
            });
            keepOpen(bytes, parsed, asked, true);
        }

        /** Keeps the request open while {@code waiting} runs (with an event stream opened at once when {@code stream}). */
        private void keepOpen(byte[] bytes, ParsedBody parsed, WaitingCall waiting, boolean stream) {
            Runnable unregister = approvals.registerHeld(session, caller, parsed.messages().get(0).id(), waiting);
            ctx.response().closeHandler(v -> {
                waiting.abandon();
                done();
            });
            if (ctx.response().closed()) {
                waiting.abandon(); // the client left while the approval was being filed: its close went to the body reader
            } else if (stream) {
                ctx.response().setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream")
                        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache").putHeader("X-Accel-Buffering", "no").setChunked(true);
                ctx.response().writeHead(); // the client learns now that its call is being worked on
            }
            waiting.start().whenComplete(then((settled, fault) -> {
                unregister.run();
                if (fault != null) {
                    throw fault;
                }
                decided(bytes, parsed, settled);
            }));
        }

        /** Step 2 refused: 401 with a Bearer challenge (RFC 6750 §3); nothing reaches the server. */
        void unauthenticated(Resolution.Unauthenticated why) {
            if (!ctx.response().headWritten()) {
                ctx.response().putHeader("WWW-Authenticate", BearerChallenge.header(why, resourceMetadata.url(request)));
            }
            String message = "Toolgate: unauthenticated" + (why.description() == null ? "" : ": " + why.description());
            refuse(ctx, RefusalReason.UNAUTHENTICATED, 401, ErrorCodes.UNAUTHENTICATED, message, null, session, claimedIdentity(request));
            done();
        }

        /**
         * Step 2 refused: the session belongs to another verified identity (403). The audit line names the intruder and
         * the session; the owner goes to the log only, never to the client.
         */
        void foreignSession() {
            Log.warnf("toolgate identity: %s used session %s of %s (%s %s); refused", caller.subject(), session, sessions.owner(session),
                    request.method(), path(request));
            refuse(ctx, RefusalReason.SESSION, 403, ErrorCodes.INVALID_REQUEST, "Toolgate: session " + session
                    + " belongs to another identity; it cannot be used by " + caller.subject(), null, session, caller.subject());
            done();
        }

        /** Steps 4 and 5 once decided: forward what was allowed, or answer every call of a refused body. */
        void decided(byte[] bytes, ParsedBody parsed, EnforcementFilter.Inspection inspection) {
            for (CallDecision call : inspection.decisions()) {
                metrics.decided(call.tool(), call.decision());
                if (!call.proceeds()) {
                    audit.record(call, caller.subject(), session, AuditLog.Outcome.NOT_FORWARDED, facts);
                }
            }
            if (inspection.forward()) {
                // What the policy evaluated, written afresh: the server never parses the client's own spelling of it.
                forward(ForwardedBody.bytes(parsed, bytes.length), parsed, inspection);
                return;
            }
            answerRefused(parsed, inspection);
            done();
        }

        /**
         * Step 4 waits (hold mode): the call's approval is pending, so the request is kept open until the hold ends, then
         * decided as any other ({@link #decided}). A client that accepts {@code text/event-stream} and gave a progress
         * token gets an event stream at once, with {@code notifications/progress} while it waits and the answer as its
         * last event (a legacy HTTP+SSE client gets the notifications on its stream); any other client just waits. A
         * client that goes away, or cancels the request ({@code notifications/cancelled} in its session), ends the hold;
         * its approval stays pending.
         */
        void hold(byte[] bytes, ParsedBody parsed, EnforcementFilter.Prepared prepared, EnforcementFilter.Inspection pending) {
            JsonNode token = progressToken(parsed.messages().get(0));
            boolean stream = token != null && legacyStream == null && acceptsEventStream(request);
            WaitingCall.Progress progress = token == null || (!stream && legacyStream == null) ? null
                    : (waited, longest, ticket) -> progress(token, waited, longest, ticket, stream);
            keepOpen(bytes, parsed, approvals.hold(prepared, pending, caller, ctx.vertx(), context, progress), stream);
        }

        private void progress(JsonNode token, long waitedMillis, long holdMillis, ApprovalTicket ticket, boolean stream) {
            ObjectNode notification = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("method", "notifications/progress");
            ObjectNode params = notification.putObject("params");
            params.set("progressToken", token);
            params.put("progress", waitedMillis / 1000.0).put("total", holdMillis / 1000.0)
                    .put("message", "Toolgate: waiting for a human to approve it (" + ticket.approveCommand() + "); held at most "
                            + holdMillis / 1000 + " s");
            byte[] event = SseEventParser.messageEvent(notification.toString());
            if (stream) {
                HttpServerResponse response = ctx.response();
                if (!response.ended() && !response.closed()) {
                    response.write(Buffer.buffer(event));
                }
            } else {
                legacyStream.send(event);
            }
        }

        void forward(byte[] bytes, ParsedBody parsed, EnforcementFilter.Inspection inspection) {
            forwarded = true;
            forwarder.forward(ctx, bytes, parsed, inspection.allowed(), caller, session, decidedUnder, facts, held::release);
        }

        /** Batches are all-or-nothing: nothing of a body with an enforced refusal reaches the server. */
        private void answerRefused(ParsedBody parsed, EnforcementFilter.Inspection inspection) {
            List<ObjectNode> answers = DenialResponses.forRefusedBody(parsed, inspection.decisions());
            for (CallDecision call : inspection.allowed()) {
                audit.record(call, caller.subject(), session, AuditLog.Outcome.NOT_FORWARDED, facts);
            }
            HttpServerResponse response = ctx.response();
            if (response.ended() || response.closed()) {
                return; // the client went away while the decision was pending
            }
            if (response.headWritten()) {
                // a held call's event stream (hold mode): the answer is its last event
                answers.forEach(answer -> response.write(Buffer.buffer(SseEventParser.messageEvent(answer.toString()))));
                response.end();
                return;
            }
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
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Throwable;
    }

    @FunctionalInterface
    interface ThrowingConsumer<T> {
        void accept(T value, Throwable failure) throws Throwable;
    }

    /**
     * What a request claims before the caller step has passed, for the audit line of an early refusal: the trusted
     * header's value in header mode; nothing (anonymous) with a verified source, which a request cannot claim.
     */
    private String claimedIdentity(HttpServerRequest request) {
        return resolver instanceof HeaderCallerResolver ? config.identity().header().map(request::getHeader).orElse(null) : null;
    }

    /** {@code params._meta.progressToken} of a request (a string or an integer, as MCP defines it), or null. */
    private static JsonNode progressToken(dev.toolgate.sidecar.mcp.JsonRpcMessage message) {
        JsonNode token = message.node().path("params").path("_meta").get("progressToken");
        return token != null && (token.isTextual() || token.isIntegralNumber()) ? token : null;
    }

    /** Whether the client takes an event stream as the answer to its POST (Streamable HTTP clients say so in Accept). */
    private static boolean acceptsEventStream(HttpServerRequest request) {
        for (String accept : tokens(request.headers().getAll(HttpHeaders.ACCEPT))) {
            if (accept.startsWith("text/event-stream")) {
                return true;
            }
        }
        return false;
    }

    /** The raw path, as forwarded ({@link dev.toolgate.sidecar.upstream.UpstreamClient#originForm}). */
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
        refuse(ctx, reason, status, code, message, id, session, claimedIdentity(ctx.request()));
    }

    private void refuse(RoutingContext ctx, RefusalReason reason, int status, int code, String message, JsonNode id, String session,
            String identity) {
        if (answer(ctx, status, code, message, id)) {
            HttpServerRequest request = ctx.request();
            metrics.refused(reason);
            audit.refused(reason, message, identity, session, request.method().name(), path(request),
                    RequestFacts.of(request, tracing.currentTraceId()));
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
