package dev.toolgate.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The counters of one process, in memory; {@link #acquire} completes before it returns. Thread-safe.
 *
 * <p>Each (counter definition, scope key) pair keeps the timestamps of its most recent admissions in a
 * {@link SlidingWindowLog}, so enforcement is exact: in no interval of the window's length are more than {@code max}
 * calls admitted. Every pair has its own lock; an acquisition locks all the pairs it needs in one global order (by pair
 * id), which keeps calls and batches racing on shared counters deadlock-free, checks all, and records only when all fit.
 * The number of tracked pairs is bounded: when the bound is reached, pairs whose window has elapsed since their last
 * admission are evicted, oldest first; a pair still inside its window is never evicted, and while no pair can be
 * evicted, new pairs are refused ({@link Admission.Kind#STORE_FULL}) rather than counts forgotten. See the module README
 * for the full argument.
 */
public sealed class InMemoryCounterStore implements CounterStore permits RateLimiter {

    /** A full store sweeps at most this often (in call time), so a flood of new keys cannot make every call scan all keys. */
    static final long SWEEP_INTERVAL_MILLIS = 100;

    private final int maxTrackedKeys;
    private final AtomicInteger tracked = new AtomicInteger();
    private final AtomicLong stateIds = new AtomicLong();
    private final ConcurrentHashMap<LimitDefinition, CounterFamily> families = new ConcurrentHashMap<>();
    private final Object sweepLock = new Object();
    private long nextSweepAt = Long.MIN_VALUE; // guarded by sweepLock
    private volatile long nextEvictableAt = Long.MIN_VALUE;

    /** @param maxTrackedKeys bound on tracked (counter, scope key) pairs; the oldest idle keys are evicted first */
    public InMemoryCounterStore(int maxTrackedKeys) {
        if (maxTrackedKeys < 1) {
            throw new IllegalArgumentException("maxTrackedKeys must be at least 1, got " + maxTrackedKeys);
        }
        this.maxTrackedKeys = maxTrackedKeys;
    }

    /** With a default bound of 100,000 tracked keys. */
    public InMemoryCounterStore() {
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

    @Override
    public CounterRef bind(LimitDefinition definition) {
        if (definition == null) {
            throw new IllegalArgumentException("definition is required");
        }
        return families.computeIfAbsent(definition, d -> new CounterFamily(this, d));
    }

    @Override
    public CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume) {
        return CompletableFuture.completedFuture(acquireNow(demands, nowMillis, consume));
    }

    /** {@link #acquire}, answered directly. */
    List<Admission> acquireNow(List<Demand> demands, long now, boolean consume) {
        if (demands == null) {
            throw new IllegalArgumentException("demands is required");
        }
        if (demands.size() == 1 && consume) {
            Demand demand = demands.get(0);
            return List.of(acquireOne(demand, now));
        }
        return List.of(acquireAll(demands, now, consume));
    }

    /**
     * One call: records one unit of every counter, or none. When refused, the admission names the counter that stays
     * exhausted longest.
     */
    Admission acquireOne(Demand demand, long now) {
        List<CounterRef> counters = demand.counters();
        int n = counters.size();
        if (n == 0) {
            return Admission.admitted();
        }
        if (n == 1) {
            return acquireSingleCounter(family(counters.get(0)), demand, now);
        }
        KeyState[] states = new KeyState[n];
        while (true) {
            for (int i = 0; i < n; i++) {
                states[i] = stateFor(family(counters.get(i)), demand, now);
                if (states[i] == null) {
                    return Admission.storeFull(i, retrySeconds(nextEvictableAt, now));
                }
            }
            if (!lockInOrder(states)) {
                continue; // a sweep evicted one of them between lookup and lock: look up again
            }
            try {
                long worstRetryAt = Long.MIN_VALUE;
                KeyState worst = null;
                for (KeyState s : states) {
                    long blockedUntil = s.log.blockedUntil(now);
                    if (blockedUntil != SlidingWindowLog.ADMIT && blockedUntil > worstRetryAt) {
                        worstRetryAt = blockedUntil;
                        worst = s;
                    }
                }
                if (worst != null) {
                    return Admission.exhausted(counters.indexOf(worst.family), retrySeconds(worstRetryAt, now));
                }
                for (KeyState s : states) {
                    s.record(now);
                }
                return Admission.admitted();
            } finally {
                unlockAll(states);
            }
        }
    }

    /** The common single-counter case, without the array and sort. */
    private Admission acquireSingleCounter(CounterFamily family, Demand demand, long now) {
        while (true) {
            KeyState state = stateFor(family, demand, now);
            if (state == null) {
                return Admission.storeFull(0, retrySeconds(nextEvictableAt, now));
            }
            state.lock.lock();
            try {
                if (state.evicted) {
                    continue;
                }
                long blockedUntil = state.log.blockedUntil(now);
                if (blockedUntil != SlidingWindowLog.ADMIT) {
                    return Admission.exhausted(0, retrySeconds(blockedUntil, now));
                }
                state.record(now);
                return Admission.admitted();
            } finally {
                state.lock.unlock();
            }
        }
    }

    /**
     * Several calls together. Every counter any of them needs is locked at once, in the global pair-id order. The calls
     * are then checked in order against what the earlier fitting calls would take: a call that fits takes one unit of
     * each of its counters (two calls on one counter and key take two units), a call that does not fit is refused and
     * takes nothing. Units are recorded only when {@code consume} is true and every call fits.
     */
    private Admission[] acquireAll(List<Demand> demands, long now, boolean consume) {
        int n = demands.size();
        Admission[] result = new Admission[n];
        KeyState[][] statesOf = new KeyState[n][];
        while (true) {
            Map<KeyState, int[]> units = new IdentityHashMap<>();
            for (int i = 0; i < n; i++) {
                result[i] = Admission.admitted();
                statesOf[i] = statesFor(demands.get(i), now, i, result);
                if (statesOf[i] != null) {
                    for (KeyState s : statesOf[i]) {
                        units.putIfAbsent(s, new int[1]);
                    }
                }
            }
            KeyState[] locked = units.keySet().toArray(new KeyState[0]);
            if (!lockInOrder(locked)) {
                continue; // a sweep evicted one of them between lookup and lock: look up again
            }
            try {
                boolean allFit = true;
                for (int i = 0; i < n; i++) {
                    KeyState[] states = statesOf[i];
                    if (states == null) {
                        allFit = false; // the store is full: refused by statesFor
                        continue;
                    }
                    long worstRetryAt = Long.MIN_VALUE;
                    int worst = -1;
                    for (int j = 0; j < states.length; j++) {
                        long blockedUntil = states[j].log.blockedUntil(now, units.get(states[j])[0] + 1);
                        if (blockedUntil != SlidingWindowLog.ADMIT && blockedUntil > worstRetryAt) {
                            worstRetryAt = blockedUntil;
                            worst = j;
                        }
                    }
                    if (worst >= 0) {
                        result[i] = Admission.exhausted(worst, retrySeconds(worstRetryAt, now));
                        allFit = false;
                    } else {
                        for (KeyState s : states) {
                            units.get(s)[0]++;
                        }
                    }
                }
                if (allFit && consume) {
                    for (KeyState s : locked) {
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

    /** The states of one demand, or {@code null} (and its refusal in {@code result}) when the store is full. */
    private KeyState[] statesFor(Demand demand, long now, int index, Admission[] result) {
        List<CounterRef> counters = demand.counters();
        KeyState[] states = new KeyState[counters.size()];
        for (int j = 0; j < states.length; j++) {
            states[j] = stateFor(family(counters.get(j)), demand, now);
            if (states[j] == null) {
                result[index] = Admission.storeFull(j, retrySeconds(nextEvictableAt, now));
                return null;
            }
        }
        return states;
    }

    /**
     * Locks every state in the one global order (pair id), which keeps multi-counter acquisition deadlock-free.
     * Returns false, with nothing left locked, when a sweep evicted one of them between lookup and lock.
     */
    private static boolean lockInOrder(KeyState[] states) {
        Arrays.sort(states, Comparator.comparingLong(s -> s.id));
        for (KeyState s : states) {
            s.lock.lock();
        }
        for (KeyState s : states) {
            if (s.evicted) {
                unlockAll(states);
                return false;
            }
        }
        return true;
    }

    private static void unlockAll(KeyState[] states) {
        for (int i = states.length - 1; i >= 0; i--) {
            states[i].lock.unlock();
        }
    }

    private CounterFamily family(CounterRef counter) {
        if (counter instanceof CounterFamily family && family.store == this) {
            return family;
        }
        throw new IllegalArgumentException("counter " + counter + " is not bound to this store");
    }

    static long retrySeconds(long retryAt, long now) {
        if (retryAt == Long.MIN_VALUE || retryAt <= now) {
            return 1;
        }
        long millis = retryAt - now;
        return Math.max(1, millis / 1000 + (millis % 1000 == 0 ? 0 : 1));
    }

    private KeyState stateFor(CounterFamily family, Demand demand, long now) {
        Scope scope = family.definition.scope();
        ConcurrentHashMap<String, KeyState> map = demand.keyedBySession(scope) ? family.bySession : family.bySubject;
        String key = demand.scopeKey(scope);
        KeyState state = map.get(key);
        if (state != null) {
            return state;
        }
        if (!reserveSlot()) {
            sweep(now);
            if (!reserveSlot()) {
                return null;
            }
        }
        KeyState fresh = new KeyState(stateIds.incrementAndGet(), family, map, key);
        // The floor the log was built with was read before publishing: meanwhile another state of this key may have been
        // created, admitted calls and been evicted (a sweep at a later call time). Its eviction raised the horizon before
        // it left the map, so once this state is in the map the horizon holds it; raise the floor to it before any other
        // thread can use this state (they find it locked until then).
        fresh.lock.lock();
        try {
            state = map.putIfAbsent(key, fresh);
            if (state != null) {
                tracked.decrementAndGet();
                return state;
            }
            fresh.log.raiseFloor(family.evictedHorizon.get());
            return fresh;
        } finally {
            fresh.lock.unlock();
        }
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
            List<KeyState> idle = new ArrayList<>();
            long soonest = Long.MAX_VALUE;
            for (CounterFamily family : families.values()) {
                long window = family.definition.windowMillis();
                for (ConcurrentHashMap<String, KeyState> map : List.of(family.bySubject, family.bySession)) {
                    for (KeyState state : map.values()) {
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
            for (KeyState state : idle) {
                if (tracked.get() <= lowWater) {
                    soonest = Math.min(soonest, now);
                    break;
                }
                if (state.lock.tryLock()) {
                    try {
                        if (!state.evicted && state.log.idleAt(now)) {
                            state.evict();
                            tracked.decrementAndGet();
                        }
                    } finally {
                        state.lock.unlock();
                    }
                }
            }
            nextEvictableAt = soonest == Long.MAX_VALUE ? Long.MIN_VALUE : soonest;
        }
    }

    /** All state of one counter definition in this store: what {@link #bind} hands out. */
    static final class CounterFamily implements CounterRef {
        final InMemoryCounterStore store;
        final LimitDefinition definition;
        final ConcurrentHashMap<String, KeyState> bySubject = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, KeyState> bySession = new ConcurrentHashMap<>();
        /** Newest admission of any evicted pair; a fresh pair never admits a call within a window of it. */
        final AtomicLong evictedHorizon = new AtomicLong(Long.MIN_VALUE);

        CounterFamily(InMemoryCounterStore store, LimitDefinition definition) {
            this.store = store;
            this.definition = definition;
        }

        @Override
        public String toString() {
            return definition.counter() + " (" + definition.rule() + ")";
        }
    }

    /** One (counter, scope key) pair: its log, the lock that guards it, and where the store keeps it. */
    static final class KeyState {
        final long id;
        final CounterFamily family;
        final ConcurrentHashMap<String, KeyState> home;
        final String key;
        final ReentrantLock lock = new ReentrantLock();
        /** Guarded by {@link #lock}, as is {@link #evicted}. */
        final SlidingWindowLog log;
        boolean evicted;
        /** The log's newest admission, published for the sweeper, which reads it without the lock as a hint. */
        volatile long lastAdmission = Long.MIN_VALUE;

        KeyState(long id, CounterFamily family, ConcurrentHashMap<String, KeyState> home, String key) {
            this.id = id;
            this.family = family;
            this.home = home;
            this.key = key;
            this.log = new SlidingWindowLog(family.definition, family.evictedHorizon.get());
        }

        void record(long t) {
            log.record(t);
            if (t > lastAdmission) {
                lastAdmission = t;
            }
        }

        void evict() {
            evicted = true;
            if (!log.isEmpty()) {
                family.evictedHorizon.accumulateAndGet(log.newest(), Math::max);
            }
            home.remove(key, this);
        }
    }
}
