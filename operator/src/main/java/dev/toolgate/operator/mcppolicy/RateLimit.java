package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

/** Shorthand for one limit on a tool. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = Limit.WINDOW_RULE, message = Limit.WINDOW_MESSAGE)
@PreserveUnknownFields
public class RateLimit extends SpecObject {

    @Required
    @Min(1)
    @JsonPropertyDescription("Most calls admitted in any window; at least 1.")
    private Long max;

    @Required
    @JsonPropertyDescription("Sliding window: second, minute, hour, day, a number of seconds, or a duration like 90s.")
    private IntOrString window;

    public Long getMax() {
        return max;
    }

    public void setMax(Long max) {
        this.max = max;
    }

    public IntOrString getWindow() {
        return window;
    }

    public void setWindow(IntOrString window) {
        this.window = window;
    }
}
