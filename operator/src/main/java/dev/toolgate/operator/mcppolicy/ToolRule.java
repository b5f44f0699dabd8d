package dev.toolgate.operator.mcppolicy;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/** What happens when a tool matching this entry is called. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class ToolRule extends SpecObject {

    public enum Action {
        @JsonProperty("allow")
        ALLOW,
        @JsonProperty("deny")
        DENY,
        @JsonProperty("require_approval")
        REQUIRE_APPROVAL
    }

    @JsonPropertyDescription("allow (default), deny, or require_approval.")
    private Action action;

    @Size(max = 1024)
    @JsonPropertyDescription("Text shown to the agent when the call is denied.")
    private String reason;

    @PreserveUnknownFields
    @JsonPropertyDescription("JSON Schema the call's arguments object must satisfy; a violation is answered with invalid_arguments.")
    private JsonNode args;

    @Size(max = 32)
    @JsonPropertyDescription("Deny the call when all conditions of any item hold; the first matching item's onDeny is the reason.")
    private List<DenyIf> denyIf;

    @Size(max = 8)
    @JsonPropertyDescription("Limits for calls of this tool, checked together with the top-level limits.")
    private List<Limit> limits;

    @JsonPropertyDescription("Shorthand for one limit on this tool.")
    private RateLimit rateLimit;

    @JsonPropertyDescription("With action require_approval: how a human approves its calls (McpApproval).")
    private ApprovalSettings approval;

    @JsonPropertyDescription("enforce or audit for this tool's calls, overriding spec.enforcement. In audit mode a call is decided, counted (in shadow counters apart from the enforced ones) and audited as it would be, but forwarded, and no McpApproval is filed.")
    private Enforcement enforcement;

    @Pattern("^sha256:[0-9a-f]{64}$")
    @JsonPropertyDescription("The digest of this tool's definition as the MCP server announces it in tools/list (sha256: and the hex SHA-256 of the whole tool object's canonical JSON; policy-check starter writes it). Only on an entry naming one tool exactly. The sidecar hides the tool from tools/list and denies its calls while the server announces another definition, or none yet.")
    private String pin;

    public String getPin() {
        return pin;
    }

    public void setPin(String pin) {
        this.pin = pin;
    }

    public Enforcement getEnforcement() {
        return enforcement;
    }

    public void setEnforcement(Enforcement enforcement) {
        this.enforcement = enforcement;
    }

    public ApprovalSettings getApproval() {
        return approval;
    }

    public void setApproval(ApprovalSettings approval) {
        this.approval = approval;
    }

    public Action getAction() {
        return action;
    }

    public void setAction(Action action) {
        this.action = action;
    }

    public String getReason() {
        return reason;
    }

    public void setReason(String reason) {
        this.reason = reason;
    }

    public JsonNode getArgs() {
        return args;
    }

    public void setArgs(JsonNode args) {
        this.args = args;
    }

    public List<DenyIf> getDenyIf() {
        return denyIf;
    }

    public void setDenyIf(List<DenyIf> denyIf) {
        this.denyIf = denyIf;
    }

    public List<Limit> getLimits() {
        return limits;
    }

    public void setLimits(List<Limit> limits) {
        this.limits = limits;
    }

    public RateLimit getRateLimit() {
        return rateLimit;
    }

    public void setRateLimit(RateLimit rateLimit) {
        this.rateLimit = rateLimit;
    }
}
