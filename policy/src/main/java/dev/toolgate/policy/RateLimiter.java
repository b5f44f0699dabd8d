package dev.toolgate.policy;

/**
 * The {@link InMemoryCounterStore}, under the name the sidecar and the benchmarks construct it by. It adds nothing; new
 * code names {@code InMemoryCounterStore}.
 */
public final class RateLimiter extends InMemoryCounterStore {

    /** @param maxTrackedKeys bound on tracked (counter, scope key) pairs; the oldest idle keys are evicted first */
    public RateLimiter(int maxTrackedKeys) {
        super(maxTrackedKeys);
    }

    /** With a default bound of 100,000 tracked keys. */
    public RateLimiter() {
        super();
    }
}
