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
 * One call held in hold mode: its McpApproval is pending, and instead of answering at once the sidecar keeps the request
 * open and looks the approval up ({@code /approvals/v1/status}) every {@code hold-poll-interval}, on Vert.x timers of the
 * request's context, never blocking it. The hold ends at the first of: a decision (approved: the call is decided again
 * and its approval consumed, as in retry mode; rejected: denied with the approver's reason), the approval expiring, the
 * approval used by another call, {@code hold_for} running out (one last look-up at the deadline, then "still pending,
 * retry"), the client going away, or the client cancelling the request ({@code notifications/cancelled}; in both
 * cases nothing more is asked and the approval stays pending for a retry). While it waits,
 * {@link Progress} is told every {@code hold-progress-interval}. Every method runs on the request's context.
 */
public final class ApprovalHold {

    /** How a hold ended: the audit line's {@code holdEnded}, the label of {@code toolgate_approval_hold_seconds}. */
    public enum Ending {
        APPROVED("approved"), REJECTED("rejected"), EXPIRED("expired"), TIMEOUT("timeout"), CLIENT_GONE("client_gone"),
        CANCELLED("cancelled"), USED_ELSEWHERE("used_elsewhere"), UNAVAILABLE("unavailable");

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

    private final ApprovalStep step;
    private final ApprovalClient client;
    private final Vertx vertx;
    private final Context context;
    private final EnforcementFilter.Prepared prepared;
    private final CallDecision pending;
    private final Caller caller;
    private final long pollMillis;
    private final long progressMillis;
    private final Progress progress;
    private final long start = System.nanoTime();
    /** hold_for, shortened to what is left of the approval's own expiry (plus a second, so the last look-up sees it expired). */
    private final long holdMillis;
    private final CompletableFuture<EnforcementFilter.Inspection> result = new CompletableFuture<>();
    private long pollTimer = -1;
    private long progressTimer = -1;
    private boolean ended;

    ApprovalHold(ApprovalStep step, ApprovalClient client, Vertx vertx, Context context, EnforcementFilter.Prepared prepared,
            CallDecision pending, Caller caller, Duration pollInterval, Duration progressInterval, Progress progress) {
        this.step = step;
        this.client = client;
        this.vertx = vertx;
        this.context = context;
        this.prepared = prepared;
        this.pending = pending;
        this.caller = caller;
        this.pollMillis = Math.max(50, pollInterval.toMillis());
        this.progressMillis = Math.max(100, progressInterval.toMillis());
        this.progress = progress;
        this.holdMillis = holdMillis(pending.decision().approval().holdForMillis(), pending.approval().expiresAt());
    }

    private static long holdMillis(long holdFor, String expiresAt) {
        if (expiresAt == null) {
            return holdFor;
        }
        try {
            long untilExpiry = Instant.parse(expiresAt).toEpochMilli() - System.currentTimeMillis() + 1000;
            return Math.max(0, Math.min(holdFor, untilExpiry));
        } catch (DateTimeParseException e) {
            return holdFor;
        }
    }

    /** The longest this hold waits, in ms. */
    public long holdMillis() {
        return holdMillis;
    }

    /** Starts waiting; the stage completes (normally) with the body's decisions once the hold ended. */
    public CompletionStage<EnforcementFilter.Inspection> start() {
        context.runOnContext(v -> {
            if (ended) {
                return; // abandoned before it started: the client left while the approval was being filed
            }
            schedulePoll();
            if (progress != null) {
                progressTimer = vertx.setPeriodic(progressMillis, progressMillis, t -> {
                    if (!ended) {
                        progress.waiting(waited(), holdMillis, pending.approval());
                    }
                });
            }
        });
        return result;
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

    private long waited() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private void schedulePoll() {
        long delay = Math.max(1, Math.min(pollMillis, holdMillis - waited()));
        pollTimer = vertx.setTimer(delay, t -> {
            pollTimer = -1;
            poll();
        });
    }

    private void poll() {
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
            if (due) {
                end(Ending.UNAVAILABLE, step.unavailable(pending, failure));
            } else {
                schedulePoll(); // an operator restarting is not a refusal yet: ask again until the hold runs out
            }
            return;
        }
        String state = answer.path("state").asText();
        switch (state) {
            case ApprovalTicket.PENDING -> {
                if (due) {
                    step.count("hold_timeout");
                    end(Ending.TIMEOUT, ApprovalStep.refuse(pending, "approval", "still waiting for a human after " + seconds(waited())
                            + " of holding the call; it stays pending: retry the same call to wait again, or once a human approved it"));
                } else {
                    schedulePoll();
                }
            }
            case ApprovalTicket.APPROVED -> {
                ended = true; // nothing more to ask, nor to abandon: the approval is being used
                stopTimers();
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

    private void end(Ending how, CallDecision decided) {
        if (result.isDone()) {
            return;
        }
        ended = true;
        stopTimers();
        long held = waited();
        step.held(how, held);
        ApprovalTicket ticket = decided.approval() != null ? decided.approval() : pending.approval();
        result.complete(new EnforcementFilter.Inspection(List.of(decided.with(decided.decision(), ticket.held(held, how.label())))));
    }

    private void stopTimers() {
        if (pollTimer >= 0) {
            vertx.cancelTimer(pollTimer);
            pollTimer = -1;
        }
        if (progressTimer >= 0) {
            vertx.cancelTimer(progressTimer);
            progressTimer = -1;
        }
    }

    private static String seconds(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
