package dev.toolgate.operator.baseline;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A namespace-wide baseline: rules every McpPolicy of its namespace is layered under. */
@Group("toolgate.dev")
@Version("v1alpha1")
@Plural("mcpnamespacepolicies")
@ShortNames("mcpnp")
@AdditionalPrinterColumn(name = "Default", jsonPath = ".spec.default", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Tools", jsonPath = ".status.toolCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ".status.conditions[?(@.type==\"Accepted\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class McpNamespacePolicy extends CustomResource<BaselineRules, BaselineStatus> implements Namespaced {

    /** How decisions and statuses name it (within its namespace, which is the McpPolicy's). */
    public String source() {
        return "McpNamespacePolicy/" + getMetadata().getName();
    }
}
