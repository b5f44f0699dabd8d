package dev.toolgate.policy;

/** The outcome of deciding one {@code tools/call}. {@link #label()} is the stable name used in metrics, audit logs and JSON-RPC error data. */
public enum Verdict {
    ALLOWED("allowed"),
    DENIED("denied"),
    RATE_LIMITED("rate_limited"),
    INVALID_ARGUMENTS("invalid_arguments"),
    APPROVAL_REQUIRED("approval_required");

    private final String label;

    Verdict(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
