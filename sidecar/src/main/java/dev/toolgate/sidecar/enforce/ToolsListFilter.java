package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.observe.ToolLabels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.ToolDefinitionDigest;

import java.util.HashMap;
import java.util.Map;

/**
 * Looks at tools/list results: learns the announced tool names (for metric labels) and, when the policy says
 * {@code hide_denied_tools}, removes the tools this caller could never call. A result is recognised by its shape (a
 * response whose {@code result} holds a {@code tools} array), not by the id of the request it answers: a client may
 * take any answer for its tools/list (a resumed stream's replay, an id spelt differently, a batch answer). With hiding
 * on, a result that carries the 2026-07-28 {@code cacheScope} hint gets {@code "private"}: what it lists depends on the
 * caller, so no shared cache may serve it to another.
 *
 * <p>Pinned tools ({@code "pin"} in the policy) are checked whatever {@code hide_denied_tools} says: each entry of a
 * pinned name is digested ({@link ToolDefinitionDigest}) and recorded in {@link ToolDefinitions}; when any entry of that
 * name announces another definition than the pin, every entry of that name is removed, so the client never sees a
 * definition other than the pinned one (in audit mode, {@code enforcement: audit}, the entry stays, as its calls are
 * forwarded and reported). Pure apart from the label set and the announced definitions.
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
     * @param definitions where the announced definitions of pinned tools are recorded
     * @return true when {@code message} was changed in place
     */
    public static boolean apply(JsonNode message, Policy policy, Caller caller, ToolLabels labels, ToolDefinitions definitions) {
        if (!isToolsListResult(message)) {
            return false;
        }
        ArrayNode tools = (ArrayNode) message.get("result").get("tools");
        Map<String, String> announced = pinnedAnnouncements(tools, policy);
        announced.forEach((tool, digest) -> definitions.announced(tool, digest, policy.pin(tool)));
        boolean hide = policy == null || policy.hideDeniedTools();
        boolean changed = false;
        for (int i = tools.size() - 1; i >= 0; i--) {
            JsonNode name = tools.get(i).get("name");
            boolean named = name != null && name.isTextual();
            if (named) {
                labels.announced(name.textValue());
            }
            boolean unpinned = named && announced.containsKey(name.textValue())
                    && !announced.get(name.textValue()).equals(policy.pin(name.textValue()))
                    && policy.enforced(name.textValue(), caller);
            // With no valid policy every call is denied, so every tool is hidden too. An entry without a name cannot be
            // judged, so it is not shown either. A pinned tool announced with another definition is not shown, unless
            // this caller's entry for it is in audit mode (its calls are forwarded and reported, so is its listing).
            if (unpinned || hide && (!named || policy == null || policy.neverCallable(name.textValue(), caller))) {
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

    /**
     * Per pinned name in {@code tools}: the digest of its definition, or, when the list names it more than once with
     * different definitions, the first one that is not the pin (so a second, poisoned entry is not outvoted).
     */
    private static Map<String, String> pinnedAnnouncements(ArrayNode tools, Policy policy) {
        if (policy == null || policy.pins().isEmpty()) {
            return Map.of();
        }
        Map<String, String> announced = new HashMap<>();
        for (JsonNode tool : tools) {
            JsonNode name = tool.get("name");
            String pin = name != null && name.isTextual() ? policy.pin(name.textValue()) : null;
            if (pin == null) {
                continue;
            }
            String digest = ToolDefinitionDigest.of(tool);
            announced.merge(name.textValue(), digest, (first, next) -> first.equals(pin) ? next : first);
        }
        return announced;
    }
}
