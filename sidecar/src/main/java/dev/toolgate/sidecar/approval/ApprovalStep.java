package dev.toolgate.sidecar.approval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.policy.ApprovalTerms;
import dev.toolgate.policy.ArgumentsDigest;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.Verdict;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

/**
 * The walk's approval step, after the decision: every call the policy answered {@code approval_required} is taken to
 * the operator, which files (or finds) its McpApproval. A pending one is answered at once (retry mode: the agent
 * retries the same call once a human approved it), a rejected one is denied with the approver's reason. When every such
 * call of a body is approved, the body is decided again with them approved, so their limits still apply, and each
 * approval is then consumed, once: only then is the body forwarded. The operator unreachable, slow or refusing means
 * the call is refused ("approval service unavailable"); calls that need no approval never come here, nor do calls
 * decided in audit mode: a would-be {@code approval_required} is forwarded and files no McpApproval.
 *
 * <p>Counters a re-decided body took are not given back when a consumption then fails (another replica took the last
 * use first): the failure is rare and errs on the strict side.
 */
@Singleton
public class ApprovalStep {

    private final ApprovalClient client;
    private final MeterRegistry meters;
    private final java.time.Duration holdPollInterval;
    private final java.time.Duration holdProgressInterval;
    private final java.time.Duration elicitationWait;
    /** Calls held or asked on their stream, by session, caller and request id ({@link #registerHeld}): how to cancel each. */
    private final java.util.concurrent.ConcurrentHashMap<String, Runnable> heldCalls = new java.util.concurrent.ConcurrentHashMap<>();

    @jakarta.inject.Inject
    public ApprovalStep(ApprovalClient client, MeterRegistry meters, dev.toolgate.sidecar.SidecarConfig config) {
        this(client, meters, config.approvals().holdPollInterval(), config.approvals().holdProgressInterval(),
                config.approvals().elicitationWait());
    }

    public ApprovalStep(ApprovalClient client, MeterRegistry meters) {
        this(client, meters, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(5));
    }

    public ApprovalStep(ApprovalClient client, MeterRegistry meters, java.time.Duration holdPollInterval, java.time.Duration holdProgressInterval) {
        this(client, meters, holdPollInterval, holdProgressInterval, java.time.Duration.ofMinutes(10));
    }

    public ApprovalStep(ApprovalClient client, MeterRegistry meters, java.time.Duration holdPollInterval, java.time.Duration holdProgressInterval,
            java.time.Duration elicitationWait) {
        this.client = client;
        this.meters = meters;
        this.holdPollInterval = holdPollInterval;
        this.holdProgressInterval = holdProgressInterval;
        this.elicitationWait = elicitationWait;
    }

    ApprovalClient client() {
        return client;
    }

    java.time.Duration pollInterval() {
        return holdPollInterval;
    }

    java.time.Duration progressInterval() {
        return holdProgressInterval;
    }

    java.time.Duration elicitationWait() {
        return elicitationWait;
    }

    /**
     * True when the settled body is one call whose approval is pending in hold mode: the walk then holds it
     * ({@link #hold}) instead of answering. A batch is never held (its calls are answered as in retry mode).
     */
    public boolean holds(EnforcementFilter.Inspection settled, boolean batch) {
        if (batch || settled.decisions().size() != 1) {
            return false;
        }
        CallDecision call = settled.decisions().get(0);
        Decision d = call.decision();
        return d.verdict() == Verdict.APPROVAL_REQUIRED && d.enforced() && d.approval() != null && d.approval().holds()
                && call.approval() != null && ApprovalTicket.PENDING.equals(call.approval().state());
    }

