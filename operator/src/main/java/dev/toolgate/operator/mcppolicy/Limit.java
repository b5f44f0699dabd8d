package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

/** A named counter: at most {@code max} calls in any sliding window. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = Limit.WINDOW_RULE, message = Limit.WINDOW_MESSAGE)
@PreserveUnknownFields
public class Limit extends SpecObject {

    // A regex on an int-or-string cannot be length-bounded, so its CEL cost estimate exceeds the API server's budget;
    // string windows ("minute", "90s") are checked by the policy engine and reported in status.conditions[Accepted].
    static final String WINDOW_RULE = "type(self.window) != int || self.window >= 1";
    static final String WINDOW_MESSAGE = "window in seconds must be at least 1";

    public enum Scope {
        @JsonProperty("grant")
        GRANT,
        @JsonProperty("identity")
        IDENTITY,
        @JsonProperty("session")
        SESSION,
        @JsonProperty("global")
        GLOBAL
    }

    @Required
    @Size(min = 1, max = 128)
    @JsonPropertyDescription("Counter name; limits naming the same counter share it and must agree on window, max and scope.")
    private String counter;

    @Required
    @JsonPropertyDescription("Sliding window: second, minute, hour, day, a number of seconds, or a duration like 90s.")
    private IntOrString window;

    @Required
    @Min(1)
    @JsonPropertyDescription("Most calls admitted in any window; at least 1.")
    private Long max;

    @JsonPropertyDescription("Who is counted: grant or identity (per caller), session (per MCP session), global (the whole sidecar).")
    private Scope scope;

    public String getCounter() {
        return counter;
    }

    public void setCounter(String counter) {
        this.counter = counter;
    }

    public IntOrString getWindow() {
        return window;
    }

    public void setWindow(IntOrString window) {
        this.window = window;
    }

    public Long getMax() {
        return max;
    }

    public void setMax(Long max) {
        this.max = max;
    }

    public Scope getScope() {
        return scope;
    }

    public void setScope(Scope scope) {
        this.scope = scope;
    }
}
