package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.policy.PolicySpec;

/**
 * Turns an McpPolicy spec into the policy document the sidecar reads. The mapping itself is the policy module's
 * ({@link PolicySpec}, which the offline checker uses on manifests too); this only hands it the spec as JSON. Pure.
 */
public final class PolicyDocumentRenderer {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PolicyDocumentRenderer() {
    }

    /** The spec as the API server holds it: the resource's own field names, absent fields left out. */
    public static JsonNode specJson(McpPolicySpec spec) {
        return JSON.valueToTree(spec);
    }

    public static ObjectNode render(McpPolicySpec spec) {
        return PolicySpec.render(specJson(spec)).document();
    }
}
