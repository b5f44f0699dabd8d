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
import static dev.toolgate.policy.PolicyTestSupport.q;
import static dev.toolgate.policy.PolicyTestSupport.assertAtMostMaxPerWindow;
import static dev.toolgate.policy.PropertyCheck.forAll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of {@link Policy#decideAll} racing single-call decisions on shared counters: exact windows, and a refused
 * batch consumes nothing. Tries are modest: CI has two cores.
 */
class BatchLimiterPropertiesTest {

    private static final int THREADS = 4;
    /** A global counter every call shares, and a per-identity one for 't'; 'u' counts only globally; 'bad' is denied. */
    private static final String TOOLS = "{'version':'1','default':'deny','limits':[{'counter':'all','window':1,'max':%d,'scope':'global'}],"
            + "'tools':{'t':{'limits':[{'counter':'mine','window':1,'max':%d,'scope':'identity'}]},'u':{},'bad':{'action':'deny'}}}";

    /** One request: its calls' tools, one identity, a time in ms after T0. A batch of one is decided with {@code decide}. */
    record Batch(List<String> tools, int identity, long offset) {
        List<ToolCall> calls() {
            return tools.stream().map(tool -> new ToolCall(tool, null, "id" + identity, null)).toList();
        }

        boolean admittedBy(Policy policy) {
            long now = T0 + offset;
            if (tools.size() == 1) {
                return policy.decide(calls().get(0), now).allowed();
            }
            return policy.decideAll(calls(), now).stream().allMatch(Decision::allowed);
        }
    }

    private static final int[] TOOL_WEIGHTS = {6, 3, 1};
    private static final List<String> TOOL_NAMES = List.of("t", "u", "bad");

    static List<Batch> batches(Draw d) {
        return d.listOf(1, 150, b -> new Batch(b.listOf(1, 4, t -> t.weighted(TOOL_WEIGHTS, TOOL_NAMES)), b.intBetween(0, 2),
                b.longBetween(0, 4_000)));
    }

    record Input(List<Batch> batches, int global, int perIdentity) {
    }

    static Input input(Draw d) {
        return new Input(batches(d), d.intBetween(1, 6), d.intBetween(1, 3));
    }

    @Test
    void inTimestampOrderABatchIsAdmittedExactlyWhenAllItsUnitsFitAndARefusedOneConsumesNothing() {
        forAll(40, BatchLimiterPropertiesTest::input,
                in -> inTimestampOrderABatchIsAdmittedExactlyWhenAllItsUnitsFitAndARefusedOneConsumesNothing(in.batches(), in.global(),
                        in.perIdentity()));
    }

    private static void inTimestampOrderABatchIsAdmittedExactlyWhenAllItsUnitsFitAndARefusedOneConsumesNothing(
            List<Batch> batches, int global, int perIdentity) throws Exception {
        Policy p = Policy.load(q(String.format(TOOLS, global, perIdentity)), new RateLimiter());
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
            assertThat(b.admittedBy(p)).as("%s with %s global and %s own in the window", b, count(all, now), count(own, now))
                    .isEqualTo(expected);
        }
    }

    @Test
    void racingBatchesAndSingleCallsNeverAdmitMoreThanMaxUnitsInAnyWindow() {
        forAll(40, BatchLimiterPropertiesTest::input,
                in -> racingBatchesAndSingleCallsNeverAdmitMoreThanMaxUnitsInAnyWindow(in.batches(), in.global(), in.perIdentity()));
    }

    private static void racingBatchesAndSingleCallsNeverAdmitMoreThanMaxUnitsInAnyWindow(List<Batch> batches, int global,
            int perIdentity) throws Exception {
        Policy p = Policy.load(q(String.format(TOOLS, global, perIdentity)), new RateLimiter());
        // offsets spread over 4 s with a 1 s window, four threads: batches and single calls arrive out of timestamp order
        List<Batch> admitted = runConcurrently(batches, b -> b.admittedBy(p));
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

    private static void refusedBatchesRacingEachOtherLeaveEveryUnitFree(List<Batch> batches, int global) throws Exception {
        Policy p = Policy.load(q(String.format(TOOLS, global, 1_000)), new RateLimiter());
        List<Batch> refused = new ArrayList<>();
        for (Batch b : batches) {
            List<String> tools = new ArrayList<>(b.tools());
            tools.add(tools.size() / 2, "bad"); // every batch carries a denied call
            refused.add(new Batch(tools, b.identity(), 0));
        }
        assertThat(runConcurrently(refused, b -> b.admittedBy(p))).isEmpty();
        // all of them at one instant on one counter, yet the whole budget is still there
        for (int i = 0; i < global; i++) {
            assertThat(p.decide(new ToolCall("u", null, "x", null), T0).allowed()).as("unit %d of %d", i + 1, global).isTrue();
        }
        assertThat(p.decide(new ToolCall("u", null, "x", null), T0).allowed()).isFalse();
    }

    private static long count(List<Long> times, long now) {
        return times.stream().filter(s -> s > now - 1000).count();
    }

    /** Runs the batches on {@link #THREADS} threads pulling from one queue; returns the admitted ones. Fails on a hang (deadlock). */
    private static List<Batch> runConcurrently(List<Batch> batches, java.util.function.Predicate<Batch> admit) throws InterruptedException {
        ConcurrentLinkedQueue<Batch> queue = new ConcurrentLinkedQueue<>(batches);
        ConcurrentLinkedQueue<Batch> admitted = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(THREADS);
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < THREADS; i++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    for (Batch b = queue.poll(); b != null; b = queue.poll()) {
                        if (admit.test(b)) {
                            admitted.add(b);
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
        return new ArrayList<>(admitted);
    }
}
