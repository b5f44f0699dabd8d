package dev.toolgate.sidecar.approval;

/**
 * Where a call that needs approval stands, as the operator answered: the McpApproval's name and namespace, its state,
 * until when it counts, and who decided (with their reason). For a call held in hold mode also how long it was held and
 * how the hold ended ({@code heldMillis} -1 and {@code holdEnded} null otherwise). In elicit mode also where the
 * elicitation stands ({@code elicitation}: {@link #ASKED} when the client was answered "input required",
 * {@link #ANSWERED} when it re-sent the call with its answer; null otherwise).
 */
public record ApprovalTicket(String name, String namespace, String state, String expiresAt, String approver, String reason,
                             String previousState, long heldMillis, String holdEnded, String elicitation) {

    public static final String PENDING = "Pending";
    public static final String APPROVED = "Approved";
    public static final String REJECTED = "Rejected";
    public static final String EXPIRED = "Expired";
    /** Set by the sidecar once it consumed a use of an approved ticket; the operator's state once every use is taken. */
    public static final String CONSUMED = "Consumed";
    /** Elicit mode: the client was answered with an elicitation. */
    public static final String ASKED = "asked";
    /** Elicit mode: the client re-sent the call with its answer to the elicitation. */
    public static final String ANSWERED = "answered";

    public ApprovalTicket(String name, String namespace, String state, String expiresAt, String approver, String reason,
            String previousState) {
        this(name, namespace, state, expiresAt, approver, reason, previousState, -1, null, null);
    }

    public ApprovalTicket consumed() {
        return new ApprovalTicket(name, namespace, CONSUMED, expiresAt, approver, reason, previousState, heldMillis, holdEnded, elicitation);
    }

    /** The same ticket, recorded as kept open for {@code millis} and ended by {@code how} ({@link WaitingCall.Ending}). */
    public ApprovalTicket held(long millis, String how) {
        return new ApprovalTicket(name, namespace, state, expiresAt, approver, reason, previousState, millis, how, elicitation);
    }

    /** The same ticket, recorded with where its elicitation stands ({@link #ASKED}, {@link #ANSWERED}). */
    public ApprovalTicket elicited(String how) {
        return new ApprovalTicket(name, namespace, state, expiresAt, approver, reason, previousState, heldMillis, holdEnded, how);
    }

    public boolean wasHeld() {
        return heldMillis >= 0;
    }

    /** What a human runs to approve it. */
    public String approveCommand() {
        return "kubectl toolgate approve " + name + " -n " + namespace;
    }
}
