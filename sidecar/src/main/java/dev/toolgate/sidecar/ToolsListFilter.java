package dev.toolgate.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolgate.policy.Policy;

import java.util.Set;

/**
 * Looks at responses to {@code tools/list}: learns the announced tool names (for metric labels) and, when the policy
 * says {@code hide_denied_tools}, removes the tools this caller could never call. Pure apart from the label set.
 */
public final class ToolsListFilter {

    private ToolsListFilter() {
    }

    /**
     * @param message     one JSON-RPC message from the server
     * @param toolsListIds ids of the tools/list requests this response may answer
     * @return true when {@code message} was changed in place
     */
    public static boolean apply(JsonNode message, Set<JsonNode> toolsListIds, Policy policy, ToolLabels labels) {
        if (!(message instanceof ObjectNode object) || !toolsListIds.contains(object.get("id"))) {
            return false;
        }
        JsonNode result = object.get("result");
        if (result == null || !(result.get("tools") instanceof ArrayNode tools)) {
            return false;
        }
        boolean hide = policy == null || policy.hideDeniedTools();
        boolean changed = false;
        for (int i = tools.size() - 1; i >= 0; i--) {
            JsonNode name = tools.get(i).get("name");
            if (name == null || !name.isTextual()) {
                continue;
            }
            labels.announced(name.textValue());
            // With no valid policy every call is denied, so every tool is hidden too.
            if (hide && (policy == null || policy.neverCallable(name.textValue()))) {
                tools.remove(i);
                changed = true;
            }
        }
        return changed;
    }
}
