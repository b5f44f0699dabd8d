package dev.toolgate.operator.baseline;

import java.time.Clock;

import dev.toolgate.operator.KubernetesEvents;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/**
 * Reports whether an McpClusterPolicy is a valid baseline. Layering it into the McpPolicies it applies to is the
 * McpPolicy reconciler's, which watches baselines.
 */
@ControllerConfiguration(name = "mcpclusterpolicy")
public class McpClusterPolicyReconciler implements Reconciler<McpClusterPolicy> {

    private final KubernetesEvents events;
    private final Clock clock = Clock.systemUTC();

    public McpClusterPolicyReconciler(KubernetesEvents events) {
        this.events = events;
    }

    @Override
    public UpdateControl<McpClusterPolicy> reconcile(McpClusterPolicy baseline, Context<McpClusterPolicy> context) {
        Baselines.Validation validation = Baselines.validate(baseline.getSpec());
        BaselineStatus status = BaselineStatuses.of(baseline.getSpec(), baseline.getStatus(), baseline.getMetadata().getGeneration(),
                validation, clock.instant());
        if (status.equals(baseline.getStatus())) {
            return UpdateControl.noUpdate();
        }
        if (!validation.valid()) {
            events.warning(baseline, "BaselineRejected", String.join("; ", validation.problems()));
        }
        baseline.setStatus(status);
        return UpdateControl.patchStatus(baseline);
    }
}
