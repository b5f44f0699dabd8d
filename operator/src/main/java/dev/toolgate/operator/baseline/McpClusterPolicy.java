package dev.toolgate.operator.baseline;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A cluster-wide baseline: rules every McpPolicy in the namespaces it selects is layered under. Cluster-scoped. */
@Group("toolgate.dev")
@Version("v1alpha1")
@Plural("mcpclusterpolicies")
@ShortNames("mcpcp")
@AdditionalPrinterColumn(name = "Default", jsonPath = ".spec.default", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Tools", jsonPath = ".status.toolCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ".status.conditions[?(@.type==\"Accepted\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class McpClusterPolicy extends CustomResource<McpClusterPolicySpec, BaselineStatus> {

    /** How decisions and statuses name it. */
    public String source() {
        return "McpClusterPolicy/" + getMetadata().getName();
    }
}
