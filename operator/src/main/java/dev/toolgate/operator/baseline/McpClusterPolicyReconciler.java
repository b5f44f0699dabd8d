package dev.toolgate.operator.baseline;

import dev.toolgate.operator.KubernetesEvents;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;

/** The {@link BaselineReconciler} of McpClusterPolicies. */
@ControllerConfiguration(name = "mcpclusterpolicy")
public class McpClusterPolicyReconciler extends BaselineReconciler<McpClusterPolicy> {

    public McpClusterPolicyReconciler(KubernetesEvents events) {
        super(events);
    }
}
