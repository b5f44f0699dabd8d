package dev.toolgate.policy;

/**
 * The admissions of one (counter, scope key) pair, and the exact sliding-window rule over them: a sorted ring of at most
 * {@code max} timestamps, grown lazily. Not thread-safe: {@link InMemoryCounterStore} holds a lock around every use.
 */
final class SlidingWindowLog {
    static final long ADMIT = Long.MIN_VALUE;

    /** Evicted admissions of this key, if any, are no newer than this. */
    private long floor;
    private final long window;
    private final int max;
    private long[] times;
    private int head;
    private int size;
    /** Newest admission dropped from the ring (older history we no longer see); MIN_VALUE while nothing was dropped. */
    private long forgotten = Long.MIN_VALUE;
    private long newest = Long.MIN_VALUE;

    /** @param floor no admission of an earlier log of this key was newer than this; MIN_VALUE when there was none */
    SlidingWindowLog(LimitDefinition definition, long floor) {
        this.floor = floor;
        this.window = definition.windowMillis();
        this.max = definition.max();
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
        }
        // admissions two windows old matter to no decision (late calls are refused beyond one window): bound memory by traffic, not max
        while (size > 1 && at(0) <= newest - 2 * window) {
            dropOldest();
        }
    }

    /** Raises the floor to {@code evictedUpTo} (never lowers it): evictions the log was created too early to see. */
    void raiseFloor(long evictedUpTo) {
        floor = Math.max(floor, evictedUpTo);
    }

    /** The newest admission, or MIN_VALUE before the first. */
    long newest() {
        return newest;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** True when the log is empty or its newest admission is at least a window before {@code now}. */
    boolean idleAt(long now) {
        return size == 0 || newest <= now - window;
    }

    private void dropOldest() {
        forgotten = Math.max(forgotten, at(0));
        head = (head + 1) % times.length;
        size--;
    }

    private long at(int i) {
        return times[(head + i) % times.length];
    }

    private void set(int i, long value) {
        times[(head + i) % times.length] = value;
    }
}
