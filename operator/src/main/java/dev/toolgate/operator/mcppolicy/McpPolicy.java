package dev.toolgate.operator.mcppolicy;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Policy guarding the tool calls of the MCP server pods it selects. */
@Group("toolgate.dev")
@Version("v1alpha1")
@Plural("mcppolicies")
@ShortNames("mcpp")
@AdditionalPrinterColumn(name = "Default", jsonPath = ".spec.default", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Tools", jsonPath = ".status.toolCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Identity", jsonPath = ".status.identityMode", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Conflicted", jsonPath = ".status.conditions[?(@.type==\"Conflicted\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Counters", jsonPath = ".status.conditions[?(@.type==\"CountersReachable\")].reason", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class McpPolicy extends CustomResource<McpPolicySpec, McpPolicyStatus> implements Namespaced {
}
