package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A test on one argument of the call. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class Condition extends SpecObject {

    public enum Operator {
        @JsonProperty("eq")
        EQ,
        @JsonProperty("ne")
        NE,
        @JsonProperty("gt")
        GT,
        @JsonProperty("gte")
        GTE,
        @JsonProperty("lt")
        LT,
        @JsonProperty("lte")
        LTE,
        @JsonProperty("in")
        IN,
        @JsonProperty("not_in")
        NOT_IN,
        @JsonProperty("contains")
        CONTAINS,
        @JsonProperty("starts_with")
        STARTS_WITH,
        @JsonProperty("ends_with")
        ENDS_WITH,
        @JsonProperty("matches")
        MATCHES,
        @JsonProperty("exists")
        EXISTS,
        @JsonProperty("not_exists")
        NOT_EXISTS
    }

    @Required
    @Size(min = 1, max = 256)
    @JsonPropertyDescription("Dotted path into the arguments, with [n] for array elements and [\"a.b\"] for keys containing dots, e.g. items[0].price.")
    private String arg;

    @Required
    @JsonPropertyDescription("Comparison operator.")
    private Operator op;

    @PreserveUnknownFields
    @JsonPropertyDescription("Value to compare with: any JSON value (a list for in and not_in, a regular expression for matches).")
    private JsonNode value;

    public String getArg() {
        return arg;
    }

    public void setArg(String arg) {
        this.arg = arg;
    }

    public Operator getOp() {
        return op;
    }

    public void setOp(Operator op) {
        this.op = op;
    }

    public JsonNode getValue() {
        return value;
    }

    public void setValue(JsonNode value) {
        this.value = value;
    }
}
