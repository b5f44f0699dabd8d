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
import java.util.concurrent.atomic.AtomicInteger;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.q;
import static dev.toolgate.policy.PolicyTestSupport.assertAtMostMaxPerWindow;
import static dev.toolgate.policy.PropertyCheck.forAll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the limiter under concurrency, checked offline from the admitted timestamps. Tries are modest: CI has two cores.
 */
class RateLimiterPropertiesTest {

    private static final int THREADS = 4;

    /** A call: who, and when (ms after T0). */
    record Call(int identity, long offset) {
    }

    static List<Call> calls(Draw d) {
        return d.listOf(1, 300, e -> new Call(e.intBetween(0, 3), e.longBetween(0, 5_000)));
    }

    record Concurrent(List<Call> calls, int max, int windowSeconds) {
    }

    @Test
    void noIntervalOfWindowLengthEverAdmitsMoreThanMaxUnderConcurrency() {
        forAll(40, d -> new Concurrent(calls(d), d.intBetween(1, 6), d.intBetween(1, 3)),
                in -> noIntervalOfWindowLengthEverAdmitsMoreThanMaxUnderConcurrency(in.calls(), in.max(), in.windowSeconds()));
    }

    private static void noIntervalOfWindowLengthEverAdmitsMoreThanMaxUnderConcurrency(List<Call> calls, int max, int windowSeconds)
            throws Exception {
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':" + windowSeconds
                + ",'max':" + max + ",'scope':'identity'}]}}}"), new RateLimiter());
        // offsets are spread over 5 s while windows are 1-3 s, and threads race: calls arrive out of timestamp order
        List<long[]> admitted = runConcurrently(calls, call -> p.decide(new ToolCall("t", null, "id" + call.identity(), null),
                T0 + call.offset()).allowed());
        Map<Integer, List<Long>> byIdentity = new HashMap<>();
        for (long[] a : admitted) {
            byIdentity.computeIfAbsent((int) a[0], k -> new ArrayList<>()).add(a[1]);
        }
        for (List<Long> times : byIdentity.values()) {
            assertAtMostMaxPerWindow(times, max, windowSeconds * 1000L);
        }
    }

    record Gaps(List<Integer> gaps, int max) {
    }

    @Test
    void inTimestampOrderTheLimiterAdmitsExactlyWhatASlidingWindowAllows() {
        forAll(40, d -> new Gaps(d.listOf(1, 200, e -> e.intBetween(0, 400)), d.intBetween(1, 5)),
                in -> inTimestampOrderTheLimiterAdmitsExactlyWhatASlidingWindowAllows(in.gaps(), in.max()));
    }

    private static void inTimestampOrderTheLimiterAdmitsExactlyWhatASlidingWindowAllows(List<Integer> gaps, int max) throws Exception {
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':1,'max':" + max
                + ",'scope':'global'}]}}}"), new RateLimiter());
        List<Long> reference = new ArrayList<>();
        long t = T0;
        for (int gap : gaps) {
            t += gap;
            long now = t;
            boolean expected = reference.stream().filter(s -> s > now - 1000).count() < max;
            if (expected) {
                reference.add(now);
            }
            assertThat(p.decide(new ToolCall("t", null, "a", null), now).allowed()).isEqualTo(expected);
        }
    }

    record TwoLimits(List<Call> calls, int perIdentity, int global) {
    }

    @Test
    void aRejectedCallConsumesNothingAcrossTwoLimits() {
        forAll(30, d -> new TwoLimits(calls(d), d.intBetween(1, 4), d.intBetween(2, 8)),
                in -> aRejectedCallConsumesNothingAcrossTwoLimits(in.calls(), in.perIdentity(), in.global()));
    }

    private static void aRejectedCallConsumesNothingAcrossTwoLimits(List<Call> calls, int perIdentity, int global) throws Exception {
        String doc = "{'version':'1','default':'deny','limits':[{'counter':'all','window':1,'max':" + global + ",'scope':'global'}],"
                + "'tools':{'t':{'limits':[{'counter':'mine','window':1,'max':" + perIdentity + ",'scope':'identity'}]}}}";
        // sequential, in timestamp order: compare against a model where only fully admitted calls consume
        List<Call> sorted = new ArrayList<>(calls);
        sorted.sort((a, b) -> Long.compare(a.offset(), b.offset()));
        Policy p = Policy.load(q(doc), new RateLimiter());
        List<Long> globalModel = new ArrayList<>();
        Map<Integer, List<Long>> identityModel = new HashMap<>();
        for (Call c : sorted) {
            long now = T0 + c.offset();
            List<Long> mine = identityModel.computeIfAbsent(c.identity(), k -> new ArrayList<>());
            boolean expected = count(globalModel, now, 1000) < global && count(mine, now, 1000) < perIdentity;
            if (expected) {
                globalModel.add(now);
                mine.add(now);
            }
            assertThat(p.decide(new ToolCall("t", null, "id" + c.identity(), null), now).allowed()).isEqualTo(expected);
        }
        // concurrent: both counters hold, and every admission consumed both (per-identity counts sum to the global count)
        Policy concurrent = Policy.load(q(doc), new RateLimiter());
        List<long[]> admitted = runConcurrently(calls, c -> concurrent.decide(new ToolCall("t", null, "id" + c.identity(), null),
                T0 + c.offset()).allowed());
        List<Long> all = new ArrayList<>();
        Map<Integer, List<Long>> byIdentity = new HashMap<>();
        for (long[] a : admitted) {
            all.add(a[1]);
            byIdentity.computeIfAbsent((int) a[0], k -> new ArrayList<>()).add(a[1]);
        }
        assertAtMostMaxPerWindow(all, global, 1000);
        for (List<Long> times : byIdentity.values()) {
            assertAtMostMaxPerWindow(times, perIdentity, 1000);
        }
    }

    record Eviction(List<Integer> identities, int bound, int max) {
    }

    @Test
    void evictionNeverLetsAKeyExceedMaxPerWindow() {
        forAll(30, d -> new Eviction(d.listOf(1, 300, e -> e.intBetween(0, 11)), d.intBetween(1, 4), d.intBetween(1, 3)),
                in -> evictionNeverLetsAKeyExceedMaxPerWindow(in.identities(), in.bound(), in.max()));
    }

    private static void evictionNeverLetsAKeyExceedMaxPerWindow(List<Integer> identities, int bound, int max) throws Exception {
        RateLimiter limiter = new RateLimiter(bound);
        Policy p = Policy.load(q("{'version':'1','default':'deny','tools':{'t':{'limits':[{'counter':'c','window':1,'max':" + max
                + ",'scope':'identity'}]}}}"), limiter);
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < identities.size(); i++) {
            calls.add(new Call(identities.get(i), i * 37L)); // 300 calls over ~11 s with a 1 s window: plenty of eviction
        }
        AtomicInteger overBound = new AtomicInteger();
        List<long[]> admitted = runConcurrently(calls, c -> {
            boolean ok = p.decide(new ToolCall("t", null, "id" + c.identity(), null), T0 + c.offset()).allowed();
            if (limiter.trackedKeys() > bound) {
                overBound.incrementAndGet();
            }
            return ok;
        });
        assertThat(overBound).hasValue(0);
        Map<Integer, List<Long>> byIdentity = new HashMap<>();
        for (long[] a : admitted) {
            byIdentity.computeIfAbsent((int) a[0], k -> new ArrayList<>()).add(a[1]);
        }
        for (List<Long> times : byIdentity.values()) {
            assertAtMostMaxPerWindow(times, max, 1000);
        }
    }

    private static long count(List<Long> times, long now, long window) {
        return times.stream().filter(s -> s > now - window).count();
    }

    /** Runs the calls on {@link #THREADS} threads pulling from one queue; returns (identity, timestamp) of every admitted call. */
    private static List<long[]> runConcurrently(List<Call> calls, java.util.function.Predicate<Call> decide) throws InterruptedException {
        ConcurrentLinkedQueue<Call> queue = new ConcurrentLinkedQueue<>(calls);
        ConcurrentLinkedQueue<long[]> admitted = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < THREADS; i++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    for (Call c = queue.poll(); c != null; c = queue.poll()) {
                        if (decide.test(c)) {
                            admitted.add(new long[]{c.identity(), T0 + c.offset()});
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).isEmpty();
        return new ArrayList<>(admitted);
    }
}
