package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.toolgate.policy.PropertyCheck.forAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void aFailingListShrinksToTheSmallestCounterexample() {
        // fails whenever the sum reaches 100: the smallest counterexample is a single element of exactly 100
        assertThatThrownBy(() -> forAll(200, d -> d.listOf(1, 50, e -> e.intBetween(0, 1000)),
                list -> assertThat(list.stream().mapToInt(Integer::intValue).sum()).isLessThan(100)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("shrunk counterexample")
                .hasMessageContaining(": [100]")
                .hasMessageContaining("-Dtoolgate.property.seed=");
    }

    @Test
    void numbersShrinkTowardsTheLowerEndOfTheirRange() {
        assertThatThrownBy(() -> forAll(200, d -> List.of(d.intBetween(10, 10_000), d.intBetween(10, 10_000)),
                pair -> assertThat(pair.get(0) + pair.get(1)).isLessThan(5_000)))
                .hasMessageContaining("shrunk counterexample")
                // one number takes all it needs, the other falls to the bottom of the range
                .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("[10, 4990]", "[4990, 10]"));
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