    /**
     * Holds the pending call of {@code settled} (see {@link #holds}) until its approval is decided, expires, or the hold
     * runs out; {@code progress} (may be null) is told while it waits. Run on the request's context, whose timers it uses.
     */
    public ApprovalHold hold(EnforcementFilter.Prepared prepared, EnforcementFilter.Inspection settled, Caller caller,
            io.vertx.core.Vertx vertx, io.vertx.core.Context context, WaitingCall.Progress progress) {
        count("held");
        ApprovalHold hold = new ApprovalHold(this, client, vertx, context, prepared, settled.decisions().get(0), caller, holdPollInterval,
                holdProgressInterval, progress);
        return hold;
    }

    /**
     * Registers a started wait ({@link WaitingCall}) under the request it keeps open: {@code session} (may be null), the
     * caller's subject and the JSON-RPC id, so that the same caller's {@code notifications/cancelled} in that session can
     * end it ({@link #cancelHeld}). The returned action unregisters it; run it when the wait ended.
     */
    public Runnable registerHeld(String session, Caller caller, JsonNode requestId, WaitingCall waiting) {
        String key = heldKey(session, caller.subject(), requestId);
        Runnable cancel = waiting::cancel;
        heldCalls.put(key, cancel);
        return () -> heldCalls.remove(key, cancel);
    }

    /**
     * Ends the holds that the body's {@code notifications/cancelled} name: only of this session and this caller, so no
     * one can cancel another's held call. The notifications themselves go on to the server as any other message.
     */
    public void cancelHeld(List<dev.toolgate.sidecar.mcp.JsonRpcMessage> messages, String session, Caller caller) {
        if (heldCalls.isEmpty()) {
            return;
        }
        for (dev.toolgate.sidecar.mcp.JsonRpcMessage message : messages) {
            if (!"notifications/cancelled".equals(message.method()) || message.id() != null) {
                continue;
            }
            JsonNode requestId = message.node().path("params").get("requestId");
            Runnable cancel = requestId == null ? null : heldCalls.get(heldKey(session, caller.subject(), requestId));
            if (cancel != null) {
                cancel.run();
            }
        }
    }

    private static String heldKey(String session, String subject, JsonNode requestId) {
        return (session == null ? "" : session) + "\n" + subject + "\n" + requestId;
    }

    /** The body's decisions once approvals are settled; completes normally (a failure becomes a refusal). */
    public CompletionStage<EnforcementFilter.Inspection> settle(EnforcementFilter.Prepared prepared, EnforcementFilter.Inspection inspection,
            Caller caller, String session, String policyHash) {
        List<CallDecision> decisions = inspection.decisions();
        List<Integer> asking = new ArrayList<>();
        for (int i = 0; i < decisions.size(); i++) {
            Decision d = decisions.get(i).decision();
            if (d.verdict() == Verdict.APPROVAL_REQUIRED && d.approval() != null && d.enforced()) {
                asking.add(i);
            }
        }
        if (asking.isEmpty()) {
            return CompletableFuture.completedFuture(inspection);
        }
        if (!client.configured()) {
            return done(inspection, asking, i -> refuse(decisions.get(i), "approval_unconfigured",
                    "nobody can approve it here: this sidecar is not connected to Toolgate's approval service"));
        }
        if (caller.source() == Caller.Source.ANONYMOUS) {
            return done(inspection, asking, i -> refuse(decisions.get(i), "approval_anonymous",
                    "an anonymous call cannot be approved: an approval is bound to who asks"));
        }
        List<CompletableFuture<CallDecision>> asked = new ArrayList<>();
        for (int i : asking) {
            CallDecision call = decisions.get(i);
            ToolCall toolCall = prepared.calls().get(i);
            asked.add(client.call("request", requestBody(call, toolCall, caller, session, policyHash)).toCompletableFuture()
                    .handle((answer, failure) -> failure != null ? unavailable(call, failure) : answered(call, answer)));
        }
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenCompose(all -> {
            List<CallDecision> settled = new ArrayList<>(decisions);
            Set<Integer> approved = new HashSet<>();
            for (int k = 0; k < asking.size(); k++) {
                CallDecision call = asked.get(k).join();
                settled.set(asking.get(k), call);
                if (call.approval() != null && ApprovalTicket.APPROVED.equals(call.approval().state())
                        && call.decision().verdict() == Verdict.APPROVAL_REQUIRED) {
                    approved.add(asking.get(k));
                }
            }
            boolean othersAllowed = true;
            for (int i = 0; i < settled.size(); i++) {
                if (!approved.contains(i) && !settled.get(i).proceeds()) {
                    othersAllowed = false;
                }
            }
            if (approved.isEmpty() || !othersAllowed) {
                return CompletableFuture.completedFuture(new EnforcementFilter.Inspection(List.copyOf(settled)));
            }
            return redecideAndConsume(prepared, settled, approved, caller);
        }).exceptionally(failure -> {
            List<CallDecision> refused = new ArrayList<>(decisions);
            for (int i : asking) {
                refused.set(i, unavailable(decisions.get(i), failure));
            }
            return new EnforcementFilter.Inspection(List.copyOf(refused));
        });
    }

