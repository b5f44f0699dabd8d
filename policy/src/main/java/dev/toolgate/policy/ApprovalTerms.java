package dev.toolgate.policy;

/**
 * How a human approves a call of an entry with {@code action: require_approval} (its {@code approval} object).
 *
 * @param mode               how the agent learns of the pending approval: {@code retry}, answered at once, retries the
 *                           same call once approved; {@code hold}, its request is kept open until a human decides (or
 *                           {@code holdForMillis} pass) and then runs or is refused; {@code elicit}, a client of the
 *                           2026-07-28 revision that takes form elicitation is answered "input required" and re-sends
 *                           the call (others are answered as in retry mode)
 * @param expiresAfterMillis how long a request waits for a human, and an approval stays usable, from the request
 * @param showArguments      false: the approver sees only the arguments' digest ({@code arguments: "digest"}), for
 *                           arguments too sensitive to store in the cluster
 * @param holdForMillis      in {@code hold} mode, the longest a request is kept open ({@code hold_for}); 0 in {@code retry} and
 *                           {@code elicit}
 */
public record ApprovalTerms(String mode, long expiresAfterMillis, boolean showArguments, long holdForMillis) {

    public static final String RETRY = "retry";
    public static final String HOLD = "hold";
    public static final String ELICIT = "elicit";
    /** Two minutes: past most clients' default request timeouts, which progress notifications reset. */
    public static final long DEFAULT_HOLD_FOR_MILLIS = 120_000L;
    /** Ten minutes: a held request keeps the agent's connection (and the agent) waiting; past that, retry mode fits better. */
    public static final long MAX_HOLD_FOR_MILLIS = 600_000L;
    /** An hour: long enough for a human to notice, short enough that a forgotten request does not linger. */
    public static final ApprovalTerms DEFAULT = new ApprovalTerms(RETRY, 3_600_000L, true);

    /** Retry mode. */
    public ApprovalTerms(String mode, long expiresAfterMillis, boolean showArguments) {
        this(mode, expiresAfterMillis, showArguments, 0L);
    }

    /** True in hold mode: the request waits for the decision instead of being answered at once. */
    public boolean holds() {
        return HOLD.equals(mode);
    }

    /**
     * True in elicit mode: a client that can take it is answered with the protocol's "input required" result (a form
     * elicitation) instead of an error, and re-sends the call with the answer.
     */
    public boolean elicits() {
        return ELICIT.equals(mode);
    }
}
