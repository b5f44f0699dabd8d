package dev.toolgate.operator.baseline;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.kubernetes.api.model.LabelSelector;

/** A cluster baseline: its rules, and the namespaces whose McpPolicies it applies to. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class McpClusterPolicySpec extends BaselineRules {

    @JsonPropertyDescription("The namespaces (by their labels) whose McpPolicies this baseline applies to; every namespace when absent.")
    private LabelSelector namespaceSelector;

    public LabelSelector getNamespaceSelector() {
        return namespaceSelector;
    }

    public void setNamespaceSelector(LabelSelector namespaceSelector) {
        this.namespaceSelector = namespaceSelector;
    }
}
