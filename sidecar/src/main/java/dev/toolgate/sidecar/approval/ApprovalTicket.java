package dev.toolgate.sidecar.approval;

/**
 * Where a call that needs approval stands, as the operator answered: the McpApproval's name and namespace, its state,
 * until when it counts, and who decided (with their reason).
 */
public record ApprovalTicket(String name, String namespace, String state, String expiresAt, String approver, String reason,
                             String previousState) {

    public static final String PENDING = "Pending";
    public static final String APPROVED = "Approved";
    public static final String REJECTED = "Rejected";
    /** Set by the sidecar once it consumed a use of an approved ticket. */
    public static final String CONSUMED = "Consumed";

    public ApprovalTicket consumed() {
        return new ApprovalTicket(name, namespace, CONSUMED, expiresAt, approver, reason, previousState);
    }

    /** What a human runs to approve it. */
    public String approveCommand() {
        return "kubectl toolgate approve " + name + " -n " + namespace;
    }
}
