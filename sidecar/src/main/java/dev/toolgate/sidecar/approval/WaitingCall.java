package dev.toolgate.sidecar.approval;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.policy.ArgumentsDigest;
import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * One call kept open while its McpApproval is pending, on Vert.x timers of the request's context, never blocking it:
 * held in hold mode ({@link ApprovalHold}: the approval is looked up on a timer), or asked on its own event stream in
 * elicit mode ({@link AskedOnStream}: looked up when the user answers). What they share: the approval is looked up
 * ({@code /approvals/v1/status}) and its answer ends the wait (approved: the call is decided again and its approval
 * consumed, as in retry mode; rejected: denied with the approver's reason; expired, or used by another call), the wait
 * is bounded ({@link #limitMillis}, shortened to what is left of the approval's own expiry), the client going away or
 * cancelling the request ({@code notifications/cancelled}) ends it and leaves the approval pending, and
 * {@link Progress} is told every progress interval. Every method runs on the request's context.
 */
public abstract sealed class WaitingCall permits ApprovalHold, AskedOnStream {

    /** How a wait ended: the audit line's {@code holdEnded}, the label of {@code toolgate_approval_hold_seconds}. */
    public enum Ending {
        APPROVED("approved"), REJECTED("rejected"), EXPIRED("expired"), TIMEOUT("timeout"), CLIENT_GONE("client_gone"),
        CANCELLED("cancelled"), USED_ELSEWHERE("used_elsewhere"), UNAVAILABLE("unavailable"), DECLINED("declined");

        private final String label;

        Ending(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** Told while a call waits: how long it has waited and the longest it will (both in ms), and for which approval. */
    @FunctionalInterface
    public interface Progress {
        void waiting(long waitedMillis, long holdMillis, ApprovalTicket ticket);
    }

    final ApprovalStep step;
    final Vertx vertx;
    final Context context;
    final CallDecision pending;
    private final ApprovalClient client;
    private final EnforcementFilter.Prepared prepared;
    private final Caller caller;
    private final long progressMillis;
    private final Progress progress;
    private final long start = System.nanoTime();
    /** The bound, shortened to what is left of the approval's own expiry (plus a second, so the last look-up sees it expired). */
    final long holdMillis;
    private final CompletableFuture<EnforcementFilter.Inspection> result = new CompletableFuture<>();
    private long progressTimer = -1;
    /** True once nothing more is to be asked or abandoned: ended, or the approval is being consumed. */
    boolean ended;

    WaitingCall(ApprovalStep step, ApprovalClient client, Vertx vertx, Context context, EnforcementFilter.Prepared prepared,
            CallDecision pending, Caller caller, long limitMillis, Duration progressInterval, Progress progress) {
        this.step = step;
        this.client = client;
        this.vertx = vertx;
        this.context = context;
        this.prepared = prepared;
        this.pending = pending;
        this.caller = caller;
        this.progressMillis = Math.max(100, progressInterval.toMillis());
        this.progress = progress;
        this.holdMillis = limitMillis(limitMillis, pending.approval().expiresAt());
    }

    private static long limitMillis(long limit, String expiresAt) {
        if (expiresAt == null) {
            return limit;
        }
        try {
            long untilExpiry = Instant.parse(expiresAt).toEpochMilli() - System.currentTimeMillis() + 1000;
            return Math.max(0, Math.min(limit, untilExpiry));
        } catch (DateTimeParseException e) {
            return limit;
        }
    }

    /** The longest this call waits, in ms. */
    public long holdMillis() {
        return holdMillis;
    }

    /** Starts waiting; the stage completes (normally) with the body's decisions once the wait ended. */
    public CompletionStage<EnforcementFilter.Inspection> start() {
        context.runOnContext(v -> {
            if (ended) {
                return; // abandoned before it started: the client left while the approval was being filed
            }
            begin();
            if (progress != null && !ended) {
                progressTimer = vertx.setPeriodic(progressMillis, progressMillis, t -> {
                    if (!ended) {
                        progress.waiting(waited(), holdMillis, pending.approval());
                    }
                });
            }
        });
        return result;
    }

    /** The first step of the wait, on the request's context. */
    abstract void begin();

    /** The approval is still pending ({@code due}: the wait has run out). */
    abstract void stillPending(boolean due);

    /** The operator could not be asked ({@code due}: the wait has run out). */
    abstract void unreachable(Throwable failure, boolean due);

    /** Timers of the subclass to stop, and anything to tell the client, once the wait ended with {@code how}. */
    void stopped(Ending how) {
    }

    /** The ticket as the audit line records it. */
    ApprovalTicket recorded(ApprovalTicket ticket) {
        return ticket;
    }

    /** The client went away: stop asking, leave the approval pending (a retry of the same call finds it), record it. */
    public void abandon() {
        if (ended) {
            return;
        }
        step.count("hold_abandoned");
        end(Ending.CLIENT_GONE, pending);
    }

    /**
     * The client cancelled the request ({@code notifications/cancelled} naming its id, in its session): stop asking,
     * leave the approval pending, answer with a refusal the client ignores (it gave the request up). Any thread.
     */
    public void cancel() {
        context.runOnContext(v -> {
            if (ended) {
                return;
            }
            step.count("hold_cancelled");
            end(Ending.CANCELLED, ApprovalStep.refuse(pending, "approval", "the client cancelled the request after "
                    + seconds(waited()) + " of holding it; the approval stays pending: retry the same call to wait again"));
        });
    }

    long waited() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /** Asks the operator where the approval stands; the answer ends the wait or goes to {@link #stillPending}. */
    void lookUp() {
        if (ended) {
            return;
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("approval", pending.approval().name());
        body.put("subject", caller.subject());
        body.put("tool", pending.tool());
        body.put("argumentsSha256", ArgumentsDigest.sha256Hex(pending.arguments()));
        client.call("status", body).whenComplete((answer, failure) -> context.runOnContext(v -> answered(answer, failure)));
    }

    private void answered(JsonNode answer, Throwable failure) {
        if (ended) {
            return;
        }
        boolean due = waited() >= holdMillis;
        if (failure != null) {
            unreachable(failure, due);
            return;
        }
        String state = answer.path("state").asText();
        switch (state) {
            case ApprovalTicket.PENDING -> stillPending(due);
            case ApprovalTicket.APPROVED -> {
                ended = true; // nothing more to ask, nor to abandon: the approval is being used
                stopTimers(Ending.APPROVED);
                CallDecision approved = step.answered(pending, answer);
                step.redecideAndConsume(prepared, List.of(approved), Set.of(0), caller).whenComplete((inspection, fault) ->
                        context.runOnContext(v -> end(Ending.APPROVED, fault != null ? step.unavailable(pending, fault)
                                : inspection.decisions().get(0))));
            }
            case ApprovalTicket.REJECTED -> end(Ending.REJECTED, step.answered(pending, answer));
            case ApprovalTicket.EXPIRED -> end(Ending.EXPIRED, step.answered(pending, answer));
            case ApprovalTicket.CONSUMED -> end(Ending.USED_ELSEWHERE, step.answered(pending, answer));
            default -> end(Ending.UNAVAILABLE, step.unavailable(pending, new IllegalStateException("the operator answered state " + state)));
        }
    }

    void end(Ending how, CallDecision decided) {
        if (result.isDone()) {
            return;
        }
        if (!ended) {
            ended = true;
            stopTimers(how);
        }
        long held = waited();
        step.held(how, held);
        ApprovalTicket ticket = decided.approval() != null ? decided.approval() : pending.approval();
        result.complete(new EnforcementFilter.Inspection(List.of(decided.with(decided.decision(), recorded(ticket).held(held, how.label())))));
    }

    private void stopTimers(Ending how) {
        if (progressTimer >= 0) {
            vertx.cancelTimer(progressTimer);
            progressTimer = -1;
        }
        stopped(how);
    }

    static String seconds(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
