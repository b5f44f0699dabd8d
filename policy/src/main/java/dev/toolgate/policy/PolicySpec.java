package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The McpPolicy spelling of a policy: a resource's {@code spec} (camelCase, {@code denyIf}, {@code rateLimit}) turned
 * into the policy document the sidecar reads (snake_case, {@code deny_if}, {@code rate_limit}), without the
 * Kubernetes-only fields. The one place that mapping lives: the operator renders its ConfigMaps with it and the offline
 * checker reads manifests with it. Problems are reported with their spec path ({@link SpecPaths}).
 */
public final class PolicySpec {

    /**
     * The rendered document and the spec's own problems: fields the McpPolicy schema does not have (they would be refused
     * or pruned by the API server, so they are never carried into the document), each with its spec path.
     */
    public record Rendering(ObjectNode document, List<PolicyError> errors) {
    }

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** The spec's fields; podSelector, upstream, identity, sidecar, rateLimits and restartUnprotected are the operator's, not the document's. */
    private static final List<String> SPEC_FIELDS = List.of("podSelector", "upstream", "identity", "default", "enforcement", "hideDeniedTools", "limits",
            "tools", "grants", "sidecar", "rateLimits", "restartUnprotected");
    /** An McpClusterPolicy's or McpNamespacePolicy's spec: a baseline's rules; namespaceSelector is the operator's. */
    private static final List<String> BASELINE_SPEC_FIELDS = List.of("namespaceSelector", "default", "enforcement", "limits", "tools");
    private static final List<String> TOOL_FIELDS = List.of("action", "reason", "args", "denyIf", "limits", "rateLimit", "approval",
            "enforcement", "pin");
    private static final List<String> APPROVAL_FIELDS = List.of("mode", "expiresAfter", "arguments", "holdFor");
    private static final List<String> DENY_IF_FIELDS = List.of("conditions", "onDeny");
    private static final List<String> CONDITION_FIELDS = List.of("arg", "op", "value");
    private static final List<String> LIMIT_FIELDS = List.of("counter", "window", "max", "scope");
    private static final List<String> RATE_LIMIT_FIELDS = List.of("max", "window");
    private static final List<String> GRANT_FIELDS = List.of("name", "callers", "tools");
    private static final List<String> CALLERS_FIELDS = List.of("subjects", "groups");
    static final String GRANTS_WITHOUT_IDENTITY = "no grant can ever match: without spec.identity every caller is anonymous, and grants"
            + " never match anonymous callers; configure spec.identity or write the rules in spec.tools";

    private final List<PolicyError> errors = new ArrayList<>();

    private PolicySpec() {
    }

    /**
     * Renders a spec into a policy document. Pure and total: a value of the wrong type is carried over as it is, so the
     * engine's validation reports it; an absent or {@code null} field is left out.
     */
    public static Rendering render(JsonNode spec) {
        PolicySpec rendering = new PolicySpec();
        ObjectNode document = rendering.document(spec);
        return new Rendering(document, List.copyOf(rendering.errors));
    }

    /**
     * Renders and validates a spec: the document, or every problem at once with its spec path
     * ({@code spec.tools["x"].denyIf[0].onDeny: ...}): fields the schema lacks, grants no caller can match, and everything
     * the engine's validation of the rendered document finds.
     */
    public static PolicyDocument parse(JsonNode spec) throws PolicyException {
        if (spec == null || spec.isMissingNode() || spec.isNull()) {
            throw new PolicyException(List.of(new PolicyError("spec", "required")));
        }
        if (!spec.isObject()) {
            throw new PolicyException(List.of(new PolicyError("spec", "expected an object, got " + JsonValues.typeName(spec))));
        }
        Rendering rendering = render(spec);
        List<PolicyError> problems = new ArrayList<>(rendering.errors());
        JsonNode grants = spec.get("grants");
        if (grants != null && grants.isArray() && !grants.isEmpty() && absent(spec.get("identity"))) {
            problems.add(new PolicyError("spec.grants", GRANTS_WITHOUT_IDENTITY));
        }
        PolicyDocument document = null;
        try {
            document = PolicyDocument.parse(rendering.document());
        } catch (PolicyException e) {
            e.errors().forEach(error -> problems.add(new PolicyError(SpecPaths.toSpecPath(error.path()), error.message())));
        }
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        return document;
    }

