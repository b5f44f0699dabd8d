package dev.toolgate.operator.baseline;

import java.time.Instant;

import dev.toolgate.operator.mcppolicy.StatusConditions;

/** A baseline's status from its validation: {@code Accepted} with the problems, the hash of its document. Pure. */
public final class BaselineStatuses {

    private BaselineStatuses() {
    }

    public static BaselineStatus of(BaselineRules spec, BaselineStatus previous, Long generation, Baselines.Validation validation,
            Instant now) {
        BaselineStatus status = new BaselineStatus();
        status.setObservedGeneration(generation);
        status.setToolCount(spec == null || spec.getTools() == null ? 0 : spec.getTools().size());
        status.setConditions(previous == null ? null : previous.getConditions());
        if (validation.valid()) {
            status.setPolicyHash(validation.document().hash());
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.ACCEPTED, true, "Valid",
                    "The baseline is valid; the McpPolicies it applies to are layered under it.", generation, now));
        } else {
            status.setPolicyHash(previous == null ? null : previous.getPolicyHash());
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.ACCEPTED, false, "Invalid",
                    String.join("; ", validation.problems()) + " (the McpPolicies it applies to keep their last accepted policy)",
                    generation, now));
        }
        return status;
    }
}
