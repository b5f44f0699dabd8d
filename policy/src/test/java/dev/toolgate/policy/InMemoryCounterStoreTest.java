package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.assertAtMostMaxPerWindow;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static dev.toolgate.policy.PropertyCheck.forAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@link CounterStoreContract} for {@link InMemoryCounterStore}, and what only it has: a bound on tracked keys. */
class InMemoryCounterStoreTest extends CounterStoreContract {

    @Override
    CounterStore newStore() {
        return new InMemoryCounterStore();
    }

    record Eviction(List<Integer> identities, int bound, int max) {
    }

    @Test
    void evictionNeverLetsAKeyExceedMaxPerWindow() {
        forAll(30, d -> new Eviction(d.listOf(1, 300, e -> e.intBetween(0, 11)), d.intBetween(1, 4), d.intBetween(1, 3)),
                in -> evictionNeverLetsAKeyExceedMaxPerWindow(in.identities(), in.bound(), in.max()));
    }

    private void evictionNeverLetsAKeyExceedMaxPerWindow(List<Integer> identities, int bound, int max) throws Exception {
        InMemoryCounterStore store = new InMemoryCounterStore(bound);
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':1,'max':" + max
                + ",'scope':'identity'}]}}}"), store);
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < identities.size(); i++) {
            calls.add(new Call(identities.get(i), i * 37L, i % 2 == 1)); // 300 calls over ~11 s with a 1 s window: plenty of eviction
        }
        AtomicInteger overBound = new AtomicInteger();
        List<Call> admitted = runConcurrently(calls, c -> {
            boolean ok = allowed(p, c.toolCall(), T0 + c.offset(), c.staged());
            if (store.trackedKeys() > bound) {
                overBound.incrementAndGet();
            }
            return ok;
        });
        assertThat(overBound).hasValue(0);
        for (List<Long> times : offsetsByIdentity(admitted).values()) {
            assertAtMostMaxPerWindow(times, max, 1000);
        }
    }

    @Test
    void aFullStoreRefusesNewKeysWithItsOwnKindOnEitherRoute() throws Exception {
        InMemoryCounterStore store = new InMemoryCounterStore(1);
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':'minute','max':5,"
                + "'scope':'identity'}]}}}"), store);
        assertThat(allowed(p, new ToolCall("t", null, "a", null), T0, false)).isTrue();
        for (boolean staged : new boolean[]{false, true}) {
            Decision refused = decide(p, List.of(new ToolCall("t", null, "b", null)), T0 + 1_000, staged).get(0);
            assertThat(refused).isEqualTo(new Decision(Verdict.RATE_LIMITED, "t", "tools[\"t\"].limits[0]", Policy.LIMITER_FULL, "c", 59));
        }
        List<Demand> demands = List.of(new Demand(List.of(store.bind(new LimitDefinition("c", 60_000, 5, Scope.IDENTITY))), "b", null));
        assertThat(store.acquire(demands, T0 + 1_000, true).toCompletableFuture().getNow(null))
                .containsExactly(Admission.storeFull(0, 59));
    }

    @Test
    void aCounterBoundToAnotherStoreIsRejected() {
        InMemoryCounterStore store = new InMemoryCounterStore();
        CounterRef foreign = new InMemoryCounterStore().bind(new LimitDefinition("c", 60_000, 1, Scope.GLOBAL));
        assertThatThrownBy(() -> store.acquire(List.of(new Demand(List.of(foreign), "a", null)), T0, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not bound to this store");
    }

    @Test
    void theStoreAnswersAtOnce() {
        InMemoryCounterStore store = new InMemoryCounterStore();
        assertThat(store.acquire(List.of(), T0, true).toCompletableFuture()).isCompletedWithValue(List.of());
    }
}
