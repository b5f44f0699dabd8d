package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;

/** How a human approves calls of a tool with {@code action: require_approval} ({@code tools.X.approval}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class ApprovalSettings extends SpecObject {

    public enum Mode {
        @JsonProperty("retry")
        RETRY,
        @JsonProperty("hold")
        HOLD,
        @JsonProperty("elicit")
        ELICIT
    }

    public enum Arguments {
        @JsonProperty("show")
        SHOW,
        @JsonProperty("digest")
        DIGEST
    }

    @JsonPropertyDescription("retry (default): the agent is answered at once, naming the pending McpApproval, and retries the same call once it is approved. hold: the request is kept open until a human decides (with notifications/progress on a Streamable HTTP event stream when the client sent a progress token), up to holdFor, then the call runs once or is refused. elicit: a client of MCP revision 2026-07-28 or later that declared form elicitation is answered with an input-required result (a form elicitation and a signed requestState) and re-sends the call once a human approved it; a client of an earlier revision that declared form elicitation in its session is sent elicitation/create on the call's own event stream, and the call runs when the user accepts after a human approved it; other clients are answered as in retry mode.")
    private Mode mode;

    @JsonPropertyDescription("With mode hold only (refused with retry and elicit): the longest a request is kept open waiting for the decision: \"30s\", \"2m\" (default), at most \"10m\". The McpApproval's expiry ends the wait too; past it the agent is answered that the approval is still pending, to retry.")
    private String holdFor;

    @JsonPropertyDescription("How long a request waits for a human, and an approval stays usable: \"15m\", \"1h\" (default), \"1d\".")
    private String expiresAfter;

    @JsonPropertyDescription("show (default): the McpApproval holds the arguments for the approver; digest: only their SHA-256, for sensitive arguments.")
    private Arguments arguments;

    public Mode getMode() {
        return mode;
    }

    public void setMode(Mode mode) {
        this.mode = mode;
    }

    public String getHoldFor() {
        return holdFor;
    }

    public void setHoldFor(String holdFor) {
        this.holdFor = holdFor;
    }

    public String getExpiresAfter() {
        return expiresAfter;
    }

    public void setExpiresAfter(String expiresAfter) {
        this.expiresAfter = expiresAfter;
    }

    public Arguments getArguments() {
        return arguments;
    }

    public void setArguments(Arguments arguments) {
        this.arguments = arguments;
    }
}
