package dev.toolgate.operator.mcppolicy;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * Turns an McpPolicy spec into the policy document the sidecar reads: the same content with the document's
 * snake_case field names, without the Kubernetes-only fields. Pure; validation is the policy module's job.
 */
public final class PolicyDocumentRenderer {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private PolicyDocumentRenderer() {
    }

    public static ObjectNode render(McpPolicySpec spec) {
        ObjectNode doc = JSON.objectNode();
        doc.put("version", "1");
        if (spec.getDefaultAction() != null) {
            doc.put("default", spec.getDefaultAction() == McpPolicySpec.DefaultAction.DENY ? "deny" : "allow");
        }
        if (spec.getHideDeniedTools() != null) {
            doc.put("hide_denied_tools", spec.getHideDeniedTools());
        }
        if (spec.getLimits() != null) {
            doc.set("limits", limits(spec.getLimits()));
        }
        doc.set("tools", tools(spec.getTools()));
        // absent unless written, so that a policy without grants keeps its document and hash
        if (spec.getGrants() != null) {
            ArrayNode grants = doc.putArray("grants");
            for (Grant grant : spec.getGrants()) {
                grants.add(grant(grant));
            }
        }
        return doc;
    }

    private static ObjectNode tools(Map<String, ToolRule> rules) {
        ObjectNode tools = JSON.objectNode();
        if (rules != null) {
            for (Map.Entry<String, ToolRule> entry : rules.entrySet()) {
                tools.set(entry.getKey(), tool(entry.getValue()));
            }
        }
        return tools;
    }

    private static ObjectNode grant(Grant grant) {
        ObjectNode rendered = JSON.objectNode();
        if (grant == null) {
            return rendered;
        }
        if (grant.getName() != null) {
            rendered.put("name", grant.getName());
        }
        if (grant.getCallers() != null) {
            ObjectNode callers = rendered.putObject("callers");
            if (grant.getCallers().getSubjects() != null) {
                ArrayNode subjects = callers.putArray("subjects");
                grant.getCallers().getSubjects().forEach(subjects::add);
            }
            if (grant.getCallers().getGroups() != null) {
                ArrayNode groups = callers.putArray("groups");
                grant.getCallers().getGroups().forEach(groups::add);
            }
        }
        if (grant.getTools() != null) {
            rendered.set("tools", tools(grant.getTools()));
        }
        return rendered;
    }

    private static ObjectNode tool(ToolRule rule) {
        ObjectNode tool = JSON.objectNode();
        if (rule == null) {
            return tool;
        }
        if (rule.getAction() != null) {
            tool.put("action", switch (rule.getAction()) {
                case ALLOW -> "allow";
                case DENY -> "deny";
                case REQUIRE_APPROVAL -> "require_approval";
            });
        }
        if (rule.getReason() != null) {
            tool.put("reason", rule.getReason());
        }
        if (rule.getArgs() != null) {
            tool.set("args", rule.getArgs().deepCopy());
        }
        if (rule.getDenyIf() != null) {
            ArrayNode denyIf = tool.putArray("deny_if");
            for (DenyIf item : rule.getDenyIf()) {
                ObjectNode rendered = denyIf.addObject();
                ArrayNode conditions = rendered.putArray("conditions");
                if (item.getConditions() != null) {
                    item.getConditions().forEach(c -> conditions.add(condition(c)));
                }
                if (item.getOnDeny() != null) {
                    rendered.put("on_deny", item.getOnDeny());
                }
            }
        }
        if (rule.getLimits() != null) {
            tool.set("limits", limits(rule.getLimits()));
        }
        if (rule.getApproval() != null) {
            ObjectNode approval = tool.putObject("approval");
            if (rule.getApproval().getMode() != null) {
                approval.put("mode", "retry");
            }
            if (rule.getApproval().getExpiresAfter() != null) {
                approval.put("expires_after", rule.getApproval().getExpiresAfter());
            }
            if (rule.getApproval().getArguments() != null) {
                approval.put("arguments", rule.getApproval().getArguments() == ApprovalSettings.Arguments.DIGEST ? "digest" : "show");
            }
        }
        if (rule.getRateLimit() != null) {
            ObjectNode rateLimit = tool.putObject("rate_limit");
            if (rule.getRateLimit().getMax() != null) {
                rateLimit.put("max", rule.getRateLimit().getMax());
            }
            putWindow(rateLimit, rule.getRateLimit().getWindow());
        }
        return tool;
    }

    private static ObjectNode condition(Condition condition) {
        ObjectNode rendered = JSON.objectNode();
        rendered.put("arg", condition.getArg());
        if (condition.getOp() != null) {
            rendered.put("op", condition.getOp().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (condition.getValue() != null) {
            rendered.set("value", condition.getValue().deepCopy());
        }
        return rendered;
    }

    private static ArrayNode limits(List<Limit> limits) {
        ArrayNode rendered = JSON.arrayNode();
        for (Limit limit : limits) {
            ObjectNode item = rendered.addObject();
            item.put("counter", limit.getCounter());
            putWindow(item, limit.getWindow());
            if (limit.getMax() != null) {
                item.put("max", limit.getMax());
            }
            if (limit.getScope() != null) {
                item.put("scope", limit.getScope().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return rendered;
    }

    private static void putWindow(ObjectNode target, IntOrString window) {
        if (window == null) {
            return;
        }
        JsonNode value = window.getIntVal() != null ? JSON.numberNode(window.getIntVal()) : JSON.textNode(window.getStrVal());
        target.set("window", value);
    }
}
