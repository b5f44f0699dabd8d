package dev.toolgate.operator.approval;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.KubernetesEvents;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Everything an approval's life leaves behind, in one place: an audit line (JSON, logger {@code toolgate.audit}) for
 * requested, approved, rejected, consumed and expired, with the approver; an Event on the McpPolicy; the metrics
 * {@code toolgate_operator_approvals_total{outcome}}, the gauge {@code toolgate_operator_approvals_pending} and the
 * histogram {@code toolgate_operator_approval_decision_seconds}.
 */
@ApplicationScoped
public class ApprovalRecorder {

    private static final Logger AUDIT = Logger.getLogger("toolgate.audit");

    private final KubernetesEvents events;
    private final MeterRegistry meters;
    private final ApprovalNotifier notifier;
    private final Timer timeToDecision;
    /** The approvals pending now, from the reconciler's cache. */
    private volatile Supplier<Stream<McpApproval>> pending = Stream::empty;

    public ApprovalRecorder(KubernetesEvents events, MeterRegistry meters, ApprovalNotifier notifier) {
        this.events = events;
        this.notifier = notifier;
        this.meters = meters;
        Gauge.builder("toolgate.operator.approvals.pending", this, recorder -> recorder.pending.get().count())
                .description("McpApprovals waiting for a human's decision").register(meters);
        this.timeToDecision = Timer.builder("toolgate.operator.approval.decision")
                .description("From an approval's request to a human's decision").publishPercentileHistogram(false)
                .serviceLevelObjectives(Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
                        Duration.ofHours(1), Duration.ofHours(4), Duration.ofDays(1))
                .register(meters);
    }

    void requested(McpApproval approval, SidecarAuthenticator.SidecarPod pod) {
        ObjectNode line = line("requested", approval);
        line.put("pod", pod.name());
        line.put("expiresAt", approval.getSpec().getExpiresAt());
        emit(line);
        count("requested");
        notifier.requested(approval);
        events.normal(policyOf(approval), "ApprovalRequested", approval.getSpec().getRequester().getSubject() + " asks to call "
                + approval.getSpec().getTool() + ": kubectl toolgate approve " + approval.getMetadata().getName() + " -n "
                + approval.getMetadata().getNamespace());
    }

    void consumed(McpApproval approval, SidecarAuthenticator.SidecarPod pod) {
        ObjectNode line = line("consumed", approval);
        line.put("pod", pod.name());
        line.put("consumed", ApprovalState.consumed(approval));
        line.put("uses", ApprovalState.uses(approval.getSpec().getDecision()));
        emit(line);
        count("consumed");
    }

    /** The reconciler saw a human's decision for the first time. */
    void decided(McpApproval approval, ApprovalState state) {
        ApprovalDecision decision = approval.getSpec().getDecision();
        ObjectNode line = line(state == ApprovalState.REJECTED ? "rejected" : "approved", approval);
        line.put("approver", decision.getApprover());
        if (decision.getReason() != null) {
            line.put("reason", decision.getReason());
        }
        emit(line);
        count(state == ApprovalState.REJECTED ? "rejected" : "approved");
        if (decision.getDecidedAt() != null && approval.getSpec().getRequestedAt() != null) {
            Duration waited = Duration.between(Instant.parse(approval.getSpec().getRequestedAt()), Instant.parse(decision.getDecidedAt()));
            timeToDecision.record(waited.isNegative() ? Duration.ZERO : waited);
        }
        notifier.ended(approval, state);
        String verb = state == ApprovalState.REJECTED ? "rejected" : "approved";
        events.normal(policyOf(approval), state == ApprovalState.REJECTED ? "ApprovalRejected" : "ApprovalGranted",
                decision.getApprover() + " " + verb + " " + approval.getMetadata().getName() + " (" + approval.getSpec().getTool() + " for "
                        + approval.getSpec().getRequester().getSubject() + ")" + (decision.getReason() == null ? "" : ": " + decision.getReason()));
    }

    void expired(McpApproval approval) {
        emit(line("expired", approval));
        count("expired");
        if (approval.getSpec().getDecision() == null) {
            notifier.ended(approval, ApprovalState.EXPIRED);
        }
        events.normal(policyOf(approval), "ApprovalExpired", approval.getMetadata().getName() + " (" + approval.getSpec().getTool()
                + " for " + approval.getSpec().getRequester().getSubject() + ") expired without being used");
    }

    /** Where the pending gauge counts from. */
    void countPendingIn(Supplier<Stream<McpApproval>> source) {
        this.pending = source;
    }

    private ObjectNode line(String event, McpApproval approval) {
        ObjectNode line = ApprovalService.JSON.createObjectNode();
        line.put("ts", Instant.now().toString());
        line.put("event", "approval_" + event);
        line.put("approval", approval.getMetadata().getName());
        line.put("namespace", approval.getMetadata().getNamespace());
        line.put("policy", approval.getSpec().getPolicy());
        line.put("policyHash", approval.getSpec().getPolicyHash());
        line.put("tool", approval.getSpec().getTool());
        line.put("requester", approval.getSpec().getRequester().getSubject());
        if (approval.getSpec().getRequester().getGrant() != null) {
            line.put("grant", approval.getSpec().getRequester().getGrant());
        }
        line.put("argumentsSha256", approval.getSpec().getArgumentsSha256());
        return line;
    }

    private void emit(ObjectNode line) {
        AUDIT.info(line.toString());
    }

    private void count(String outcome) {
        meters.counter("toolgate.operator.approvals", "outcome", outcome).increment();
    }

    /** A reference to the approval's McpPolicy, enough to record an Event about it. */
    private static McpPolicy policyOf(McpApproval approval) {
        McpPolicy policy = new McpPolicy();
        String uid = null;
        if (approval.getMetadata().getOwnerReferences() != null) {
            for (OwnerReference owner : approval.getMetadata().getOwnerReferences()) {
                if ("McpPolicy".equals(owner.getKind())) {
                    uid = owner.getUid();
                }
            }
        }
        policy.setMetadata(new ObjectMetaBuilder().withName(approval.getSpec().getPolicy()).withNamespace(approval.getMetadata().getNamespace())
                .withUid(uid).build());
        return policy;
    }
}
