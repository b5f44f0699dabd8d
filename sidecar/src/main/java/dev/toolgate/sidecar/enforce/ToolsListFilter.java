package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.observe.ToolLabels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Policy;

/**
 * Looks at tools/list results: learns the announced tool names (for metric labels) and, when the policy says
 * {@code hide_denied_tools}, removes the tools this caller could never call. A result is recognised by its shape (a
 * response whose {@code result} holds a {@code tools} array), not by the id of the request it answers: a client may
 * take any answer for its tools/list (a resumed stream's replay, an id spelt differently, a batch answer). With hiding
 * on, a result that carries the 2026-07-28 {@code cacheScope} hint gets {@code "private"}: what it lists depends on the
 * caller, so no shared cache may serve it to another. Pure apart from the label set.
 */
public final class ToolsListFilter {

    private ToolsListFilter() {
    }

    /** Whether {@code message} is shaped like a tools/list result. */
    public static boolean isToolsListResult(JsonNode message) {
        return message instanceof ObjectNode object && object.get("result") instanceof ObjectNode result
                && result.get("tools") instanceof ArrayNode;
    }

    /**
     * @param message one JSON-RPC message from the server
     * @param policy  the policy in force, or null when none is loaded (then every tool is hidden)
     * @param caller  who receives the list: what is hidden is what this caller could never call
     * @return true when {@code message} was changed in place
     */
    public static boolean apply(JsonNode message, Policy policy, Caller caller, ToolLabels labels) {
        if (!isToolsListResult(message)) {
            return false;
        }
        ArrayNode tools = (ArrayNode) message.get("result").get("tools");
        boolean hide = policy == null || policy.hideDeniedTools();
        boolean changed = false;
        for (int i = tools.size() - 1; i >= 0; i--) {
            JsonNode name = tools.get(i).get("name");
            boolean named = name != null && name.isTextual();
            if (named) {
                labels.announced(name.textValue());
            }
            // With no valid policy every call is denied, so every tool is hidden too. An entry without a name cannot be
            // judged, so it is not shown either.
            if (hide && (!named || policy == null || policy.neverCallable(name.textValue(), caller))) {
                tools.remove(i);
                changed = true;
            }
        }
        // 2026-07-28 caching hints: a list filtered per caller is not the same for every caller, whatever the server said
        ObjectNode result = (ObjectNode) message.get("result");
        if (hide && result.has("cacheScope") && !"private".equals(result.path("cacheScope").asText())) {
            result.put("cacheScope", "private");
            changed = true;
        }
        return changed;
    }
}
