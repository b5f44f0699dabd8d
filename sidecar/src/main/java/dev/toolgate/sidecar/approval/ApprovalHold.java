package dev.toolgate.sidecar.approval;

import java.time.Duration;

import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * One call held in hold mode: its McpApproval is pending, and instead of answering at once the sidecar keeps the request
 * open and looks the approval up every {@code hold-poll-interval}. Besides what ends every {@link WaitingCall}, the hold
 * ends when {@code hold_for} runs out: one last look-up at the deadline, then "still pending, retry". An operator that
 * cannot be reached is asked again until then.
 */
public final class ApprovalHold extends WaitingCall {

    private final long pollMillis;
    private long pollTimer = -1;

    ApprovalHold(ApprovalStep step, ApprovalClient client, Vertx vertx, Context context, EnforcementFilter.Prepared prepared,
            CallDecision pending, Caller caller, Duration pollInterval, Duration progressInterval, Progress progress) {
        super(step, client, vertx, context, prepared, pending, caller, pending.decision().approval().holdForMillis(), progressInterval, progress);
        this.pollMillis = Math.max(50, pollInterval.toMillis());
    }

    @Override
    void begin() {
        schedulePoll();
    }

    private void schedulePoll() {
        long delay = Math.max(1, Math.min(pollMillis, holdMillis - waited()));
        pollTimer = vertx.setTimer(delay, t -> {
            pollTimer = -1;
            lookUp();
        });
    }

    @Override
    void stillPending(boolean due) {
        if (!due) {
            schedulePoll();
            return;
        }
        step.count("hold_timeout");
        end(Ending.TIMEOUT, ApprovalStep.refuse(pending, "approval", "still waiting for a human after " + seconds(waited())
                + " of holding the call; it stays pending: retry the same call to wait again, or once a human approved it"));
    }

    @Override
    void unreachable(Throwable failure, boolean due) {
        if (due) {
            end(Ending.UNAVAILABLE, step.unavailable(pending, failure));
        } else {
            schedulePoll(); // an operator restarting is not a refusal yet: ask again until the hold runs out
        }
    }

    @Override
    void stopped(Ending how) {
        if (pollTimer >= 0) {
            vertx.cancelTimer(pollTimer);
            pollTimer = -1;
        }
    }
}
