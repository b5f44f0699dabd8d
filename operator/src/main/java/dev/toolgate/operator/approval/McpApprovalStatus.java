package dev.toolgate.operator.approval;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Written by the operator only (the status subresource). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class McpApprovalStatus {

    /** Pending, Approved, Rejected, Consumed or Expired ({@link ApprovalState}). */
    private String state;
    /** Calls admitted under this approval so far. */
    private Integer consumed;
    /** The pods whose sidecars admitted them, in order (the last {@link ApprovalTerms#MAX_CONSUMERS_SHOWN}). */
    private List<String> consumedBy;
    private String lastConsumedAt;
    /** A sentence for humans: what the state means now. */
    private String message;

    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public Integer getConsumed() { return consumed; }
    public void setConsumed(Integer consumed) { this.consumed = consumed; }
    public List<String> getConsumedBy() { return consumedBy; }
    public void setConsumedBy(List<String> consumedBy) { this.consumedBy = consumedBy == null ? null : new ArrayList<>(consumedBy); }
    public String getLastConsumedAt() { return lastConsumedAt; }
    public void setLastConsumedAt(String lastConsumedAt) { this.lastConsumedAt = lastConsumedAt; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
}
