package dev.toolgate.policy;

/**
 * How a human approves a call of an entry with {@code action: require_approval} (its {@code approval} object).
 *
 * @param mode              how the agent learns of the pending approval; {@code retry} is the one mode: it is answered at
 *                          once and retries the same call once approved
 * @param expiresAfterMillis how long a request waits for a human, and an approval stays usable, from the request
 * @param showArguments     false: the approver sees only the arguments' digest ({@code arguments: "digest"}), for
 *                          arguments too sensitive to store in the cluster
 */
public record ApprovalTerms(String mode, long expiresAfterMillis, boolean showArguments) {

    public static final String RETRY = "retry";
    /** An hour: long enough for a human to notice, short enough that a forgotten request does not linger. */
    public static final ApprovalTerms DEFAULT = new ApprovalTerms(RETRY, 3_600_000L, true);
}
