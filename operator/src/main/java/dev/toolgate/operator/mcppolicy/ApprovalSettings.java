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
        RETRY
    }

    public enum Arguments {
        @JsonProperty("show")
        SHOW,
        @JsonProperty("digest")
        DIGEST
    }

    @JsonPropertyDescription("retry: the agent is answered at once, naming the pending McpApproval, and retries the same call once it is approved.")
    private Mode mode;

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