    /**
     * Renders and validates the spec of a baseline (McpClusterPolicy, McpNamespacePolicy): its policy document, which
     * {@code baselines} of a server's rendered document carry, or every problem with its spec path. A baseline has a
     * policy's {@code default}, {@code enforcement}, {@code limits} and {@code tools}; nothing that only a server's own
     * McpPolicy can say (grants, identity, pins, hideDeniedTools). Its {@code default} is {@code allow} unless written.
     */
    public static PolicyDocument parseBaseline(JsonNode spec) throws PolicyException {
        if (spec == null || spec.isMissingNode() || spec.isNull()) {
            throw new PolicyException(List.of(new PolicyError("spec", "required")));
        }
        if (!spec.isObject()) {
            throw new PolicyException(List.of(new PolicyError("spec", "expected an object, got " + JsonValues.typeName(spec))));
        }
        PolicySpec rendering = new PolicySpec();
        ObjectNode document = rendering.document(spec, BASELINE_SPEC_FIELDS);
        if (!document.has("default")) {
            document.put("default", "allow"); // a baseline restricts what it names
        }
        List<PolicyError> problems = new ArrayList<>(rendering.errors);
        PolicyDocument parsed = null;
        try {
            parsed = PolicyDocument.parseBaseline(document);
        } catch (PolicyException e) {
            e.errors().forEach(error -> problems.add(new PolicyError(SpecPaths.toSpecPath(error.path()), error.message())));
        }
        if (!problems.isEmpty()) {
            throw new PolicyException(problems);
        }
        return parsed;
    }

    private ObjectNode document(JsonNode spec) {
        return document(spec, SPEC_FIELDS);
    }

    private ObjectNode document(JsonNode spec, List<String> fields) {
        ObjectNode doc = JSON.objectNode();
        doc.put("version", "1");
        if (spec == null || !spec.isObject()) {
            doc.set("tools", JSON.objectNode());
            return doc;
        }
        unknownFields(spec, "spec", fields);
        copy(spec, "default", doc, "default");
        copy(spec, "enforcement", doc, "enforcement");
        if (fields.contains("hideDeniedTools")) {
            copy(spec, "hideDeniedTools", doc, "hide_denied_tools");
        }
        if (present(spec.get("limits"))) {
            doc.set("limits", limits(spec.get("limits"), "spec.limits"));
        }
        doc.set("tools", absent(spec.get("tools")) ? JSON.objectNode() : tools(spec.get("tools"), "spec"));
        // absent unless written, so that a policy without grants keeps its document and hash
        JsonNode grants = fields.contains("grants") ? spec.get("grants") : null;
        if (present(grants)) {
            if (grants.isArray()) {
                ArrayNode rendered = doc.putArray("grants");
                for (int i = 0; i < grants.size(); i++) {
                    rendered.add(grant(grants.get(i), "spec.grants[" + i + "]"));
                }
            } else {
                doc.set("grants", grants.deepCopy());
            }
        }
        return doc;
    }

