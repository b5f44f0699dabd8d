package dev.toolgate.operator.approval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/**
 * A human's decision, set once ({@code kubectl toolgate approve|reject}, or a patch of {@code spec.decision}).
 * {@link #approver} and {@link #decidedAt} are written by the operator's admission webhook from the request, whatever
 * the patch said, so an approver cannot be forged.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ApprovalDecision {

    public enum Verdict {
        @JsonProperty("Approved")
        APPROVED,
        @JsonProperty("Rejected")
        REJECTED
    }

    @Required
    private Verdict verdict;
    /** Why; shown to the agent when rejected. */
    private String reason;
    /** How many identical calls the approval admits (default 1). */
    @Min(1)
    @Max(ApprovalLimits.MAX_USES)
    private Integer uses;
    /** Keep the approval usable this long after the decision ("30m", "2h"; at most 24h), instead of until the request expires. */
    private String validFor;
    /** The Kubernetes user who decided; written by the webhook. */
    private String approver;
    /** RFC 3339; written by the webhook. */
    private String decidedAt;

    public Verdict getVerdict() { return verdict; }
    public void setVerdict(Verdict verdict) { this.verdict = verdict; }
    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
    public Integer getUses() { return uses; }
    public void setUses(Integer uses) { this.uses = uses; }
    public String getValidFor() { return validFor; }
    public void setValidFor(String validFor) { this.validFor = validFor; }
    public String getApprover() { return approver; }
    public void setApprover(String approver) { this.approver = approver; }
    public String getDecidedAt() { return decidedAt; }
    public void setDecidedAt(String decidedAt) { this.decidedAt = decidedAt; }
}
