package dev.toolgate.operator.mcppolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.kubernetes.api.model.Condition;

/** What the operator last did with the policy. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class McpPolicyStatus {

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Accepted: the spec is a valid policy. Conflicted: another McpPolicy governs some of the pods this one selects (reason LostToOlderPolicy), or not (NoConflict). Ready: its ConfigMap holds the accepted policy, no selected pod is governed by another policy (reason Conflicted otherwise) and every selected pod runs the sidecar (reason PodsWithoutSidecar otherwise). CountersReachable: the operator reached the Redis the sidecars count in (only for policies counting in Redis).")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("SHA-256 of the canonical policy document currently rendered into the ConfigMap.")
    private String policyHash;

    @JsonPropertyDescription("Name of the ConfigMap holding policy.json.")
    private String configMapName;

    @JsonPropertyDescription("Number of tool entries in the spec.")
    private Integer toolCount;

    @JsonPropertyDescription("Where callers' identity comes from: none, header, jwt, serviceAccount or jwt+serviceAccount.")
    private String identityMode;

    @JsonPropertyDescription("Selected pods this policy governs that run with the sidecar.")
    private Integer podsWithSidecar;

    @JsonPropertyDescription("Selected pods this policy governs that run without the sidecar: their MCP calls are not guarded.")
    private Integer podsWithoutSidecar;

    @JsonPropertyDescription("Selected pods another McpPolicy governs: injected with it (annotation toolgate.dev/policy, kept until the pod is re-created) or, without the sidecar, older (then lower by name) and so the one the webhook would inject. Counted in neither podsWithSidecar nor podsWithoutSidecar; see the Conflicted condition.")
    private Integer podsGovernedByOthers;

    @JsonPropertyDescription("Services that reach the MCP port by number on a selected pod without the sidecar's inbound redirect, and so bypass the sidecar, as name:port.")
    private List<String> bypassingServices;

    @JsonPropertyDescription("Other McpPolicies selecting some of the same pods, whichever governs them; the oldest policy (then name) wins at injection.")
    private List<String> overlappingPolicies;

    @JsonPropertyDescription("The McpClusterPolicies and McpNamespacePolicies this policy is layered under, in the order they are combined (as Kind/name). Every call must pass each of them too: a deny anywhere wins and every layer's limits count.")
    private List<String> baselines;

    @JsonPropertyDescription("spec.restartUnprotected: Deployments and StatefulSets (as deployments/name, statefulsets/name) the operator rollout-restarted for their current pod template that still own selected pods without the sidecar. Each pod template is restarted once, never again until it changes.")
    private List<String> restartedWorkloads;

    @JsonPropertyDescription("The NetworkPolicy this policy owns (only when the operator runs with network policies on): the selected pods take ingress only on the ports their containers declare, never on the MCP port, wherever the cluster's CNI enforces NetworkPolicy.")
    private String networkPolicyName;

    @JsonPropertyDescription("Other NetworkPolicies of the namespace that let ingress reach the MCP port (by number, a range holding it, or every port) of pods this policy governs: NetworkPolicies add up, so for the sources they allow, the MCP port is open again past networkPolicyName (only with network policies on).")
    private List<String> reopeningNetworkPolicies;

    public List<String> getReopeningNetworkPolicies() {
        return reopeningNetworkPolicies;
    }

    public void setReopeningNetworkPolicies(List<String> reopeningNetworkPolicies) {
        this.reopeningNetworkPolicies = reopeningNetworkPolicies;
    }

    public String getNetworkPolicyName() {
        return networkPolicyName;
    }

    public void setNetworkPolicyName(String networkPolicyName) {
        this.networkPolicyName = networkPolicyName;
    }

    public List<String> getBaselines() {
        return baselines;
    }

    public void setBaselines(List<String> baselines) {
        this.baselines = baselines;
    }

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

    public String getConfigMapName() {
        return configMapName;
    }

    public void setConfigMapName(String configMapName) {
        this.configMapName = configMapName;
    }

    public Integer getToolCount() {
        return toolCount;
    }

    public void setToolCount(Integer toolCount) {
        this.toolCount = toolCount;
    }

    public String getIdentityMode() {
        return identityMode;
    }

    public void setIdentityMode(String identityMode) {
        this.identityMode = identityMode;
    }

    public Integer getPodsWithSidecar() {
        return podsWithSidecar;
    }

    public void setPodsWithSidecar(Integer podsWithSidecar) {
        this.podsWithSidecar = podsWithSidecar;
    }

    public Integer getPodsWithoutSidecar() {
        return podsWithoutSidecar;
    }

    public void setPodsWithoutSidecar(Integer podsWithoutSidecar) {
        this.podsWithoutSidecar = podsWithoutSidecar;
    }

    public Integer getPodsGovernedByOthers() {
        return podsGovernedByOthers;
    }

    public void setPodsGovernedByOthers(Integer podsGovernedByOthers) {
        this.podsGovernedByOthers = podsGovernedByOthers;
    }

    public List<String> getBypassingServices() {
        return bypassingServices;
    }

    public void setBypassingServices(List<String> bypassingServices) {
        this.bypassingServices = bypassingServices;
    }

    public List<String> getOverlappingPolicies() {
        return overlappingPolicies;
    }

    public void setOverlappingPolicies(List<String> overlappingPolicies) {
        this.overlappingPolicies = overlappingPolicies;
    }

    public List<String> getRestartedWorkloads() {
        return restartedWorkloads;
    }

    public void setRestartedWorkloads(List<String> restartedWorkloads) {
        this.restartedWorkloads = restartedWorkloads;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof McpPolicyStatus that)) {
            return false;
        }
        return Objects.equals(observedGeneration, that.observedGeneration) && Objects.equals(conditions, that.conditions)
                && Objects.equals(policyHash, that.policyHash) && Objects.equals(configMapName, that.configMapName)
                && Objects.equals(toolCount, that.toolCount) && Objects.equals(identityMode, that.identityMode)
                && Objects.equals(podsWithSidecar, that.podsWithSidecar)
                && Objects.equals(podsWithoutSidecar, that.podsWithoutSidecar)
                && Objects.equals(podsGovernedByOthers, that.podsGovernedByOthers)
                && Objects.equals(bypassingServices, that.bypassingServices)
                && Objects.equals(overlappingPolicies, that.overlappingPolicies)
                && Objects.equals(restartedWorkloads, that.restartedWorkloads)
                && Objects.equals(baselines, that.baselines)
                && Objects.equals(networkPolicyName, that.networkPolicyName)
                && Objects.equals(reopeningNetworkPolicies, that.reopeningNetworkPolicies);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, policyHash, configMapName, toolCount, podsWithSidecar, podsWithoutSidecar,
                podsGovernedByOthers);
    }
}
