package dev.toolgate.policy.redis;

import dev.toolgate.policy.Admission;
import dev.toolgate.policy.CounterRef;
import dev.toolgate.policy.CounterStore;
import dev.toolgate.policy.Demand;
import dev.toolgate.policy.LimitDefinition;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A shared store with a local one behind it: while the shared store answers {@link Admission.Kind#STORE_UNAVAILABLE},
 * the call is counted in {@code fallback} instead (each sidecar then enforces the limits on its own, so N replicas admit
 * up to N × max until the shared store is back). Never an unlimited pass. The fallback's counts are its own: they are
 * not carried into the shared store when it recovers.
 */
public final class FallbackCounterStore implements CounterStore {

    /** Told of every acquisition the fallback decided. */
    public interface Listener {
        void fellBack();
    }

    private final CounterStore shared;
    private final CounterStore fallback;
    private final Listener listener;

    public FallbackCounterStore(CounterStore shared, CounterStore fallback, Listener listener) {
        this.shared = shared;
        this.fallback = fallback;
        this.listener = listener == null ? () -> {
        } : listener;
    }

    @Override
    public CounterRef bind(LimitDefinition definition) {
        return new Both(this, shared.bind(definition), fallback.bind(definition));
    }

    @Override
    public CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume) {
        return shared.acquire(demands.stream().map(d -> rebind(d, true)).toList(), nowMillis, consume).thenCompose(admissions -> {
            if (admissions.stream().noneMatch(a -> a.kind() == Admission.Kind.STORE_UNAVAILABLE)) {
                return java.util.concurrent.CompletableFuture.completedFuture(admissions);
            }
            listener.fellBack();
            return fallback.acquire(demands.stream().map(d -> rebind(d, false)).toList(), nowMillis, consume);
        });
    }

    private Demand rebind(Demand demand, boolean toShared) {
        List<CounterRef> counters = demand.counters().stream().map(ref -> {
            if (ref instanceof Both both && both.store == this) {
                return toShared ? both.shared : both.fallback;
            }
            throw new IllegalArgumentException("counter " + ref + " is not bound to this store");
        }).toList();
        return new Demand(counters, demand.grant(), demand.subject(), demand.session());
    }

    private record Both(FallbackCounterStore store, CounterRef shared, CounterRef fallback) implements CounterRef {
        @Override
        public String toString() {
            return shared.toString();
        }
    }
}
