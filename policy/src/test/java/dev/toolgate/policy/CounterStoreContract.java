package dev.toolgate.policy;

import dev.toolgate.policy.PropertyCheck.Draw;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.assertAtMostMaxPerWindow;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static dev.toolgate.policy.PropertyCheck.forAll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link CounterStore} guarantees, checked through policies that count in it: exact sliding windows under
 * concurrency and out-of-order timestamps, all-or-nothing acquisition across counters, and batches that consume only
 * when every call fits, racing single calls on shared counters. A store's test extends this class and gives the store.
 *
 * <p>Every call or batch draws its route: {@code decide}/{@code decideAll}, or {@code evaluate → acquire → complete}
 * (the only route for a store that answers later). Properties are checked offline from the admitted timestamps. Tries
 * are modest: CI has two cores.
 */
abstract class CounterStoreContract {

    static final int THREADS = 4;

    /** A fresh, empty store. */
    abstract CounterStore newStore();

    /** False for a store whose stage completes after {@code acquire} returns: its decisions all take the staged route. */
    boolean answersAtOnce() {
        return true;
    }

    /** The decisions for one request, by the synchronous conveniences or by the two phases with the store in between. */
    final List<Decision> decide(Policy policy, List<ToolCall> calls, long now, boolean staged) throws Exception {
        if (staged || !answersAtOnce()) {
            Evaluation evaluation = policy.evaluate(calls);
            return policy.limiter().acquire(evaluation.demands(), now, evaluation.mayConsume())
                    .thenApply(evaluation::complete)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        return calls.size() == 1 ? List.of(policy.decide(calls.get(0), now)) : policy.decideAll(calls, now);
    }

    final boolean allowed(Policy policy, ToolCall call, long now, boolean staged) throws Exception {
        return decide(policy, List.of(call), now, staged).get(0).allowed();
    }

    // ---- single calls

    /** A call: who, when (ms after T0), and by which route it is decided. */
    record Call(int identity, long offset, boolean staged) {
        ToolCall toolCall() {
            return new ToolCall("t", null, "id" + identity, null);
        }
    }

    static List<Call> calls(Draw d) {
        return d.listOf(1, 300, e -> new Call(e.intBetween(0, 3), e.longBetween(0, 5_000), e.bool()));
    }

    record Concurrent(List<Call> calls, int max, int windowSeconds) {
    }

    @Test
    void noIntervalOfWindowLengthEverAdmitsMoreThanMaxUnderConcurrency() {
        forAll(40, d -> new Concurrent(calls(d), d.intBetween(1, 6), d.intBetween(1, 3)),
                in -> noIntervalOfWindowLengthEverAdmitsMoreThanMaxUnderConcurrency(in.calls(), in.max(), in.windowSeconds()));
    }

    private void noIntervalOfWindowLengthEverAdmitsMoreThanMaxUnderConcurrency(List<Call> calls, int max, int windowSeconds)
            throws Exception {
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':" + windowSeconds
                + ",'max':" + max + ",'scope':'identity'}]}}}"), newStore());
        // offsets are spread over 5 s while windows are 1-3 s, and threads race: calls arrive out of timestamp order
        List<Call> admitted = runConcurrently(calls, c -> allowed(p, c.toolCall(), T0 + c.offset(), c.staged()));
        for (List<Long> times : offsetsByIdentity(admitted).values()) {
            assertAtMostMaxPerWindow(times, max, windowSeconds * 1000L);
        }
    }

    record Step(int gap, boolean staged) {
    }

    record Gaps(List<Step> gaps, int max) {
    }

    @Test
    void inTimestampOrderTheLimiterAdmitsExactlyWhatASlidingWindowAllows() {
        forAll(40, d -> new Gaps(d.listOf(1, 200, e -> new Step(e.intBetween(0, 400), e.bool())), d.intBetween(1, 5)),
                in -> inTimestampOrderTheLimiterAdmitsExactlyWhatASlidingWindowAllows(in.gaps(), in.max()));
    }

    private void inTimestampOrderTheLimiterAdmitsExactlyWhatASlidingWindowAllows(List<Step> gaps, int max) throws Exception {
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':1,'max':" + max
                + ",'scope':'global'}]}}}"), newStore());
        List<Long> reference = new ArrayList<>();
        long t = T0;
        for (Step step : gaps) {
            t += step.gap();
            long now = t;
            boolean expected = reference.stream().filter(s -> s > now - 1000).count() < max;
            if (expected) {
                reference.add(now);
            }
            assertThat(allowed(p, new ToolCall("t", null, "a", null), now, step.staged())).isEqualTo(expected);
        }
    }

    record TwoLimits(List<Call> calls, int perIdentity, int global) {
    }

    @Test
    void aRejectedCallConsumesNothingAcrossTwoLimits() {
        forAll(30, d -> new TwoLimits(calls(d), d.intBetween(1, 4), d.intBetween(2, 8)),
                in -> aRejectedCallConsumesNothingAcrossTwoLimits(in.calls(), in.perIdentity(), in.global()));
    }

    private void aRejectedCallConsumesNothingAcrossTwoLimits(List<Call> calls, int perIdentity, int global) throws Exception {
        String doc = "{'version':'1','default':'deny','limits':[{'counter':'all','window':1,'max':" + global + ",'scope':'global'}],"
                + "'tools':{'t':{'limits':[{'counter':'mine','window':1,'max':" + perIdentity + ",'scope':'identity'}]}}}";
        // sequential, in timestamp order: compare against a model where only fully admitted calls consume
        List<Call> sorted = new ArrayList<>(calls);
        sorted.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        Policy p = Policy.load(q(doc), newStore());
        List<Long> globalModel = new ArrayList<>();
        Map<Integer, List<Long>> identityModel = new HashMap<>();
        for (Call c : sorted) {
            long now = T0 + c.offset();
            List<Long> mine = identityModel.computeIfAbsent(c.identity(), k -> new ArrayList<>());
            boolean expected = count(globalModel, now) < global && count(mine, now) < perIdentity;
            if (expected) {
                globalModel.add(now);
                mine.add(now);
            }
            assertThat(allowed(p, c.toolCall(), now, c.staged())).isEqualTo(expected);
        }
        // concurrent: both counters hold, and every admission consumed both (per-identity counts sum to the global count)
        Policy concurrent = Policy.load(q(doc), newStore());
        List<Call> admitted = runConcurrently(calls, c -> allowed(concurrent, c.toolCall(), T0 + c.offset(), c.staged()));
        List<Long> all = admitted.stream().map(Call::offset).toList();
        assertAtMostMaxPerWindow(all, global, 1000);
        for (List<Long> times : offsetsByIdentity(admitted).values()) {
            assertAtMostMaxPerWindow(times, perIdentity, 1000);
        }
    }

    static Map<Integer, List<Long>> offsetsByIdentity(List<Call> calls) {
        Map<Integer, List<Long>> byIdentity = new HashMap<>();
        for (Call c : calls) {
            byIdentity.computeIfAbsent(c.identity(), k -> new ArrayList<>()).add(c.offset());
        }
        return byIdentity;
    }

    // ---- batches racing single calls on shared counters

    /** A global counter every call shares, and a per-identity one for 't'; 'u' counts only globally; 'bad' is denied. */
    private static final String TOOLS = "{'version':'1','default':'deny','limits':[{'counter':'all','window':1,'max':%d,'scope':'global'}],"
            + "'tools':{'t':{'limits':[{'counter':'mine','window':1,'max':%d,'scope':'identity'}]},'u':{},'bad':{'action':'deny'}}}";

    /** One request: its calls' tools, one identity, a time in ms after T0, and its route. A batch of one is a single call. */
    record Batch(List<String> tools, int identity, long offset, boolean staged) {
        List<ToolCall> calls() {
            return tools.stream().map(tool -> new ToolCall(tool, null, "id" + identity, null)).toList();
        }
    }

    final boolean admitted(Policy policy, Batch batch) throws Exception {
        return decide(policy, batch.calls(), T0 + batch.offset(), batch.staged()).stream().allMatch(Decision::allowed);
    }

    private static final int[] TOOL_WEIGHTS = {6, 3, 1};
    private static final List<String> TOOL_NAMES = List.of("t", "u", "bad");

    static List<Batch> batches(Draw d) {
        return d.listOf(1, 150, b -> new Batch(b.listOf(1, 4, t -> t.weighted(TOOL_WEIGHTS, TOOL_NAMES)), b.intBetween(0, 2),
                b.longBetween(0, 4_000), b.bool()));
    }

    record Input(List<Batch> batches, int global, int perIdentity) {
    }

    static Input input(Draw d) {
        return new Input(batches(d), d.intBetween(1, 6), d.intBetween(1, 3));
    }

    @Test
    void inTimestampOrderABatchIsAdmittedExactlyWhenAllItsUnitsFitAndARefusedOneConsumesNothing() {
        forAll(40, CounterStoreContract::input,
                in -> inTimestampOrderABatchIsAdmittedExactlyWhenAllItsUnitsFitAndARefusedOneConsumesNothing(in.batches(), in.global(),
                        in.perIdentity()));
    }

    private void inTimestampOrderABatchIsAdmittedExactlyWhenAllItsUnitsFitAndARefusedOneConsumesNothing(
            List<Batch> batches, int global, int perIdentity) throws Exception {
        Policy p = Policy.load(q(String.format(TOOLS, global, perIdentity)), newStore());
        List<Batch> sorted = new ArrayList<>(batches);
        sorted.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        // the model: only admitted batches consume, one unit per call of each counter it needs
        List<Long> all = new ArrayList<>();
        Map<Integer, List<Long>> mine = new HashMap<>();
        for (Batch b : sorted) {
            long now = T0 + b.offset();
            long tCalls = b.tools().stream().filter("t"::equals).count();
            List<Long> own = mine.computeIfAbsent(b.identity(), k -> new ArrayList<>());
            boolean expected = !b.tools().contains("bad")
                    && count(all, now) + b.tools().size() <= global
                    && count(own, now) + tCalls <= perIdentity;
            if (expected) {
                for (String tool : b.tools()) {
                    all.add(now);
                    if (tool.equals("t")) {
                        own.add(now);
                    }
                }
            }
            assertThat(admitted(p, b)).as("%s with %s global and %s own in the window", b, count(all, now), count(own, now))
                    .isEqualTo(expected);
        }
    }

    @Test
    void racingBatchesAndSingleCallsNeverAdmitMoreThanMaxUnitsInAnyWindow() {
        forAll(40, CounterStoreContract::input,
                in -> racingBatchesAndSingleCallsNeverAdmitMoreThanMaxUnitsInAnyWindow(in.batches(), in.global(), in.perIdentity()));
    }

    private void racingBatchesAndSingleCallsNeverAdmitMoreThanMaxUnitsInAnyWindow(List<Batch> batches, int global,
            int perIdentity) throws Exception {
        Policy p = Policy.load(q(String.format(TOOLS, global, perIdentity)), newStore());
        // offsets spread over 4 s with a 1 s window, four threads: batches and single calls arrive out of timestamp order
        List<Batch> admitted = runConcurrently(batches, b -> admitted(p, b));
        List<Long> all = new ArrayList<>();
        Map<Integer, List<Long>> mine = new HashMap<>();
        for (Batch b : admitted) {
            assertThat(b.tools()).as("a batch with a denied call is never admitted").doesNotContain("bad");
            for (String tool : b.tools()) {
                all.add(b.offset());
                if (tool.equals("t")) {
                    mine.computeIfAbsent(b.identity(), k -> new ArrayList<>()).add(b.offset());
                }
            }
        }
        assertAtMostMaxPerWindow(all, global, 1000);
        for (List<Long> times : mine.values()) {
            assertAtMostMaxPerWindow(times, perIdentity, 1000);
        }
    }

    @Test
    void refusedBatchesRacingEachOtherLeaveEveryUnitFree() {
        forAll(20, d -> new Input(batches(d), d.intBetween(1, 6), 0),
                in -> refusedBatchesRacingEachOtherLeaveEveryUnitFree(in.batches(), in.global()));
    }

    private void refusedBatchesRacingEachOtherLeaveEveryUnitFree(List<Batch> batches, int global) throws Exception {
        Policy p = Policy.load(q(String.format(TOOLS, global, 1_000)), newStore());
        List<Batch> refused = new ArrayList<>();
        for (Batch b : batches) {
            List<String> tools = new ArrayList<>(b.tools());
            tools.add(tools.size() / 2, "bad"); // every batch carries a denied call
            refused.add(new Batch(tools, b.identity(), 0, b.staged()));
        }
        assertThat(runConcurrently(refused, b -> admitted(p, b))).isEmpty();
        // all of them at one instant on one counter, yet the whole budget is still there
        for (int i = 0; i < global; i++) {
            assertThat(allowed(p, new ToolCall("u", null, "x", null), T0, i % 2 == 1)).as("unit %d of %d", i + 1, global).isTrue();
        }
        assertThat(allowed(p, new ToolCall("u", null, "x", null), T0, false)).isFalse();
        assertThat(allowed(p, new ToolCall("u", null, "x", null), T0, true)).isFalse();
    }

    // ---- the store itself

    private static final LimitDefinition ONE_PER_MINUTE = new LimitDefinition("c", 60_000, 1, Scope.IDENTITY);

    final List<Admission> acquire(CounterStore store, long now, boolean consume, Demand... demands) throws Exception {
        return store.acquire(List.of(demands), now, consume).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void equalDefinitionsShareOneCountAndAChangedDefinitionCountsAfresh() throws Exception {
        CounterStore store = newStore();
        CounterRef first = store.bind(ONE_PER_MINUTE);
        CounterRef again = store.bind(new LimitDefinition("c", 60_000, 1, Scope.IDENTITY));
        assertThat(acquire(store, T0, true, new Demand(List.of(first), "a", null))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0 + 500, true, new Demand(List.of(again), "a", null)))
                .containsExactly(Admission.exhausted(0, 60));
        CounterRef wider = store.bind(new LimitDefinition("c", 60_000, 2, Scope.IDENTITY));
        assertThat(acquire(store, T0 + 500, true, new Demand(List.of(wider), "a", null))).containsExactly(Admission.admitted());
    }

    @Test
    void checkingWithoutConsumingRecordsNothingAndADemandWithoutCountersFits() throws Exception {
        CounterStore store = newStore();
        CounterRef c = store.bind(ONE_PER_MINUTE);
        Demand demand = new Demand(List.of(c), "a", null);
        Demand none = new Demand(List.of(), "a", null);
        for (int i = 0; i < 3; i++) {
            assertThat(acquire(store, T0, false, demand, none)).containsExactly(Admission.admitted(), Admission.admitted());
        }
        assertThat(acquire(store, T0, true, demand)).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, false, none, demand)).containsExactly(Admission.admitted(), Admission.exhausted(0, 60));
    }

    @Test
    void theRefusingCounterIsNamedByItsIndexInTheDemand() throws Exception {
        CounterStore store = newStore();
        CounterRef roomy = store.bind(new LimitDefinition("roomy", 60_000, 5, Scope.GLOBAL));
        CounterRef tight = store.bind(ONE_PER_MINUTE);
        assertThat(acquire(store, T0, true, new Demand(List.of(roomy, tight), "a", "s"))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0 + 1_000, true, new Demand(List.of(roomy, tight), "a", "s")))
                .containsExactly(Admission.exhausted(1, 59));
        // in a batch, the second call on the same key finds the first one's unit taken
        assertThat(acquire(store, T0, true, new Demand(List.of(tight), "b", null), new Demand(List.of(roomy, tight), "b", null)))
                .containsExactly(Admission.admitted(), Admission.exhausted(1, 60));
    }

    @Test
    void eachScopeCountsUnderItsOwnKey() throws Exception {
        CounterStore store = newStore();
        CounterRef grant = store.bind(new LimitDefinition("g", 60_000, 1, Scope.GRANT));
        CounterRef identity = store.bind(new LimitDefinition("i", 60_000, 1, Scope.IDENTITY));
        CounterRef session = store.bind(new LimitDefinition("s", 60_000, 1, Scope.SESSION));
        CounterRef global = store.bind(new LimitDefinition("all", 60_000, 1, Scope.GLOBAL));
        // grant scope: one count per (grant, subject); a subject that spells another pair's key is still its own
        assertThat(acquire(store, T0, true, new Demand(List.of(grant), "billing", "a", null))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, true, new Demand(List.of(grant), "billing", "a", "s1"))).containsExactly(Admission.exhausted(0, 60));
        assertThat(acquire(store, T0, true, new Demand(List.of(grant), "finance", "a", null))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, true, new Demand(List.of(grant), "", "a", null))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, true, new Demand(List.of(grant), "", "7:billinga", null))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, true, new Demand(List.of(grant), "bill", "inga", null))).containsExactly(Admission.admitted());
        // identity scope: per subject, whatever the grant or session
        assertThat(acquire(store, T0, true, new Demand(List.of(identity), "billing", "a", "s1"))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, true, new Demand(List.of(identity), "finance", "a", "s2"))).containsExactly(Admission.exhausted(0, 60));
        // session scope: per session, and per subject without one; a session named like a subject is not that subject
        assertThat(acquire(store, T0, true, new Demand(List.of(session), "", "a", "s1"))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, true, new Demand(List.of(session), "", "b", "s1"))).containsExactly(Admission.exhausted(0, 60));
        assertThat(acquire(store, T0, true, new Demand(List.of(session), "", "s1", null))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, true, new Demand(List.of(session), "", "a", "s2"))).containsExactly(Admission.admitted());
        // global scope: one count for everybody
        assertThat(acquire(store, T0, true, new Demand(List.of(global), "billing", "a", "s1"))).containsExactly(Admission.admitted());
        assertThat(acquire(store, T0, true, new Demand(List.of(global), "", "b", null))).containsExactly(Admission.exhausted(0, 60));
    }

    // ---- helpers

    static long count(List<Long> times, long now) {
        return times.stream().filter(s -> s > now - 1000).count();
    }

    /** A test of one item that may throw. */
    @FunctionalInterface
    interface Check<T> {
        boolean test(T item) throws Exception;
    }

    /** Runs the items on {@link #THREADS} threads pulling from one queue; returns those that passed. Fails on a hang (deadlock). */
    static <T> List<T> runConcurrently(List<T> items, Check<T> check) throws InterruptedException {
        ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>(items);
        ConcurrentLinkedQueue<T> passed = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(THREADS);
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < THREADS; i++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    for (T item = queue.poll(); item != null; item = queue.poll()) {
                        if (check.test(item)) {
                            passed.add(item);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    done.countDown();
                }
            });
            thread.setDaemon(true);
            thread.start();
        }
        start.countDown();
        assertThat(done.await(30, TimeUnit.SECONDS)).as("all deciding threads finished (no deadlock)").isTrue();
        assertThat(failures).isEmpty();
        return new ArrayList<>(passed);
    }
}
