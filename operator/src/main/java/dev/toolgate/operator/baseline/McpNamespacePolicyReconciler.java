package dev.toolgate.operator.baseline;

import dev.toolgate.operator.KubernetesEvents;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;

/** The {@link BaselineReconciler} of McpNamespacePolicies. */
@ControllerConfiguration(name = "mcpnamespacepolicy")
public class McpNamespacePolicyReconciler extends BaselineReconciler<McpNamespacePolicy> {

    public McpNamespacePolicyReconciler(KubernetesEvents events) {
        super(events);
    }
}
