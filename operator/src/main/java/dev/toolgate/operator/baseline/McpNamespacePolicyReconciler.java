package dev.toolgate.operator.baseline;

import java.time.Clock;

import dev.toolgate.operator.KubernetesEvents;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/**
 * Reports whether an McpNamespacePolicy is a valid baseline. Layering it into the McpPolicies it applies to is the
 * McpPolicy reconciler's, which watches baselines.
 */
@ControllerConfiguration(name = "mcpnamespacepolicy")
public class McpNamespacePolicyReconciler implements Reconciler<McpNamespacePolicy> {

    private final KubernetesEvents events;
    private final Clock clock = Clock.systemUTC();

    public McpNamespacePolicyReconciler(KubernetesEvents events) {
        this.events = events;
    }

    @Override
    public UpdateControl<McpNamespacePolicy> reconcile(McpNamespacePolicy baseline, Context<McpNamespacePolicy> context) {
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
