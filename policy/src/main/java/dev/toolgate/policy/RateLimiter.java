package dev.toolgate.policy;

/**
 * Counter state for all limits. Outlives any one {@link Policy}: compile successive policies against the same instance
 * and counters whose definition (name, window, max, scope) is unchanged keep their state across the reload.
 * Thread-safe. CONTRACT STUB.
 */
public final class RateLimiter {

    /** @param maxTrackedKeys bound on tracked (counter, scope key) pairs; the oldest idle keys are evicted first */
    public RateLimiter(int maxTrackedKeys) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** With a default bound of 100,000 tracked keys. */
    public RateLimiter() {
        this(100_000);
    }

    /** Number of (counter, key) pairs currently tracked. */
    public int trackedKeys() {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
