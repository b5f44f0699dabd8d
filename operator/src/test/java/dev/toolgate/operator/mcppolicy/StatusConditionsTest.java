package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Condition;

class StatusConditionsTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant T1 = Instant.parse("2026-01-01T01:00:00Z");

    @Test
    void keepsTransitionTimeWhenStatusIsUnchanged() {
        List<Condition> first = StatusConditions.set(List.of(), "Ready", true, "A", "first", 1L, T0);
        List<Condition> second = StatusConditions.set(first, "Ready", true, "B", "second", 2L, T1);
        assertThat(second).singleElement().satisfies(c -> {
            assertThat(c.getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
            assertThat(c.getMessage()).isEqualTo("second");
            assertThat(c.getObservedGeneration()).isEqualTo(2L);
        });
    }

    @Test
    void stampsTransitionTimeWhenStatusFlips() {
        List<Condition> first = StatusConditions.set(List.of(), "Accepted", true, "Valid", "ok", 1L, T0);
        List<Condition> second = StatusConditions.set(first, "Accepted", false, "Invalid", "bad", 2L, T1);
        assertThat(second).singleElement().extracting(Condition::getLastTransitionTime).isEqualTo("2026-01-01T01:00:00Z");
    }

    @Test
    void leavesOtherConditionsInPlace() {
        List<Condition> conditions = StatusConditions.set(List.of(), "Accepted", true, "Valid", "ok", 1L, T0);
        conditions = StatusConditions.set(conditions, "Ready", true, "Rendered", "ok", 1L, T0);
        conditions = StatusConditions.set(conditions, "Accepted", false, "Invalid", "bad", 2L, T1);
        assertThat(conditions).extracting(Condition::getType).containsExactly("Accepted", "Ready");
    }
}
