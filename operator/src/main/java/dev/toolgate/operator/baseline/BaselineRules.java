package dev.toolgate.operator.baseline;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import dev.toolgate.operator.mcppolicy.Enforcement;
import dev.toolgate.operator.mcppolicy.Limit;
import dev.toolgate.operator.mcppolicy.McpPolicySpec;
import dev.toolgate.operator.mcppolicy.SpecObject;
import dev.toolgate.operator.mcppolicy.ToolRule;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A baseline's rules (an McpNamespacePolicy's spec, and an McpClusterPolicy's with its namespace selector): an
 * McpPolicy's {@code default}, {@code enforcement}, {@code limits} and {@code tools}, which every call to the servers it
 * applies to must pass as well as their own policy. Nothing only a server's own policy can say: who the callers are
 * (identity, grants), pins, what tools/list shows.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.tools) || self.tools.all(name, size(name) > 0)", message = "tool names must not be empty")
@PreserveUnknownFields
public class BaselineRules extends SpecObject {

    @JsonProperty("default")
    @JsonPropertyDescription("Decision of this baseline for tools none of its entries matches: allow (the default: the baseline only restricts the tools it names) or deny (only the tools it names may be called anywhere it applies).")
    private McpPolicySpec.DefaultAction defaultAction;

    @JsonPropertyDescription("enforce (default) or audit: an audited baseline's refusals are counted and audited (\"would have been denied\"), never carried out. A tool entry's own enforcement overrides this.")
    private Enforcement enforcement;

    @Size(max = 32)
    @JsonPropertyDescription("Limits applied to every tools/call of the servers this baseline applies to, counted per server under this baseline's own counter names.")
    private List<Limit> limits;

    @Size(max = 256)
    @JsonPropertyDescription("Rules per tool, keyed by exact tool name or glob, as in an McpPolicy (pins are not allowed here).")
    private Map<String, ToolRule> tools = new LinkedHashMap<>();

    public McpPolicySpec.DefaultAction getDefaultAction() {
        return defaultAction;
    }

    public void setDefaultAction(McpPolicySpec.DefaultAction defaultAction) {
        this.defaultAction = defaultAction;
    }

    public Enforcement getEnforcement() {
        return enforcement;
    }

    public void setEnforcement(Enforcement enforcement) {
        this.enforcement = enforcement;
    }

    public List<Limit> getLimits() {
        return limits;
    }

    public void setLimits(List<Limit> limits) {
        this.limits = limits;
    }

    public Map<String, ToolRule> getTools() {
        return tools;
    }

    public void setTools(Map<String, ToolRule> tools) {
        this.tools = tools;
    }
}
