package dev.toolgate.operator.baseline;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.kubernetes.api.model.Condition;

/** What the operator last found of a baseline. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BaselineStatus {

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Accepted: the spec is a valid baseline. While it is not, the McpPolicies it applies to keep their last accepted policy.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("SHA-256 of the baseline's canonical policy document, as layered into the McpPolicies' ConfigMaps.")
    private String policyHash;

    @JsonPropertyDescription("Number of tool entries in the spec.")
    private Integer toolCount;

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public String getPolicyHash() {
        return policyHash;
    }

    public void setPolicyHash(String policyHash) {
        this.policyHash = policyHash;
    }

    public Integer getToolCount() {
        return toolCount;
    }

    public void setToolCount(Integer toolCount) {
        this.toolCount = toolCount;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BaselineStatus other && Objects.equals(observedGeneration, other.observedGeneration)
                && Objects.equals(conditions, other.conditions) && Objects.equals(policyHash, other.policyHash)
                && Objects.equals(toolCount, other.toolCount);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, policyHash, toolCount);
    }
}
