package dev.toolgate.sidecar.enforce;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.Decision;

/**
 * The decision for one {@code tools/call} message of a request body.
 *
 * @param id        the request id
 * @param tool      the tool name from {@code params.name}
 * @param arguments {@code params.arguments} (an object, or {@code null} when absent)
 * @param decision  what the policy decided
 */
public record CallDecision(JsonNode id, String tool, JsonNode arguments, Decision decision) {

    public boolean allowed() {
        return decision.allowed();
    }
}
