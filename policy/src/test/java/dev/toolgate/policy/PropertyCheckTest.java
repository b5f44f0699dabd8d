package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.toolgate.policy.PropertyCheck.forAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The property harness itself: it finds failures, shrinks them small, and reruns the same inputs from a printed seed. */
class PropertyCheckTest {

    @Test
    void aPropertyThatHoldsPassesEveryTry() {
        int[] tries = {0};
        forAll(50, d -> d.listOf(0, 20, e -> e.intBetween(-5, 5)), list -> {
            tries[0]++;
            assertThat(list).hasSizeLessThanOrEqualTo(20).allMatch(i -> i >= -5 && i <= 5);
        });
        assertThat(tries[0]).isEqualTo(50);
    }

    @Test
    void aFailingListShrinksToACounterexampleOnTheBoundary() {
        // fails whenever the sum reaches 100. Shrunk, no element can be dropped or lowered and still fail: the elements
        // are all positive and sum to exactly 100 (often the single element [100])
        Throwable failure = catchThrowable(() -> forAll(200, d -> d.listOf(1, 50, e -> e.intBetween(0, 1000)),
                list -> assertThat(list.stream().mapToInt(Integer::intValue).sum()).isLessThan(100)));
        assertThat(failure).isInstanceOf(AssertionError.class).hasMessageContaining("-Dtoolgate.property.seed=");
        Matcher shrunk = Pattern.compile("shrunk counterexample \\(\\d+ shrink runs\\): \\[([0-9, ]+)]").matcher(failure.getMessage());
        assertThat(shrunk.find()).as(failure.getMessage()).isTrue();
        List<Integer> elements = Arrays.stream(shrunk.group(1).split(", ")).map(Integer::parseInt).toList();
        assertThat(elements).allMatch(e -> e > 0);
        assertThat(elements.stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
    }

    @Test
    void numbersShrinkTowardsTheLowerEndOfTheirRange() {
        // each number is lowered as far as it can go with the others fixed: the counterexample sits exactly on the boundary
        Throwable failure = catchThrowable(() -> forAll(200, d -> List.of(d.intBetween(10, 10_000), d.intBetween(10, 10_000)),
                pair -> assertThat(pair.get(0) + pair.get(1)).isLessThan(5_000)));
        Matcher shrunk = Pattern.compile("shrunk counterexample \\(\\d+ shrink runs\\): \\[(\\d+), (\\d+)]").matcher(failure.getMessage());
        assertThat(shrunk.find()).as(failure.getMessage()).isTrue();
        assertThat(Integer.parseInt(shrunk.group(1)) + Integer.parseInt(shrunk.group(2))).isEqualTo(5_000);
    }

    @Test
    void theSameSeedDrawsTheSameInputs() {
        List<List<Integer>> first = new ArrayList<>();
        List<List<Integer>> second = new ArrayList<>();
        String previous = System.getProperty("toolgate.property.seed");
        System.setProperty("toolgate.property.seed", "12345");
        try {
            forAll(10, d -> d.listOf(0, 5, e -> e.intBetween(0, 99)), first::add);
            forAll(10, d -> d.listOf(0, 5, e -> e.intBetween(0, 99)), second::add);
        } finally {
            if (previous == null) {
                System.clearProperty("toolgate.property.seed");
            } else {
                System.setProperty("toolgate.property.seed", previous);
            }
        }
        assertThat(first).hasSize(10).isEqualTo(second);
        assertThat(first.stream().distinct().count()).as("ten tries draw different inputs").isGreaterThan(1);
    }
}
