package dev.toolgate.operator.approval;

import java.time.Duration;
import java.time.Instant;

/**
 * What an approval means at a given time, from its spec and status alone: so a sidecar asking the operator gets the
 * truth even before the reconciler has written {@code status.state}.
 */
public enum ApprovalState {
    PENDING("Pending"), APPROVED("Approved"), REJECTED("Rejected"), CONSUMED("Consumed"), EXPIRED("Expired");

    private final String spelling;

    ApprovalState(String spelling) {
        this.spelling = spelling;
    }

    public String spelling() {
        return spelling;
    }

    /** Pending and Approved can still change; the others are final. */
    public boolean terminal() {
        return this != PENDING && this != APPROVED;
    }

    public static ApprovalState of(McpApproval approval, Instant now) {
        McpApprovalSpec spec = approval.getSpec();
        ApprovalDecision decision = spec.getDecision();
        if (decision == null || decision.getVerdict() == null) {
            return now.isAfter(expiresAt(spec)) ? EXPIRED : PENDING;
        }
        if (decision.getVerdict() == ApprovalDecision.Verdict.REJECTED) {
            return REJECTED;
        }
        if (consumed(approval) >= uses(decision)) {
            return CONSUMED;
        }
        return now.isAfter(usableUntil(spec)) ? EXPIRED : APPROVED;
    }

    /** How many calls an approval admits: {@code uses}, else unbounded (up to the cap) for a {@code validFor}, else one. */
    public static int uses(ApprovalDecision decision) {
        if (decision.getUses() != null) {
            return Math.min(decision.getUses(), ApprovalLimits.MAX_USES);
        }
        return decision.getValidFor() != null ? ApprovalLimits.MAX_USES : 1;
    }

    public static int consumed(McpApproval approval) {
        return approval.getStatus() == null || approval.getStatus().getConsumed() == null ? 0 : approval.getStatus().getConsumed();
    }

    static Instant expiresAt(McpApprovalSpec spec) {
        return spec.getExpiresAt() == null ? Instant.EPOCH : Instant.parse(spec.getExpiresAt());
    }

    /** The request's expiry, or the decision time plus {@code validFor} (capped at a day) when the approver gave one. */
    public static Instant usableUntil(McpApprovalSpec spec) {
        ApprovalDecision decision = spec.getDecision();
        if (decision != null && decision.getValidFor() != null && decision.getDecidedAt() != null) {
            Duration validFor = ApprovalLimits.parseDuration(decision.getValidFor());
            if (validFor != null) {
                if (validFor.compareTo(ApprovalLimits.MAX_VALID_FOR) > 0) {
                    validFor = ApprovalLimits.MAX_VALID_FOR;
                }
                return Instant.parse(decision.getDecidedAt()).plus(validFor);
            }
        }
        return expiresAt(spec);
    }
}