    CompletionStage<EnforcementFilter.Inspection> redecideAndConsume(EnforcementFilter.Prepared prepared, List<CallDecision> settled,
            Set<Integer> approved, Caller caller) {
        return prepared.decideApproved(System.currentTimeMillis(), approved).thenCompose(again -> {
            List<CallDecision> redecided = new ArrayList<>(again.decisions().size());
            for (int i = 0; i < again.decisions().size(); i++) {
                CallDecision now = again.decisions().get(i);
                redecided.add(now.with(now.decision(), settled.get(i).approval()));
            }
            if (!again.forward()) {
                count("limited_after_approval");
                return CompletableFuture.completedFuture(new EnforcementFilter.Inspection(List.copyOf(redecided)));
            }
            List<Integer> order = new ArrayList<>(approved);
            java.util.Collections.sort(order);
            List<CompletableFuture<CallDecision>> consumed = new ArrayList<>();
            for (int i : order) {
                CallDecision call = redecided.get(i);
                consumed.add(client.call("consume", consumeBody(call, caller)).toCompletableFuture()
                        .handle((answer, failure) -> {
                            if (failure != null) {
                                return unavailable(call, failure);
                            }
                            if (!answer.path("consumed").asBoolean(false)) {
                                count("consume_refused");
                                return refuse(call, "approval", "approval " + call.approval().name() + " could not be used: "
                                        + answer.path("reason").asText("refused"));
                            }
                            count("admitted");
                            return call.with(call.decision(), call.approval().consumed());
                        }));
            }
            return CompletableFuture.allOf(consumed.toArray(CompletableFuture[]::new)).thenApply(v -> {
                for (int k = 0; k < order.size(); k++) {
                    redecided.set(order.get(k), consumed.get(k).join());
                }
                return new EnforcementFilter.Inspection(List.copyOf(redecided));
            });
        });
    }

    CallDecision answered(CallDecision call, JsonNode answer) {
        ApprovalTicket ticket = new ApprovalTicket(answer.path("approval").asText(), answer.path("namespace").asText(),
                answer.path("state").asText(), text(answer, "expiresAt"), text(answer, "approver"), text(answer, "reason"),
                text(answer.path("previous"), "state"));
        switch (ticket.state()) {
            case ApprovalTicket.PENDING -> {
                count("pending");
                return call.with(call.decision(), ticket);
            }
            case ApprovalTicket.APPROVED -> {
                return call.with(call.decision(), ticket);
            }
            case ApprovalTicket.REJECTED -> {
                count("rejected");
                Decision d = call.decision();
                return call.with(new Decision(Verdict.DENIED, d.tool(), d.rule(), "rejected by " + ticket.approver()
                        + (ticket.reason() == null ? "" : ": " + ticket.reason()), null, 0, d.grant()), ticket);
            }
            case ApprovalTicket.EXPIRED -> {
                count("expired");
                CallDecision refused = refuse(call, "approval", "approval " + ticket.namespace() + "/" + ticket.name() + " expired at "
                        + ticket.expiresAt() + " without being used; the same call asks for a new approval");
                return refused.with(refused.decision(), ticket);
            }
            case ApprovalTicket.CONSUMED -> {
                count("consume_refused");
                return refuse(call.with(call.decision(), null), "approval", "approval " + ticket.name()
                        + " was used by another call while this one waited; the same call asks for a new approval");
            }
            default -> {
                return unavailable(call, new IllegalStateException("the operator answered state " + ticket.state()));
            }
        }
    }

