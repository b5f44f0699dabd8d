package dev.toolgate.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counter state for all limits. Outlives any one {@link Policy}: compile successive policies against the same instance
 * and counters whose definition (name, window, max, scope) is unchanged keep their state across the reload.
 * Thread-safe.
 *
 * <p>Each (counter definition, scope key) pair keeps the timestamps of its most recent admissions, at most {@code max}
 * of them, so enforcement is exact: in no interval of the window's length are more than {@code max} calls admitted.
 * A call that needs several counters locks them in one global order, checks all, and consumes one unit of each only
 * when all admit — a rejected call consumes nothing. A batch ({@link #tryAcquireAll}) locks the counters of all its calls
 * in the same order and consumes only when every call fits, one unit per call per counter. The number of tracked pairs is bounded: when the bound is reached,
 * pairs whose window has elapsed since their last admission are evicted, oldest first; a pair still inside its window is
 * never evicted, and while no pair can be evicted, new pairs are refused (the call is rate limited) rather than counts
 * forgotten. See the module README for the full argument.
 */
public final class RateLimiter {

    /** A full limiter sweeps at most this often (in call time), so a flood of new keys cannot make every call scan all keys. */
    static final long SWEEP_INTERVAL_MILLIS = 100;
    static final String ANONYMOUS = "anonymous";

    private final int maxTrackedKeys;
    private final AtomicInteger tracked = new AtomicInteger();
    private final AtomicLong stateIds = new AtomicLong();
    private final ConcurrentHashMap<LimitDefinition, CounterFamily> families = new ConcurrentHashMap<>();
    private final Object sweepLock = new Object();
    private long nextSweepAt = Long.MIN_VALUE; // guarded by sweepLock
    private volatile long nextEvictableAt = Long.MIN_VALUE;

    /** @param maxTrackedKeys bound on tracked (counter, scope key) pairs; the oldest idle keys are evicted first */
    public RateLimiter(int maxTrackedKeys) {
        if (maxTrackedKeys < 1) {
            throw new IllegalArgumentException("maxTrackedKeys must be at least 1, got " + maxTrackedKeys);
        }
        this.maxTrackedKeys = maxTrackedKeys;
    }

    /** With a default bound of 100,000 tracked keys. */
    public RateLimiter() {
        this(100_000);
    }

    /** Number of (counter, key) pairs currently tracked. */
    public int trackedKeys() {
        return tracked.get();
    }

    /** The bound given at construction. */
    public int maxTrackedKeys() {
        return maxTrackedKeys;
    }

    /** A limit of a compiled policy, bound to the state of its counter definition; {@code exceeded} is its prebuilt rate_limited reason. */
    record Limit(String path, LimitDefinition definition, CounterFamily family, String exceeded) {
    }

    /** Why a call was refused: which of the limits, and after how many whole seconds a retry can succeed. */
    record Rejection(int limitIndex, long retryAfterSeconds, boolean limiterFull) {
    }

    Limit bind(String path, LimitDefinition definition) {
        return new Limit(path, definition, families.computeIfAbsent(definition, CounterFamily::new),
                "rate limit exceeded: counter " + PolicyPaths.quote(definition.counter()) + " admits " + definition.describe());
    }

    /**
     * Consumes one unit of every limit, or none. Returns {@code null} when admitted, otherwise the binding rejection
     * (the exhausted limit that stays exhausted longest).
     */
    Rejection tryAcquire(Limit[] limits, String identity, String session, long now) {
        int n = limits.length;
        if (n == 0) {
            return null;
        }
        String who = identity == null ? ANONYMOUS : identity;
        if (n == 1) {
            return tryAcquireOne(limits[0], who, session, now);
        }
        CounterState[] states = new CounterState[n];
        while (true) {
            for (int i = 0; i < n; i++) {
                states[i] = stateFor(limits[i].family(), who, session, now);
                if (states[i] == null) {
                    return new Rejection(i, retrySeconds(nextEvictableAt, now), true);
                }
            }
            if (!lockInOrder(states)) {
                continue; // a sweep evicted one of them between lookup and lock: look up again
            }
            try {
                long worstRetryAt = Long.MIN_VALUE;
                CounterState worst = null;
                for (CounterState s : states) {
                    long blockedUntil = s.blockedUntil(now);
                    if (blockedUntil != CounterState.ADMIT && blockedUntil > worstRetryAt) {
                        worstRetryAt = blockedUntil;
                        worst = s;
                    }
                }
                if (worst != null) {
                    return new Rejection(indexOf(limits, worst.family), retrySeconds(worstRetryAt, now), false);
                }
                for (CounterState s : states) {
                    s.record(now);
                }
                return null;
            } finally {
                unlockAll(states);
            }
        }
    }

    /**
     * Locks every state in the one global order (state id), which keeps multi-counter acquisition deadlock-free.
     * Returns false, with nothing left locked, when a sweep evicted one of them between lookup and lock.
     */
    private static boolean lockInOrder(CounterState[] states) {
        java.util.Arrays.sort(states, Comparator.comparingLong(s -> s.id));
        for (CounterState s : states) {
            s.lock();
        }
        for (CounterState s : states) {
            if (s.evicted) {
                unlockAll(states);
                return false;
            }
        }
        return true;
    }

    private static void unlockAll(CounterState[] states) {
        for (int i = states.length - 1; i >= 0; i--) {
            states[i].unlock();
        }
    }

    /** One call's share of a batch: the limits it needs and the keys it counts under. */
    record Demand(Limit[] limits, String identity, String session) {
        static final Demand NONE = new Demand(new Limit[0], null, null);
    }

    /**
     * Decides the limits of several calls together. Every counter any of them needs is locked at once, in the global
     * state-id order. The calls are then checked in order against what the earlier fitting calls would take: a call
     * that fits takes one unit of each of its counters (two calls on one counter and key take two units), a call that
     * does not fit is rejected and takes nothing. Capacity is consumed only when {@code consume} is true and every call
     * fits; otherwise nothing is consumed. Returns one entry per demand: {@code null} when it fits, else its rejection.
     */
    Rejection[] tryAcquireAll(Demand[] demands, long now, boolean consume) {
        int n = demands.length;
        Rejection[] result = new Rejection[n];
        CounterState[][] statesOf = new CounterState[n][];
        while (true) {
            java.util.Arrays.fill(result, null);
            Map<CounterState, int[]> units = new IdentityHashMap<>();
            for (int i = 0; i < n; i++) {
                statesOf[i] = statesFor(demands[i], now, i, result);
                if (statesOf[i] != null) {
                    for (CounterState s : statesOf[i]) {
                        units.putIfAbsent(s, new int[1]);
                    }
                }
            }
            CounterState[] locked = units.keySet().toArray(new CounterState[0]);
            if (!lockInOrder(locked)) {
                continue; // a sweep evicted one of them between lookup and lock: look up again
            }
            try {
                boolean allFit = true;
                for (int i = 0; i < n; i++) {
                    CounterState[] states = statesOf[i];
                    if (states == null) {
                        allFit = false; // the limiter is full: rejected by statesFor
                        continue;
                    }
                    long worstRetryAt = Long.MIN_VALUE;
                    int worst = -1;
                    for (int j = 0; j < states.length; j++) {
                        long blockedUntil = states[j].blockedUntil(now, units.get(states[j])[0] + 1);
                        if (blockedUntil != CounterState.ADMIT && blockedUntil > worstRetryAt) {
                            worstRetryAt = blockedUntil;
                            worst = j;
                        }
                    }
                    if (worst >= 0) {
                        result[i] = new Rejection(worst, retrySeconds(worstRetryAt, now), false);
                        allFit = false;
                    } else {
                        for (CounterState s : states) {
                            units.get(s)[0]++;
                        }
                    }
                }
                if (allFit && consume) {
                    for (CounterState s : locked) {
                        for (int k = units.get(s)[0]; k > 0; k--) {
                            s.record(now);
                        }
                    }
                }
                return result;
            } finally {
                unlockAll(locked);
            }
        }
    }

    /** The states of one demand, or {@code null} (and its rejection in {@code result}) when the limiter is full. */
    private CounterState[] statesFor(Demand demand, long now, int index, Rejection[] result) {
        Limit[] limits = demand.limits();
        String who = demand.identity() == null ? ANONYMOUS : demand.identity();
        CounterState[] states = new CounterState[limits.length];
        for (int j = 0; j < limits.length; j++) {
            states[j] = stateFor(limits[j].family(), who, demand.session(), now);
            if (states[j] == null) {
                result[index] = new Rejection(j, retrySeconds(nextEvictableAt, now), true);
                return null;
            }
        }
        return states;
    }

    /** The common single-counter case, without the array and sort. */
    private Rejection tryAcquireOne(Limit limit, String identity, String session, long now) {
        while (true) {
            CounterState state = stateFor(limit.family(), identity, session, now);
            if (state == null) {
                return new Rejection(0, retrySeconds(nextEvictableAt, now), true);
            }
            state.lock();
            try {
                if (state.evicted) {
                    continue;
                }
                long blockedUntil = state.blockedUntil(now);
                if (blockedUntil != CounterState.ADMIT) {
                    return new Rejection(0, retrySeconds(blockedUntil, now), false);
                }
                state.record(now);
                return null;
            } finally {
                state.unlock();
            }
        }
    }

    private static int indexOf(Limit[] limits, CounterFamily family) {
        for (int i = 0; i < limits.length; i++) {
            if (limits[i].family() == family) {
                return i;
            }
        }
        throw new IllegalStateException("state of an unknown counter");
    }

    static long retrySeconds(long retryAt, long now) {
        if (retryAt == Long.MIN_VALUE || retryAt <= now) {
            return 1;
        }
        long millis = retryAt - now;
        return Math.max(1, millis / 1000 + (millis % 1000 == 0 ? 0 : 1));
    }

    private CounterState stateFor(CounterFamily family, String identity, String session, long now) {
        ConcurrentHashMap<String, CounterState> map = family.byIdentity;
        String key = identity;
        switch (family.definition.scope()) {
            case GLOBAL -> key = "";
            case SESSION -> {
                if (session != null) {
                    map = family.bySession;
                    key = session;
                }
            }
            default -> {
            }
        }
        CounterState state = map.get(key);
        if (state != null) {
            return state;
        }
        if (!reserveSlot()) {
            sweep(now);
            if (!reserveSlot()) {
                return null;
            }
        }
        CounterState fresh = new CounterState(stateIds.incrementAndGet(), family, map, key);
        state = map.putIfAbsent(key, fresh);
        if (state != null) {
            tracked.decrementAndGet();
            return state;
        }
        return fresh;
    }

    private boolean reserveSlot() {
        while (true) {
            int current = tracked.get();
            if (current >= maxTrackedKeys) {
                return false;
            }
            if (tracked.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Evicts idle pairs (window elapsed since their last admission), least recently admitted first, down to 90% of the bound. */
    private void sweep(long now) {
        synchronized (sweepLock) {
            if (tracked.get() < maxTrackedKeys || now < nextSweepAt) {
                return;
            }
            nextSweepAt = now + SWEEP_INTERVAL_MILLIS;
            List<CounterState> idle = new ArrayList<>();
            long soonest = Long.MAX_VALUE;
            for (CounterFamily family : families.values()) {
                long window = family.definition.windowMillis();
                for (ConcurrentHashMap<String, CounterState> map : List.of(family.byIdentity, family.bySession)) {
                    for (CounterState state : map.values()) {
                        long last = state.lastAdmission;
                        if (last == Long.MIN_VALUE || last <= now - window) {
                            idle.add(state);
                        } else {
                            soonest = Math.min(soonest, last + window);
                        }
                    }
                }
            }
            idle.sort(Comparator.comparingLong(s -> s.lastAdmission));
            int lowWater = maxTrackedKeys - Math.max(1, maxTrackedKeys / 10);
            int evicted = 0;
            for (CounterState state : idle) {
                if (tracked.get() <= lowWater) {
                    soonest = Math.min(soonest, now);
                    break;
                }
                if (state.tryLock()) {
                    try {
                        if (!state.evicted && state.idleAt(now)) {
                            state.evict();
                            tracked.decrementAndGet();
                            evicted++;
                        }
                    } finally {
                        state.unlock();
                    }
                }
            }
            nextEvictableAt = soonest == Long.MAX_VALUE ? Long.MIN_VALUE : soonest;
        }
    }

    /** All state of one counter definition; shared by every policy compiled against this limiter that defines it identically. */
    static final class CounterFamily {
        final LimitDefinition definition;
        final ConcurrentHashMap<String, CounterState> byIdentity = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, CounterState> bySession = new ConcurrentHashMap<>();
        /** Newest admission of any evicted pair; a fresh pair never admits a call within a window of it. */
        final AtomicLong evictedHorizon = new AtomicLong(Long.MIN_VALUE);

        CounterFamily(LimitDefinition definition) {
            this.definition = definition;
        }
    }

    /**
     * The admissions of one (counter, key) pair: a sorted ring of at most {@code max} timestamps, grown lazily.
     * Every field but {@link #lastAdmission} is guarded by the lock.
     */
    static final class CounterState extends ReentrantLock {
        static final long ADMIT = Long.MIN_VALUE;

        final long id;
        final CounterFamily family;
        final ConcurrentHashMap<String, CounterState> home;
        final String key;
        /** Evicted admissions of this key, if any, are no newer than this. */
        final long floor;
        private final long window;
        private final int max;
        private long[] times;
        private int head;
        private int size;
        /** Newest admission dropped from the ring (older history we no longer see); MIN_VALUE while nothing was dropped. */
        private long forgotten = Long.MIN_VALUE;
        private long newest = Long.MIN_VALUE;
        boolean evicted;
        /** Read without the lock by the sweeper, as a hint. */
        volatile long lastAdmission = Long.MIN_VALUE;

        CounterState(long id, CounterFamily family, ConcurrentHashMap<String, CounterState> home, String key) {
            super(false);
            this.id = id;
            this.family = family;
            this.home = home;
            this.key = key;
            this.floor = family.evictedHorizon.get();
            this.window = family.definition.windowMillis();
            this.max = family.definition.max();
            this.times = new long[Math.min(max, 8)];
        }

        /** {@link #ADMIT}, or the earliest time a call could be admitted. */
        long blockedUntil(long t) {
            return blockedUntil(t, 1);
        }

        /**
         * {@link #ADMIT} when {@code units} admissions at {@code t} keep every window within {@code max}, or the earliest
         * time they could be admitted together (a hint only when {@code units > max}: they never can be).
         */
        long blockedUntil(long t, int units) {
            if (floor != Long.MIN_VALUE && t - window < floor) {
                return floor + window;
            }
            if (units > max) {
                return t + window;
            }
            if (t >= newest) {
                if (size + units <= max) {
                    return ADMIT;
                }
                // the newest max - units admissions may stay in the window; the one before them must have left it
                long pivot = at(size + units - max - 1);
                return pivot <= t - window ? ADMIT : pivot + window;
            }
            // a call stamped earlier than the newest admission (callers raced): exact check of every window around t
            long retryAt = size + units > max ? Math.max(at(size + units - max - 1) + window, t + 1) : t + 1;
            if (forgotten != Long.MIN_VALUE && forgotten > t - window) {
                return retryAt; // admissions we no longer see could fall inside t's window: refuse, fail closed
            }
            int near = 0;
            for (int i = 0; i < size; i++) {
                long s = at(i);
                if (s > t - window && s < t + window) {
                    near++;
                }
            }
            return near + units <= max ? ADMIT : retryAt;
        }

        void record(long t) {
            if (size == max) {
                if (t < at(0)) {
                    forgotten = Math.max(forgotten, t); // t would be the oldest of max+1: it is the one the ring forgets
                    return;
                }
                dropOldest();
            } else if (size == times.length) {
                long[] grown = new long[Math.min(max, Math.max(8, times.length * 2))];
                for (int i = 0; i < size; i++) {
                    grown[i] = at(i);
                }
                times = grown;
                head = 0;
            }
            int i = size;
            while (i > 0 && at(i - 1) > t) {
                set(i, at(i - 1));
                i--;
            }
            set(i, t);
            size++;
            if (t > newest) {
                newest = t;
                lastAdmission = t;
            }
            // admissions two windows old matter to no decision (late calls are refused beyond one window): bound memory by traffic, not max
            while (size > 1 && at(0) <= newest - 2 * window) {
                dropOldest();
            }
        }

        private void dropOldest() {
            forgotten = Math.max(forgotten, at(0));
            head = (head + 1) % times.length;
            size--;
        }

        boolean idleAt(long now) {
            return size == 0 || newest <= now - window;
        }

        void evict() {
            evicted = true;
            if (size > 0) {
                family.evictedHorizon.accumulateAndGet(newest, Math::max);
            }
            home.remove(key, this);
        }

        private long at(int i) {
            return times[(head + i) % times.length];
        }

        private void set(int i, long value) {
            times[(head + i) % times.length] = value;
        }
    }
}
