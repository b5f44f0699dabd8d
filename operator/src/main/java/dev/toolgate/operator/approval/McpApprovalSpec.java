package dev.toolgate.operator.approval;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.generator.annotation.Required;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;

/**
 * What is to be approved (written by the operator, immutable) and the human's decision ({@link #decision}, the only
 * field a human writes).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class McpApprovalSpec {

    /** The McpPolicy (same namespace) whose rule requires the approval. */
    @Required
    private String policy;
    /** The policy's hash when the call was requested. */
    private String policyHash;
    @Required
    private String tool;
    @Required
    private ApprovalRequester requester;
    /** The call's arguments as the agent sent them, unless the policy shows only their digest; capped in size. */
    @PreserveUnknownFields
    private JsonNode arguments;
    /** False when the arguments are withheld (the policy's {@code arguments: digest}, or too large to show). */
    private Boolean argumentsShown;
    /** SHA-256 of the arguments' canonical JSON: what the approval is bound to. */
    @Required
    private String argumentsSha256;
    /** RFC 3339. */
    private String requestedAt;
    /** RFC 3339: until then the request waits for a decision and an approval is usable. */
    private String expiresAt;
    /** The human's decision; absent while pending. */
    private ApprovalDecision decision;

    public String getPolicy() { return policy; }
    public void setPolicy(String policy) { this.policy = policy; }
    public String getPolicyHash() { return policyHash; }
    public void setPolicyHash(String policyHash) { this.policyHash = policyHash; }
    public String getTool() { return tool; }
    public void setTool(String tool) { this.tool = tool; }
    public ApprovalRequester getRequester() { return requester; }
    public void setRequester(ApprovalRequester requester) { this.requester = requester; }
    public JsonNode getArguments() { return arguments; }
    public void setArguments(JsonNode arguments) { this.arguments = arguments; }
    public Boolean getArgumentsShown() { return argumentsShown; }
    public void setArgumentsShown(Boolean argumentsShown) { this.argumentsShown = argumentsShown; }
    public String getArgumentsSha256() { return argumentsSha256; }
    public void setArgumentsSha256(String argumentsSha256) { this.argumentsSha256 = argumentsSha256; }
    public String getRequestedAt() { return requestedAt; }
    public void setRequestedAt(String requestedAt) { this.requestedAt = requestedAt; }
    public String getExpiresAt() { return expiresAt; }
    public void setExpiresAt(String expiresAt) { this.expiresAt = expiresAt; }
    public ApprovalDecision getDecision() { return decision; }
    public void setDecision(ApprovalDecision decision) { this.decision = decision; }
}
