package dev.toolgate.operator.mcppolicy;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

/** Condition list updates that keep {@code lastTransitionTime} unless the condition's status really changes. */
public final class StatusConditions {

    public static final String ACCEPTED = "Accepted";
    public static final String READY = "Ready";
    /** Whether another policy governs some of the pods this one selects (Gateway API's name for a lost claim). */
    public static final String CONFLICTED = "Conflicted";
    /** Whether the operator reached the policy's Redis as its sidecars would (only for policies counting in Redis). */
    public static final String COUNTERS_REACHABLE = "CountersReachable";

    private StatusConditions() {
    }

    public static List<Condition> set(List<Condition> current, String type, boolean status, String reason, String message,
            Long generation, Instant now) {
        List<Condition> updated = new ArrayList<>();
        String statusText = status ? "True" : "False";
        Condition previous = find(current, type);
        String transition = previous != null && Objects.equals(previous.getStatus(), statusText)
                ? previous.getLastTransitionTime()
                : now.truncatedTo(ChronoUnit.SECONDS).toString();
        Condition condition = new ConditionBuilder()
                .withType(type)
                .withStatus(statusText)
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition)
                .build();
        boolean placed = false;
        if (current != null) {
            for (Condition c : current) {
                if (type.equals(c.getType())) {
                    updated.add(condition);
                    placed = true;
                } else {
                    updated.add(c);
                }
            }
        }
        if (!placed) {
            updated.add(condition);
        }
        return updated;
    }

    /** The conditions without the one of this type. */
    public static List<Condition> remove(List<Condition> current, String type) {
        return current == null ? null : current.stream().filter(c -> !type.equals(c.getType())).toList();
    }

    public static Condition find(List<Condition> conditions, String type) {
        if (conditions == null) {
            return null;
        }
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }
}
