package dev.toolgate.sidecar.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.Decision;
import dev.toolgate.sidecar.approval.ApprovalTicket;

/**
 * The decision for one {@code tools/call} message of a request body.
 *
 * @param id        the request id
 * @param tool      the tool name from {@code params.name}
 * @param arguments {@code params.arguments} (an object, or {@code null} when absent)
 * @param decision  what the policy decided
 * @param approval  for a call that needs approval, where its approval stands; otherwise {@code null}
 */
public record CallDecision(JsonNode id, String tool, JsonNode arguments, Decision decision, ApprovalTicket approval) {

    public CallDecision(JsonNode id, String tool, JsonNode arguments, Decision decision) {
        this(id, tool, arguments, decision, null);
    }

    public CallDecision with(Decision newDecision, ApprovalTicket ticket) {
        return new CallDecision(id, tool, arguments, newDecision, ticket);
    }

    public boolean allowed() {
        return decision.allowed();
    }

    /** Whether the call goes ahead: allowed, or decided in audit mode (a shadowed refusal is only reported). */
    public boolean proceeds() {
        return decision.proceeds();
    }
}
