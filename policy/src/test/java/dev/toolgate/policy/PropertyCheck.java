package dev.toolgate.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Property checks on plain JUnit 5: a property is run on {@code tries} inputs drawn from a seeded random source, and a
 * failing input is shrunk to a small counterexample before it is reported.
 *
 * <p>Inputs are built by a generator from a {@link Draw}: every random decision it makes is one recorded choice (a long
 * in a range). Shrinking works on that sequence of choices, not on the input's type, so every generator shrinks with no
 * code of its own: lists lose elements, numbers move towards the lower end of their range, and the generator is replayed
 * on each candidate sequence.
 *
 * <p>The run's seed is printed with any failure. {@code -Dtoolgate.property.seed=<seed>} reruns with it (the same inputs,
 * in the same order); {@code -Dtoolgate.property.tries=<n>} overrides every property's number of tries.
 */
final class PropertyCheck {

    /** A property over one input; it fails by throwing (an assertion, or any exception). */
    @FunctionalInterface
    interface Property<T> {
        void check(T input) throws Exception;
    }

    private static final int MAX_SHRINK_RUNS = 1_000;

    private PropertyCheck() {
    }

    /** Checks {@code property} on {@code tries} inputs from {@code generator}; on failure throws with the shrunk input and the seed. */
    static <T> void forAll(int tries, Function<Draw, T> generator, Property<T> property) {
        long seed = Long.getLong("toolgate.property.seed", new SplittableRandom().nextLong());
        int n = Integer.getInteger("toolgate.property.tries", tries);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            Draw draw = Draw.random(random.split());
            T input = generator.apply(draw);
            Throwable failure = failureOf(property, input);
            if (failure != null) {
                Shrunk<T> shrunk = shrink(draw.choices(), generator, property, input, failure);
                AssertionError error = new AssertionError(String.format(
                        "property failed on try %d of %d (seed %d; rerun with -Dtoolgate.property.seed=%d)%n"
                                + "  shrunk counterexample (%d shrink runs): %s%n  original input: %s%n  failure: %s",
                        i + 1, n, seed, seed, shrunk.runs, shrunk.input, input, shrunk.failure), shrunk.failure);
                throw error;
            }
        }
    }

    private static Throwable failureOf(Property<?> property, Object input) {
        try {
            @SuppressWarnings("unchecked")
            Property<Object> p = (Property<Object>) property;
            p.check(input);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    private record Shrunk<T>(T input, Throwable failure, int runs) {
    }

    /**
     * Greedy shrinking over the choice sequence: delete spans of choices (whole list elements, then runs of 8, 4, 2, 1
     * choices) while the input still fails; then lower each choice to the smallest value that still fails (binary
     * search); when neither helps, move value from a choice to a later one (a failure that needs a sum, such as
     * {@code a + b >= 5000}, shrinks to {@code [10, 4990]} instead of stopping wherever lowering either alone would pass).
     * Rounds repeat until none makes progress or the run budget is spent.
     */
    private static <T> Shrunk<T> shrink(long[] failing, Function<Draw, T> generator, Property<T> property, T input, Throwable failure) {
        Shrinker<T> s = new Shrinker<>(generator, property, failing, input, failure);
        boolean progress = true;
        while (progress && s.runs < MAX_SHRINK_RUNS) {
            progress = false;
            for (long[] candidate : deletions(s.best, generator)) {
                if (s.tryCandidate(candidate)) {
                    progress = true;
                    break;
                }
            }
            if (progress) {
                continue;
            }
            for (int i = 0; i < s.best.length && s.runs < MAX_SHRINK_RUNS; i++) {
                long lo = 0; // lowest value not yet known to pass
                long hi = s.best[i]; // fails
                while (lo < hi && s.runs < MAX_SHRINK_RUNS) {
                    long mid = lo + (hi - lo) / 2;
                    long[] candidate = s.best.clone();
                    candidate[i] = mid;
                    if (s.tryCandidate(candidate)) {
                        progress = true;
                        if (i >= s.best.length) {
                            break; // the replay consumed fewer choices
                        }
                        hi = s.best[i];
                    } else {
                        lo = mid + 1;
                    }
                }
            }
            if (!progress) {
                progress = transfer(s);
            }
        }
        return new Shrunk<>(s.bestInput, s.bestFailure, s.runs);
    }

    /**
     * For each choice and each later one, moves value from the first to the second: half of what the first holds, then
     * less while the input passes, again from the new sequence after each move that still fails. Each move makes the
     * sequence simpler, since its first changed choice falls. True when anything moved.
     */
    private static <T> boolean transfer(Shrinker<T> s) {
        boolean progress = false;
        for (int i = 0; i < s.best.length && s.runs < MAX_SHRINK_RUNS; i++) {
            for (int j = i + 1; j < s.best.length && s.best[i] > 0 && s.runs < MAX_SHRINK_RUNS; j++) {
                long hi = s.best[i]; // the largest amount that may still fail
                while (hi > 0 && i < s.best.length && j < s.best.length && s.runs < MAX_SHRINK_RUNS) {
                    long amount = (hi + 1) / 2;
                    long[] candidate = s.best.clone();
                    candidate[i] -= amount;
                    candidate[j] += amount;
                    if (s.tryCandidate(candidate)) {
                        progress = true;
                        hi = i < s.best.length ? s.best[i] : 0;
                    } else {
                        hi = amount - 1;
                    }
                }
            }
        }
        return progress;
    }

    /** The smallest failing choice sequence found so far, and how many replays it took. */
    private static final class Shrinker<T> {
        final Function<Draw, T> generator;
        final Property<T> property;
        long[] best;
        T bestInput;
        Throwable bestFailure;
        int runs;

        Shrinker(Function<Draw, T> generator, Property<T> property, long[] best, T input, Throwable failure) {
            this.generator = generator;
            this.property = property;
            this.best = best;
            this.bestInput = input;
            this.bestFailure = failure;
        }

        /** Replays the candidate; keeps it (as the choices the replay actually used) when the property still fails. */
        boolean tryCandidate(long[] candidate) {
            runs++;
            Draw replay = Draw.replay(candidate);
            T candidateInput;
            try {
                candidateInput = generator.apply(replay);
            } catch (RuntimeException e) {
                return false; // not a valid input for this generator
            }
            long[] used = replay.choices();
            if (!simpler(used, best)) {
                return false; // e.g. a deleted trailing choice that the replay drew again as its minimum
            }
            Throwable candidateFailure = failureOf(property, candidateInput);
            if (candidateFailure == null) {
                return false;
            }
            best = used;
            bestInput = candidateInput;
            bestFailure = candidateFailure;
            return true;
        }
    }

    /** Shortlex order: fewer choices, or as many and the first differing one lower. Shrinking only ever moves down it, so it ends. */
    private static boolean simpler(long[] a, long[] b) {
        if (a.length != b.length) {
            return a.length < b.length;
        }
        return Arrays.compare(a, b) < 0;
    }

    /** Shorter variants of a choice sequence, the ones most likely to simplify the input first. */
    private static List<long[]> deletions(long[] choices, Function<Draw, ?> generator) {
        List<long[]> out = new ArrayList<>();
        Draw structure = Draw.replay(choices);
        generator.apply(structure);
        // whole list elements, last first (removing one also lowers that list's size choice)
        List<Draw.Element> elements = structure.elements();
        for (int i = elements.size() - 1; i >= 0; i--) {
            Draw.Element e = elements.get(i);
            long[] c = delete(choices, e.start(), e.end());
            if (c[e.sizeIndex()] > 0) {
                c[e.sizeIndex()]--;
                out.add(c);
            }
        }
        for (int span : new int[]{8, 4, 2, 1}) {
            for (int start = choices.length - span; start >= 0; start--) {
                out.add(delete(choices, start, start + span));
            }
        }
        return out;
    }

    private static long[] delete(long[] choices, int from, int to) {
        long[] c = new long[choices.length - (to - from)];
        System.arraycopy(choices, 0, c, 0, from);
        System.arraycopy(choices, to, c, from, choices.length - to);
        return c;
    }

    /**
     * The source of an input's random decisions. Each decision is stored as its offset above the range's minimum, so
     * 0 is always the simplest choice; a replayed sequence that runs out, or holds an offset past the range, yields the
     * minimum (or the offset folded into the range).
     */
    static final class Draw {
        /** A list element's choices {@code [start, end)} and the index of its list's size choice. */
        record Element(int sizeIndex, int start, int end) {
        }

        private final SplittableRandom random;
        private final long[] replay;
        private long[] recorded = new long[64];
        private int length;
        private final List<Element> elements = new ArrayList<>();

        private Draw(SplittableRandom random, long[] replay) {
            this.random = random;
            this.replay = replay;
        }

        static Draw random(SplittableRandom random) {
            return new Draw(random, null);
        }

        static Draw replay(long[] choices) {
            return new Draw(null, choices);
        }

        long[] choices() {
            return Arrays.copyOf(recorded, length);
        }

        List<Element> elements() {
            return elements;
        }

        /** A long in {@code [min, max]}. */
        long longBetween(long min, long max) {
            if (max < min) {
                throw new IllegalArgumentException("empty range " + min + ".." + max);
            }
            long span = max - min; // ranges in these tests are far from overflowing
            long offset;
            if (replay != null) {
                offset = length < replay.length ? Math.floorMod(replay[length], span + 1) : 0;
            } else {
                offset = span == Long.MAX_VALUE ? random.nextLong() & Long.MAX_VALUE : random.nextLong(span + 1);
            }
            if (length == recorded.length) {
                recorded = Arrays.copyOf(recorded, length * 2);
            }
            recorded[length++] = offset;
            return min + offset;
        }

        int intBetween(int min, int max) {
            return (int) longBetween(min, max);
        }

        boolean bool() {
            return longBetween(0, 1) == 1;
        }

        /** One of the values, with the given weights (parallel arrays); shrinks towards the first. */
        <T> T weighted(int[] weights, List<T> values) {
            int total = Arrays.stream(weights).sum();
            int pick = intBetween(0, total - 1);
            for (int i = 0; i < weights.length; i++) {
                pick -= weights[i];
                if (pick < 0) {
                    return values.get(i);
                }
            }
            throw new IllegalStateException("unreachable");
        }

        /** A list of {@code [minSize, maxSize]} elements, each drawn by {@code element}. */
        <T> List<T> listOf(int minSize, int maxSize, Function<Draw, T> element) {
            int sizeIndex = length;
            int size = intBetween(minSize, maxSize);
            List<T> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                int start = length;
                list.add(element.apply(this));
                elements.add(new Element(sizeIndex, start, length));
            }
            return list;
        }

        /** A string of {@code [minLength, maxLength]} characters from {@code alphabet}. */
        String stringOf(String alphabet, int minLength, int maxLength) {
            StringBuilder s = new StringBuilder();
            for (char c : listOf(minLength, maxLength, d -> alphabet.charAt(d.intBetween(0, alphabet.length() - 1)))) {
                s.append(c);
            }
            return s.toString();
        }
    }
}