    CallDecision unavailable(CallDecision call, Throwable failure) {
        count("unavailable");
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return refuse(call, "approval_unavailable", "approval service unavailable: " + cause.getMessage());
    }

    /**
     * Still {@code approval_required}, with why it cannot be had now (no approval service, an anonymous caller, the
     * operator unreachable, a use already taken): the agent's answer keeps its code, and nothing is forwarded.
     */
    static CallDecision refuse(CallDecision call, String rule, String why) {
        Decision d = call.decision();
        String rulePath = d.rule() == null ? rule : d.rule();
        return call.with(new Decision(Verdict.APPROVAL_REQUIRED, d.tool(), rulePath, d.reason() + " (" + why + ")", null, 0, d.grant(),
                d.approval()), call.approval() == null || ApprovalTicket.CONSUMED.equals(call.approval().state()) ? null : call.approval());
    }

    private static CompletionStage<EnforcementFilter.Inspection> done(EnforcementFilter.Inspection inspection, List<Integer> asking,
            java.util.function.IntFunction<CallDecision> change) {
        List<CallDecision> decisions = new ArrayList<>(inspection.decisions());
        for (int i : asking) {
            decisions.set(i, change.apply(i));
        }
        return CompletableFuture.completedFuture(new EnforcementFilter.Inspection(List.copyOf(decisions)));
    }

    private static ObjectNode requestBody(CallDecision call, ToolCall toolCall, Caller caller, String session, String policyHash) {
        ApprovalTerms terms = call.decision().approval();
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("policyHash", policyHash);
        body.put("tool", call.tool());
        ObjectNode requester = body.putObject("requester");
        requester.put("subject", caller.subject());
        caller.groups().stream().sorted().forEach(requester.putArray("groups")::add);
        requester.put("source", switch (caller.source()) {
            case HEADER -> "header";
            case JWT -> "jwt";
            case SERVICE_ACCOUNT -> "service-account";
            case ANONYMOUS -> "anonymous";
        });
        body.put("grant", call.decision().grant());
        body.put("session", session);
        body.put("argumentsShown", terms.showArguments());
        if (terms.showArguments()) {
            body.set("arguments", toolCall.arguments() == null ? JsonNodeFactory.instance.objectNode() : toolCall.arguments());
        }
        body.put("argumentsSha256", ArgumentsDigest.sha256Hex(toolCall.arguments()));
        body.put("expiresAfterSeconds", Math.max(1, terms.expiresAfterMillis() / 1000));
        return body;
    }

    private static ObjectNode consumeBody(CallDecision call, Caller caller) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("approval", call.approval().name());
        body.put("subject", caller.subject());
        body.put("tool", call.tool());
        body.put("argumentsSha256", ArgumentsDigest.sha256Hex(call.arguments()));
        return body;
    }

    /** How long a held call waited, by how the hold ended. */
    void held(WaitingCall.Ending how, long millis) {
        io.micrometer.core.instrument.Timer.builder("toolgate.approval.hold")
                .description("Calls held in hold mode until their approval was decided, expired or the hold ran out, by how it ended")
                .tag("outcome", how.label()).register(meters).record(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    void count(String outcome) {
        io.micrometer.core.instrument.Counter.builder("toolgate.approvals")
                .description("Calls that need a human's approval, by what became of them (pending, admitted, rejected, unavailable, ...)")
                .tag("outcome", outcome).register(meters).increment();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || value.isNull() || !value.isTextual() ? null : value.textValue();
    }
}
