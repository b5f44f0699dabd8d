package dev.toolgate.operator.approval;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import dev.toolgate.operator.OperatorConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

/**
 * Keeps each McpApproval's {@code status.state} true to its spec and the clock: a human's decision becomes Approved or
 * Rejected (recorded once, with the approver), an unused request or approval becomes Expired when its time is up, and
 * an approval in a final state is deleted after the retention period ({@code toolgate.operator.approvals.retention}).
 * Status is written with the resourceVersion read, never merged, so it cannot undo a use a sidecar just consumed.
 */
@ControllerConfiguration(name = "mcpapproval")
public class McpApprovalReconciler implements Reconciler<McpApproval> {

    private static final Logger LOG = Logger.getLogger(McpApprovalReconciler.class);

    private final KubernetesClient client;
    private final ApprovalRecorder recorder;
    private final Duration retention;
    private final Clock clock = Clock.systemUTC();

    public McpApprovalReconciler(KubernetesClient client, ApprovalRecorder recorder, OperatorConfig config) {
        this.client = client;
        this.recorder = recorder;
        this.retention = config.approvals().retention();
    }

    @Override
    public List<EventSource<?, McpApproval>> prepareEventSources(EventSourceContext<McpApproval> context) {
        recorder.countPendingIn(() -> context.getPrimaryCache().list()
                .filter(approval -> ApprovalState.of(approval, clock.instant()) == ApprovalState.PENDING));
        return List.of();
    }

    @Override
    public UpdateControl<McpApproval> reconcile(McpApproval approval, Context<McpApproval> context) {
        Instant now = clock.instant();
        ApprovalState state = ApprovalState.of(approval, now);
        String written = approval.getStatus() == null ? null : approval.getStatus().getState();
        if (!state.spelling().equals(written)) {
            boolean firstDecision = (state == ApprovalState.APPROVED || state == ApprovalState.REJECTED)
                    && (written == null || ApprovalState.PENDING.spelling().equals(written));
            boolean expiredNow = state == ApprovalState.EXPIRED;
            McpApprovalStatus status = approval.getStatus() == null ? new McpApprovalStatus() : approval.getStatus();
            status.setState(state.spelling());
            if (status.getConsumed() == null) {
                status.setConsumed(0);
            }
            status.setMessage(message(approval, state));
            approval.setStatus(status);
            try {
                client.resource(approval).updateStatus();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409 || e.getCode() == 404) {
                    return UpdateControl.<McpApproval>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
                }
                throw e;
            }
            if (firstDecision) {
                recorder.decided(approval, state);
            } else if (expiredNow) {
                recorder.expired(approval);
            }
        }
        Instant next;
        if (state == ApprovalState.PENDING) {
            next = ApprovalState.expiresAt(approval.getSpec());
        } else if (state == ApprovalState.APPROVED) {
            next = ApprovalState.usableUntil(approval.getSpec());
        } else {
            Instant deleteAt = finalSince(approval).plus(retention);
            if (!now.isBefore(deleteAt)) {
                LOG.infof("McpApproval %s/%s (%s) deleted after the retention period %s", approval.getMetadata().getNamespace(),
                        approval.getMetadata().getName(), state.spelling(), retention);
                client.resource(approval).delete();
                return UpdateControl.noUpdate();
            }
            next = deleteAt;
        }
        Duration wait = Duration.between(now, next).plusSeconds(1);
        return UpdateControl.<McpApproval>noUpdate().rescheduleAfter(wait.isNegative() ? Duration.ofSeconds(1) : wait);
    }

    private static String message(McpApproval approval, ApprovalState state) {
        ApprovalDecision decision = approval.getSpec().getDecision();
        String name = approval.getMetadata().getName() + " -n " + approval.getMetadata().getNamespace();
        return switch (state) {
            case PENDING -> "waiting for a human: kubectl toolgate approve " + name;
            case APPROVED -> "approved by " + decision.getApprover() + "; the agent's next identical call runs";
            case REJECTED -> "rejected by " + decision.getApprover() + (decision.getReason() == null ? "" : ": " + decision.getReason());
            case CONSUMED -> "used: the approved call ran";
            case EXPIRED -> decision == null ? "expired without a decision" : "expired before it was used";
        };
    }

    /** When the approval reached its final state, as well as its fields tell. */
    private static Instant finalSince(McpApproval approval) {
        McpApprovalSpec spec = approval.getSpec();
        return Stream.of(spec.getRequestedAt(), spec.getDecision() == null ? null : spec.getDecision().getDecidedAt(),
                        approval.getStatus() == null ? null : approval.getStatus().getLastConsumedAt())
                .filter(Objects::nonNull).map(Instant::parse)
                .max(Instant::compareTo).map(latest -> {
                    ApprovalState state = ApprovalState.of(approval, Instant.MAX.minusSeconds(1));
                    Instant expiry = ApprovalState.usableUntil(spec);
                    return state == ApprovalState.EXPIRED && expiry.isAfter(latest) ? expiry : latest;
                }).orElse(Instant.EPOCH);
    }
}
