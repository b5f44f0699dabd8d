package dev.toolgate.policy;

/**
 * A store's answer for one {@link Demand}.
 *
 * @param kind              whether the demand fits, and if not why
 * @param counterIndex      for anything but {@link Kind#ADMITTED}, the index in {@link Demand#counters()} of the counter
 *                          that refuses (the one that stays exhausted longest); otherwise 0
 * @param retryAfterSeconds for anything but {@link Kind#ADMITTED}, whole seconds (at least 1) until a retry can succeed;
 *                          otherwise 0
 */
public record Admission(Kind kind, int counterIndex, long retryAfterSeconds) {

    /** Whether a demand fits, and if not why. */
    public enum Kind {
        /** Every counter has room. */
        ADMITTED,
        /** A counter is exhausted within its window. */
        EXHAUSTED,
        /** The store tracks as many keys as it may and none can be dropped yet; a new key cannot be counted. */
        STORE_FULL,
        /** The store cannot reach its counts; the call is refused rather than counted nowhere. */
        STORE_UNAVAILABLE
    }

    private static final Admission ADMITTED = new Admission(Kind.ADMITTED, 0, 0);

    public Admission {
        if (kind == null) {
            throw new IllegalArgumentException("kind is required");
        }
        if (kind == Kind.ADMITTED ? counterIndex != 0 || retryAfterSeconds != 0 : counterIndex < 0 || retryAfterSeconds < 1) {
            throw new IllegalArgumentException("admitted takes no counter and no retry-after; a refusal names a counter and waits at least 1 s");
        }
    }

    public static Admission admitted() {
        return ADMITTED;
    }

    public static Admission exhausted(int counterIndex, long retryAfterSeconds) {
        return new Admission(Kind.EXHAUSTED, counterIndex, retryAfterSeconds);
    }

    public static Admission storeFull(int counterIndex, long retryAfterSeconds) {
        return new Admission(Kind.STORE_FULL, counterIndex, retryAfterSeconds);
    }

    public static Admission storeUnavailable(int counterIndex, long retryAfterSeconds) {
        return new Admission(Kind.STORE_UNAVAILABLE, counterIndex, retryAfterSeconds);
    }

    public boolean isAdmitted() {
        return kind == Kind.ADMITTED;
    }
}
