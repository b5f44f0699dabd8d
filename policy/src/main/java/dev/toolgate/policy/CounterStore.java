package dev.toolgate.policy;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Where rate-limit counters live. A store outlives any one {@link Policy}: compile successive policies against the same
 * store and counters whose {@link LimitDefinition} is unchanged keep their counts across the reload. Implementations
 * are thread-safe.
 *
 * <p>A decision uses a store in two steps: {@link Policy#compile} binds each counter definition once ({@link #bind}),
 * and each call or batch then acquires its {@link Demand}s together ({@link #acquire}); see {@link Policy#evaluate}.
 */
public interface CounterStore {

    /**
     * This store's handle for the counts of {@code definition}; every binding of an equal definition shares the same
     * counts. Only this store understands the handle.
     */
    CounterRef bind(LimitDefinition definition);

    /**
     * Checks the demands of one request together, in order, each fitting demand counting against the later ones (two
     * demands on one counter and scope key need two units), and — when {@code consume} is true and every demand fits —
     * records them all; otherwise records nothing. A demand that does not fit takes nothing from the demands after it.
     * No interval of a counter's window length ever holds more than its {@code max} recorded units, whatever the order
     * of timestamps across concurrent callers.
     *
     * <p>The stage completes normally with one {@link Admission} per demand, in order; a store that cannot reach its
     * counts answers {@link Admission.Kind#STORE_UNAVAILABLE} (fail closed) rather than completing exceptionally.
     *
     * @param nowMillis the time of the request, epoch milliseconds
     * @param consume   false to only check (a request already refused for another reason)
     */
    CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume);
}
