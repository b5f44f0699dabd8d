package dev.toolgate.operator.mcppolicy;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A deny rule: matches when every condition holds (an empty list always matches). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class DenyIf extends SpecObject {

    @Required
    @Size(max = 32)
    @JsonPropertyDescription("Conditions that must all hold; an empty list always matches.")
    private List<Condition> conditions = new ArrayList<>();

    @Size(max = 1024)
    @JsonPropertyDescription("Text shown to the agent when this item denies the call.")
    private String onDeny;

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }

    public String getOnDeny() {
        return onDeny;
    }

    public void setOnDeny(String onDeny) {
        this.onDeny = onDeny;
    }
}
