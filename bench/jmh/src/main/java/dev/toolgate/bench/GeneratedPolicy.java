package dev.toolgate.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolgate.policy.ToolCall;

import java.util.ArrayList;
import java.util.List;

/**
 * A large, realistic policy: 1,000 entries mixing exact names and globs, argument schemas, deny_if conditions with
 * several operators, and rate limits; plus a pool of calls that exercise every path.
 */
final class GeneratedPolicy {

    static final int EXACT = 700;
    static final int GLOBS = 299; // plus one catch-all "*"
    private static final ObjectMapper JSON = new ObjectMapper();

    private GeneratedPolicy() {
    }

    static String document() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1");
        root.put("default", "deny");
        ArrayNode top = root.putArray("limits");
        top.addObject().put("counter", "everything").put("window", "second").put("max", 1_000_000).put("scope", "global");
        ObjectNode tools = root.putObject("tools");
        for (int i = 0; i < EXACT; i++) {
            ObjectNode entry = tools.putObject("tool_" + i);
            if (i % 3 == 0) {
                ObjectNode schema = entry.putObject("args");
                schema.put("type", "object");
                ObjectNode props = schema.putObject("properties");
                props.putObject("amount").put("type", "number").put("minimum", 0);
                props.putObject("currency").put("type", "string").put("pattern", "^[a-z]{3}$");
                props.putObject("items").put("type", "array").putObject("items").put("type", "object");
                schema.putArray("required").add("amount");
            }
            if (i % 2 == 0) {
                ArrayNode denyIf = entry.putArray("deny_if");
                ObjectNode rule = denyIf.addObject();
                ArrayNode conditions = rule.putArray("conditions");
                conditions.addObject().put("arg", "amount").put("op", "gt").put("value", 10_000);
                conditions.addObject().put("arg", "currency").put("op", "in").set("value", JSON.createArrayNode().add("usd").add("eur"));
                rule.put("on_deny", "large payments need review");
                ObjectNode second = denyIf.addObject();
                second.putArray("conditions").addObject().put("arg", "items[0].sku").put("op", "matches").put("value", "^(?i)blocked-");
                second.put("on_deny", "blocked SKU");
                ObjectNode third = denyIf.addObject();
                third.putArray("conditions").addObject().put("arg", "note").put("op", "contains").put("value", "DROP TABLE");
            }
            if (i % 5 == 0) {
                entry.putArray("limits").addObject().put("counter", "writes_" + (i % 50)).put("window", "minute").put("max", 1_000_000)
                        .put("scope", "identity");
            }
            if (i % 97 == 0) {
                entry.put("action", "deny").put("reason", "retired tool");
            }
        }
        for (int i = 0; i < GLOBS; i++) {
            ObjectNode entry = tools.putObject(String.format("group%03d_*", i));
            if (i % 4 == 0) {
                entry.putArray("deny_if").addObject().putArray("conditions").addObject().put("arg", "path").put("op", "starts_with").put("value", "/etc/");
            }
        }
        tools.putObject("*").put("action", "deny").put("reason", "unknown tool");
        return root.toString();
    }

    /** Calls hitting exact entries (with and without schemas and conditions), globs, the catch-all and denials. */
    static List<ToolCall> calls(int identities) {
        JsonNode payment = payment();
        JsonNode large = parse("{\"amount\":20000,\"currency\":\"eur\",\"items\":[{\"sku\":\"abc-1\"}]}");
        JsonNode invalid = parse("{\"amount\":\"lots\",\"currency\":\"usd\"}");
        JsonNode file = parse("{\"path\":\"/home/agent/report.txt\"}");
        List<ToolCall> calls = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String identity = "agent-" + (i * 7919 % identities);
            ToolCall call = switch (i % 8) {
                case 0, 1 -> new ToolCall("tool_" + (i * 3 % EXACT), payment, identity, null);         // schema + conditions + limits
                case 2 -> new ToolCall("tool_" + (i * 3 % EXACT), large, identity, null);               // denied by deny_if[0]
                case 3 -> new ToolCall("tool_" + (i * 3 % EXACT), invalid, identity, null);             // invalid_arguments
                case 4 -> new ToolCall("tool_" + (i * 7 % EXACT + 1), payment, identity, null);         // no schema
                case 5 -> new ToolCall(String.format("group%03d_read", i * 5 % GLOBS), file, identity, null); // glob
                case 6 -> new ToolCall("unknown_tool_" + i, payment, identity, null);                   // catch-all glob
                default -> new ToolCall("tool_" + (i * 11 % EXACT), null, identity, "session-" + i);
            };
            calls.add(call);
        }
        return calls;
    }

    /** Arguments that pass every schema and condition of the generated policy. */
    static JsonNode payment() {
        return parse("{\"amount\":125.5,\"currency\":\"usd\",\"items\":[{\"sku\":\"abc-1\",\"qty\":2}],\"note\":\"monthly\"}");
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
