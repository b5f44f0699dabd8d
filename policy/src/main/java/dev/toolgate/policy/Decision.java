package dev.toolgate.policy;

/**
 * The decision for one call.
 *
 * @param verdict           what happens to the call
 * @param tool              the tool name that was decided
 * @param rule              what produced the decision, as a policy path: {@code default}, {@code tools["update_amount"]},
 *                          {@code tools["update_amount"].deny_if[0]}, {@code tools["x"].args}, the limit's path, or the
 *                          same under a grant ({@code grants[0].tools["update_customer"].limits[0]})
 * @param reason            human-readable reason, shown to the agent on anything but {@link Verdict#ALLOWED}
 * @param counter           for {@link Verdict#RATE_LIMITED}, the exhausted counter's name; otherwise {@code null}
 * @param retryAfterSeconds for {@link Verdict#RATE_LIMITED}, whole seconds (≥ 1) until a retry can succeed; otherwise 0
 * @param grant             the name of the grant whose entry decided the call; {@code ""} when the document's own
 *                          {@code tools} or {@code default} decided
 * @param approval          for {@link Verdict#APPROVAL_REQUIRED}, how the approval is asked for; otherwise {@code null}
 * @param enforced          false when the deciding entry (or the document, for its default) is in audit mode
 *                          ({@code "enforcement": "audit"}): the verdict is what would have happened, and the call goes
 *                          ahead whatever it is ({@link #proceeds()})
 */
public record Decision(Verdict verdict, String tool, String rule, String reason, String counter, long retryAfterSeconds,
                       String grant, ApprovalTerms approval, boolean enforced) {

    public Decision {
        if (grant == null) {
            grant = "";
        }
    }

    /** An enforced decision. */
    public Decision(Verdict verdict, String tool, String rule, String reason, String counter, long retryAfterSeconds,
                    String grant, ApprovalTerms approval) {
        this(verdict, tool, rule, reason, counter, retryAfterSeconds, grant, approval, true);
    }

    public Decision(Verdict verdict, String tool, String rule, String reason, String counter, long retryAfterSeconds, String grant) {
        this(verdict, tool, rule, reason, counter, retryAfterSeconds, grant, null);
    }

    /** A decision of the document's own {@code tools} or {@code default} (no grant). */
    public Decision(Verdict verdict, String tool, String rule, String reason, String counter, long retryAfterSeconds) {
        this(verdict, tool, rule, reason, counter, retryAfterSeconds, "");
    }

    /** Whether the verdict is {@link Verdict#ALLOWED} (in audit mode too: the would-be verdict). */
    public boolean allowed() {
        return verdict == Verdict.ALLOWED;
    }

    /** Whether the call goes ahead: it is allowed, or decided in audit mode, whose refusals are only reported. */
    public boolean proceeds() {
        return verdict == Verdict.ALLOWED || !enforced;
    }

    /** A refusal that is only reported: the call was decided in audit mode and would have been refused. */
    public boolean shadowed() {
        return !enforced && verdict != Verdict.ALLOWED;
    }

    /** {@code "enforce"} or {@code "audit"}, the policy's spelling of {@link #enforced()}. */
    public String enforcement() {
        return enforced ? "enforce" : "audit";
    }
}
