package dev.toolgate.operator.baseline;

import java.time.Clock;

import dev.toolgate.operator.KubernetesEvents;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/**
 * Reports whether a baseline (McpClusterPolicy, McpNamespacePolicy) is valid: its {@code Accepted} condition, hash and
 * tool count, and a {@code BaselineRejected} Event. Layering it into the McpPolicies it applies to is the McpPolicy
 * reconciler's, which watches baselines.
 */
abstract class BaselineReconciler<B extends CustomResource<? extends BaselineRules, BaselineStatus>> implements Reconciler<B> {

    private final KubernetesEvents events;
    private final Clock clock = Clock.systemUTC();

    BaselineReconciler(KubernetesEvents events) {
        this.events = events;
    }

    /** For the CDI client proxy of a subclass only (ArC needs a no-args constructor up the hierarchy). */
    BaselineReconciler() {
        this(null);
    }

    @Override
    public UpdateControl<B> reconcile(B baseline, Context<B> context) {
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
