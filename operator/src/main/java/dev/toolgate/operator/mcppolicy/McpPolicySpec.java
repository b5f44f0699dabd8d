package dev.toolgate.operator.mcppolicy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;

/** The policy in Kubernetes spelling, plus where it applies and how the sidecar runs. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.tools) || self.tools.all(name, size(name) > 0)", message = "tool names must not be empty")
@PreserveUnknownFields
public class McpPolicySpec extends SpecObject {

    public enum DefaultAction {
        @JsonProperty("allow")
        ALLOW,
        @JsonProperty("deny")
        DENY
    }

    @Required
    @JsonPropertyDescription("Selects the MCP server pods in this namespace that this policy protects.")
    private LabelSelector podSelector;

    @Required
    @JsonPropertyDescription("Where the MCP server listens inside the pod.")
    private Upstream upstream;

    @JsonPropertyDescription("Where the caller identity comes from: a trusted header, or a verified JWT or service-account token; without it every caller is 'anonymous'.")
    private Identity identity;

    @Required
    @JsonProperty("default")
    @JsonPropertyDescription("Decision for tools that no entry matches: allow or deny.")
    private DefaultAction defaultAction;

    @JsonPropertyDescription("enforce (default): refusals are carried out. audit (shadow mode): every call is decided, counted and audited as it would be (\"would have been denied, rate_limited, ...\"), but forwarded; for rolling a policy out on a live server. A tool entry's own enforcement overrides this.")
    private Enforcement enforcement;

    @JsonPropertyDescription("Remove from tools/list the tools this caller could never call. Hidden tools are still denied when called.")
    private Boolean hideDeniedTools;

    @Size(max = 32)
    @JsonPropertyDescription("Limits applied to every tools/call.")
    private List<Limit> limits;

    @Size(max = 256)
    @JsonPropertyDescription("Rules per tool, keyed by exact tool name or glob ('*' matches any run of characters). An exact name beats any glob; among globs the one with more literal characters wins.")
    private Map<String, ToolRule> tools = new LinkedHashMap<>();

    @Size(max = 32)
    @JsonPropertyDescription("Rights per caller, tried in order: the first grant that matches the caller and has an entry for the tool decides; otherwise tools and default decide.")
    private List<Grant> grants;

    @JsonPropertyDescription("Overrides for the injected sidecar container.")
    private SidecarOverrides sidecar;

    @JsonPropertyDescription("Where the sidecars keep their rate-limit counters: each its own (local, the default), or one shared count in Redis.")
    private RateLimits rateLimits;

    @JsonPropertyDescription("When true, the operator rollout-restarts Deployments and StatefulSets whose selected pods run without the sidecar although the webhook would inject them now, once per pod template; pods opted out, in namespaces the webhook does not see, or that the webhook would skip or refuse are left alone. Needs workload restarts enabled in the installation (chart value workloadRestarts.enabled), which grants the operator patch on Deployments and StatefulSets; otherwise it is reported, not done.")
    private Boolean restartUnprotected;

    public LabelSelector getPodSelector() {
        return podSelector;
    }

    public void setPodSelector(LabelSelector podSelector) {
        this.podSelector = podSelector;
    }

    public Upstream getUpstream() {
        return upstream;
    }

    public void setUpstream(Upstream upstream) {
        this.upstream = upstream;
    }

    public Identity getIdentity() {
        return identity;
    }

    public void setIdentity(Identity identity) {
        this.identity = identity;
    }

    public DefaultAction getDefaultAction() {
        return defaultAction;
    }

    public void setDefaultAction(DefaultAction defaultAction) {
        this.defaultAction = defaultAction;
    }

    public Enforcement getEnforcement() {
        return enforcement;
    }

    public void setEnforcement(Enforcement enforcement) {
        this.enforcement = enforcement;
    }

    public Boolean getHideDeniedTools() {
        return hideDeniedTools;
    }

    public void setHideDeniedTools(Boolean hideDeniedTools) {
        this.hideDeniedTools = hideDeniedTools;
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

    public List<Grant> getGrants() {
        return grants;
    }

    public void setGrants(List<Grant> grants) {
        this.grants = grants;
    }

    public SidecarOverrides getSidecar() {
        return sidecar;
    }

    public void setSidecar(SidecarOverrides sidecar) {
        this.sidecar = sidecar;
    }

    public RateLimits getRateLimits() {
        return rateLimits;
    }

    public void setRateLimits(RateLimits rateLimits) {
        this.rateLimits = rateLimits;
    }

    public Boolean getRestartUnprotected() {
        return restartUnprotected;
    }

    public void setRestartUnprotected(Boolean restartUnprotected) {
        this.restartUnprotected = restartUnprotected;
    }
}
