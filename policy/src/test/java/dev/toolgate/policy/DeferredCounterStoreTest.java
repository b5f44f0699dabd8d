package dev.toolgate.policy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The {@link CounterStoreContract} for a store that answers on another thread, as a remote store does: shows that the
 * contract runs on the staged route alone ({@link #answersAtOnce()} false).
 */
class DeferredCounterStoreTest extends CounterStoreContract {

    @Override
    CounterStore newStore() {
        return new DeferredCounterStore();
    }

    @Override
    boolean answersAtOnce() {
        return false;
    }

    /** An in-memory store whose answers complete on a pool thread, after {@code acquire} has returned. */
    static final class DeferredCounterStore implements CounterStore {
        private static final ExecutorService ANSWERING = Executors.newFixedThreadPool(2, r -> {
            Thread thread = new Thread(r, "deferred-counter-store");
            thread.setDaemon(true);
            return thread;
        });

        private final InMemoryCounterStore counts = new InMemoryCounterStore();

        @Override
        public CounterRef bind(LimitDefinition definition) {
            return counts.bind(definition);
        }

        @Override
        public CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume) {
            return CompletableFuture.supplyAsync(() -> counts.acquireNow(demands, nowMillis, consume), ANSWERING);
        }
    }
}