    private JsonNode tools(JsonNode rules, String parent) {
        if (!rules.isObject()) {
            return rules.deepCopy();
        }
        ObjectNode tools = JSON.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = rules.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            tools.set(entry.getKey(), tool(entry.getValue(), parent + ".tools[" + PolicyPaths.quote(entry.getKey()) + "]"));
        }
        return tools;
    }

    private JsonNode grant(JsonNode grant, String path) {
        if (absent(grant)) {
            return JSON.objectNode();
        }
        if (!grant.isObject()) {
            return grant.deepCopy();
        }
        unknownFields(grant, path, GRANT_FIELDS);
        ObjectNode rendered = JSON.objectNode();
        copy(grant, "name", rendered, "name");
        nested(grant, "callers", path, rendered, "callers", CALLERS_FIELDS, CALLERS_FIELDS);
        if (present(grant.get("tools"))) {
            rendered.set("tools", tools(grant.get("tools"), path));
        }
        return rendered;
    }

    private JsonNode tool(JsonNode rule, String path) {
        if (absent(rule)) {
            return JSON.objectNode();
        }
        if (!rule.isObject()) {
            return rule.deepCopy();
        }
        unknownFields(rule, path, TOOL_FIELDS);
        ObjectNode tool = JSON.objectNode();
        copy(rule, "action", tool, "action");
        copy(rule, "reason", tool, "reason");
        copy(rule, "enforcement", tool, "enforcement");
        copy(rule, "pin", tool, "pin");
        if (rule.has("args")) {
            // a JSON Schema: its names are the user's own, copied as they are
            tool.set("args", rule.get("args").deepCopy());
        }
        JsonNode denyIf = rule.get("denyIf");
        if (present(denyIf)) {
            tool.set("deny_if", denyIf(denyIf, path + ".denyIf"));
        }
        if (present(rule.get("limits"))) {
            tool.set("limits", limits(rule.get("limits"), path + ".limits"));
        }
        nested(rule, "rateLimit", path, tool, "rate_limit", RATE_LIMIT_FIELDS, RATE_LIMIT_FIELDS);
        nested(rule, "approval", path, tool, "approval", APPROVAL_FIELDS, List.of("mode", "expires_after", "arguments", "hold_for"));
        return tool;
    }

    private JsonNode denyIf(JsonNode items, String path) {
        if (!items.isArray()) {
            return items.deepCopy();
        }
        ArrayNode denyIf = JSON.arrayNode();
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            String itemPath = path + "[" + i + "]";
            if (!item.isObject()) {
                denyIf.add(item.deepCopy());
                continue;
            }
            unknownFields(item, itemPath, DENY_IF_FIELDS);
            ObjectNode rendered = denyIf.addObject();
            JsonNode conditions = item.get("conditions");
            if (present(conditions) && !conditions.isArray()) {
                rendered.set("conditions", conditions.deepCopy());
            } else {
                ArrayNode renderedConditions = rendered.putArray("conditions");
                if (present(conditions)) {
                    for (int c = 0; c < conditions.size(); c++) {
                        renderedConditions.add(condition(conditions.get(c), itemPath + ".conditions[" + c + "]"));
                    }
                }
            }
            copy(item, "onDeny", rendered, "on_deny");
        }
        return denyIf;
    }

    private JsonNode condition(JsonNode condition, String path) {
        if (!condition.isObject()) {
            return condition.deepCopy();
        }
        unknownFields(condition, path, CONDITION_FIELDS);
        ObjectNode rendered = JSON.objectNode();
        // always written, so that a missing arg reads as the engine's "arg" error
        rendered.set("arg", present(condition.get("arg")) ? condition.get("arg").deepCopy() : JSON.nullNode());
        copy(condition, "op", rendered, "op");
        if (condition.has("value")) {
            rendered.set("value", condition.get("value").deepCopy());
        }
        return rendered;
    }

    private JsonNode limits(JsonNode limits, String path) {
        if (!limits.isArray()) {
            return limits.deepCopy();
        }
        ArrayNode rendered = JSON.arrayNode();
        for (int i = 0; i < limits.size(); i++) {
            JsonNode limit = limits.get(i);
            if (!limit.isObject()) {
                rendered.add(limit.deepCopy());
                continue;
            }
            unknownFields(limit, path + "[" + i + "]", LIMIT_FIELDS);
            ObjectNode item = rendered.addObject();
            item.set("counter", present(limit.get("counter")) ? limit.get("counter").deepCopy() : JSON.nullNode());
            copy(limit, "window", item, "window");
            copy(limit, "max", item, "max");
            copy(limit, "scope", item, "scope");
        }
        return rendered;
    }

    private static void copy(JsonNode from, String field, ObjectNode to, String renamed) {
        JsonNode value = from.get(field);
        if (present(value)) {
            to.set(renamed, value.deepCopy());
        }
    }

    private void unknownFields(JsonNode object, String path, List<String> allowed) {
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                String fieldPath = IDENTIFIER.matcher(name).matches() ? path + "." + name : path + "[" + PolicyPaths.quote(name) + "]";
                errors.add(new PolicyError(fieldPath, "unknown field " + PolicyPaths.quote(name) + "; expected one of " + String.join(", ", allowed)));
            }
        }
    }

    /**
     * A nested object of plain fields ({@code rateLimit}, {@code approval}, {@code callers}): {@code parent.field} rendered
     * as {@code into.to}, each of {@code fields} under its document name at the same position of {@code documentNames};
     * a field the spec does not have is an error; anything but an object is carried over for the engine to report.
     */
    private void nested(JsonNode parent, String field, String path, ObjectNode into, String to, List<String> fields,
            List<String> documentNames) {
        JsonNode value = parent.get(field);
        if (absent(value)) {
            return;
        }
        if (!value.isObject()) {
            into.set(to, value.deepCopy());
            return;
        }
        unknownFields(value, path + "." + field, fields);
        ObjectNode rendered = into.putObject(to);
        for (int i = 0; i < fields.size(); i++) {
            copy(value, fields.get(i), rendered, documentNames.get(i));
        }
    }

    private static boolean present(JsonNode value) {
        return !absent(value);
    }

    private static boolean absent(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode();
    }
}
