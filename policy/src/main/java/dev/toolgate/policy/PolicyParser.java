package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.re2j.PatternSyntaxException;
import dev.toolgate.policy.PolicyModel.Action;
import dev.toolgate.policy.PolicyModel.DenyRule;
import dev.toolgate.policy.PolicyModel.Enforcement;
import dev.toolgate.policy.PolicyModel.Grant;
import dev.toolgate.policy.PolicyModel.LimitSpec;
import dev.toolgate.policy.PolicyModel.ToolEntry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Strict validation of a policy document tree into a {@link PolicyModel}; collects every error instead of stopping at the first. */
final class PolicyParser {

    static final int MAX_LIMIT = 1_000_000;
    /** Grant names appear in decisions, audit lines, metric labels and counter keys: short, lower case, no separators to confuse. */
    static final java.util.regex.Pattern GRANT_NAME = java.util.regex.Pattern.compile("[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?");
    static final int MAX_PATTERN_LENGTH = 512;

    private static final List<String> ROOT_FIELDS = List.of("version", "default", "enforcement", "hide_denied_tools", "limits", "tools", "grants",
            "baselines");
    private static final List<String> GRANT_FIELDS = List.of("name", "callers", "tools");
    private static final List<String> CALLERS_FIELDS = List.of("subjects", "groups");
    private static final List<String> ENTRY_FIELDS = List.of("action", "reason", "args", "deny_if", "limits", "rate_limit", "approval", "enforcement", "pin");
    private static final List<String> APPROVAL_FIELDS = List.of("mode", "expires_after", "arguments", "hold_for");
    private static final List<String> DENY_FIELDS = List.of("conditions", "on_deny");
    private static final List<String> CONDITION_FIELDS = List.of("arg", "op", "value");
    private static final List<String> LIMIT_FIELDS = List.of("counter", "window", "max", "scope");
    private static final List<String> RATE_LIMIT_FIELDS = List.of("max", "window", "scope");

    private final List<PolicyError> errors;
    /** First definition seen per counter name, with where it was seen, to detect conflicting definitions. */
    private final Map<String, LimitSpec> counters = new LinkedHashMap<>();

    private PolicyParser(List<PolicyError> errors) {
        this.errors = errors;
    }

    /** The model, or {@code null} when any error was added. */
    static PolicyModel parse(JsonNode root, List<PolicyError> errors) {
        int before = errors.size();
        PolicyModel model = new PolicyParser(errors).document(root);
        return errors.size() == before ? model : null;
    }

    private PolicyModel document(JsonNode root) {
        if (root == null || !root.isObject()) {
            error(PolicyPaths.ROOT, "expected a JSON object, got " + JsonValues.typeName(root));
            return null;
        }
        unknownFields(root, "", ROOT_FIELDS);

        JsonNode version = root.get("version");
        if (version == null) {
            error("version", "required field is missing; expected \"1\"");
        } else if (!version.isTextual()) {
            error("version", "expected the string \"1\", got " + JsonValues.typeName(version));
        } else if (!"1".equals(version.textValue())) {
            error("version", "unsupported version " + PolicyPaths.quote(version.textValue()) + "; expected \"1\"");
        }

        boolean defaultDeny = true;
        JsonNode def = root.get("default");
        if (def == null) {
            error("default", "required field is missing; expected \"allow\" or \"deny\"");
        } else if (!def.isTextual() || !Set.of("allow", "deny").contains(def.textValue())) {
            error("default", "expected \"allow\" or \"deny\", got " + shown(def));
        } else {
            defaultDeny = "deny".equals(def.textValue());
        }

        Enforcement enforcement = enforcement(root, "");

        boolean hide = false;
        JsonNode hideNode = root.get("hide_denied_tools");
        if (hideNode != null) {
            if (hideNode.isBoolean()) {
                hide = hideNode.booleanValue();
            } else {
                error("hide_denied_tools", "expected a boolean, got " + JsonValues.typeName(hideNode));
            }
        }

        List<LimitSpec> limits = limits(root.get("limits"), "limits");

        List<ToolEntry> tools = toolEntries(root.get("tools"), "", true);
        List<Grant> grants = grants(root.get("grants"));
        checkPins(tools, grants);
        return new PolicyModel(defaultDeny, hide, enforcement == null ? Enforcement.ENFORCE : enforcement, List.copyOf(limits), List.copyOf(tools), List.copyOf(grants));
    }

    /** The entries of a {@code tools} object under {@code parent} ({@code ""} for the document's own). */
    private List<ToolEntry> toolEntries(JsonNode toolsNode, String parent, boolean optional) {
        List<ToolEntry> tools = new ArrayList<>();
        String toolsPath = PolicyPaths.field(parent, "tools");
        if (toolsNode == null) {
            if (!optional) {
                error(toolsPath, "required field is missing; expected an object mapping tool names or globs to entries");
            }
            return tools;
        }
        if (!toolsNode.isObject()) {
            error(toolsPath, "expected an object mapping tool names or globs to entries, got " + JsonValues.typeName(toolsNode));
            return tools;
        }
        if (!optional && toolsNode.isEmpty()) {
            error(toolsPath, "a grant without tool entries decides nothing; expected at least one entry");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = toolsNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            ToolEntry entry = entry(field.getKey(), field.getValue(), PolicyPaths.tool(parent, field.getKey()));
            if (entry != null) {
                tools.add(entry);
            }
        }
        checkGlobTies(tools);
        return tools;
    }

    private ToolEntry entry(String name, JsonNode node, String path) {
        if (name.isEmpty()) {
            error(path, "tool name must not be empty");
        }
        if (!node.isObject()) {
            error(path, "expected an object (the tool's entry), got " + JsonValues.typeName(node));
            return null;
        }
        unknownFields(node, path, ENTRY_FIELDS);

        Action action = Action.ALLOW;
        JsonNode actionNode = node.get("action");
        if (actionNode != null) {
            action = null;
            if (actionNode.isTextual()) {
                for (Action a : Action.values()) {
                    if (a.spelling().equals(actionNode.textValue())) {
                        action = a;
                    }
                }
            }
            if (action == null) {
                error(PolicyPaths.field(path, "action"), "expected \"allow\", \"deny\" or \"require_approval\", got " + shown(actionNode));
                action = Action.DENY;
            }
        }

        String reason = optionalString(node, path, "reason");

        ArgsSchema args = null;
        JsonNode argsNode = node.get("args");
        if (argsNode != null) {
            args = ArgsSchema.compile(argsNode, PolicyPaths.field(path, "args"), errors);
        }

        List<DenyRule> denyIf = new ArrayList<>();
        JsonNode denyNode = node.get("deny_if");
        String denyPath = PolicyPaths.field(path, "deny_if");
        if (denyNode != null) {
            if (!denyNode.isArray()) {
                error(denyPath, "expected an array of {\"conditions\": [...], \"on_deny\": \"...\"} items, got " + JsonValues.typeName(denyNode));
            } else {
                for (int i = 0; i < denyNode.size(); i++) {
                    DenyRule rule = denyRule(denyNode.get(i), PolicyPaths.index(denyPath, i));
                    if (rule != null) {
                        denyIf.add(rule);
                    }
                }
            }
        }

        List<LimitSpec> limits = new ArrayList<>(limits(node.get("limits"), PolicyPaths.field(path, "limits")));
        JsonNode rateLimit = node.get("rate_limit");
        if (rateLimit != null) {
            LimitSpec shorthand = rateLimit(rateLimit, PolicyPaths.field(path, "rate_limit"));
            if (shorthand != null) {
                limits.add(shorthand);
            }
        }
        ApprovalTerms approval = approval(node.get("approval"), PolicyPaths.field(path, "approval"), action);
        Enforcement enforcement = enforcement(node, path);
        String pin = pin(node.get("pin"), PolicyPaths.field(path, "pin"), name);
        return new ToolEntry(name, path, action, reason, args, List.copyOf(denyIf), List.copyOf(limits), approval, enforcement, pin);
    }

    /** An entry's {@code pin}, or null when absent (or invalid: the error is added). */
    private String pin(JsonNode node, String path, String name) {
        if (node == null) {
            return null;
        }
        if (ToolGlob.isGlob(name)) {
            error(path, "a pin is the digest of one tool's definition, so only an entry naming one tool exactly may carry it, not a glob");
            return null;
        }
        if (!node.isTextual() || !ToolDefinitionDigest.isWellFormed(node.textValue())) {
            error(path, "expected \"sha256:\" followed by 64 lower-case hex digits (the digest of the tool's definition, as "
                    + "policy-check starter writes it), got " + shown(node));
            return null;
        }
        return node.textValue();
    }

    /**
     * A tool has one definition, whoever calls it: every entry naming it (the document's own and each grant's) must pin
     * the same digest. Each disagreeing pin is reported at its path, naming the first.
     */
    private void checkPins(List<ToolEntry> tools, List<Grant> grants) {
        Map<String, ToolEntry> first = new LinkedHashMap<>();
        List<ToolEntry> all = new ArrayList<>(tools);
        grants.forEach(grant -> all.addAll(grant.tools()));
        for (ToolEntry entry : all) {
            if (entry.pin() == null) {
                continue;
            }
            ToolEntry earlier = first.putIfAbsent(entry.name(), entry);
            if (earlier != null && !earlier.pin().equals(entry.pin())) {
                error(PolicyPaths.field(entry.path(), "pin"), "conflicts with the pin at " + PolicyPaths.field(earlier.path(), "pin")
                        + ": a tool has one definition, so every entry naming it must pin the same digest");
            }
        }
    }

    /** The {@code enforcement} field of the object at {@code path}, or null when absent (or invalid: the error is added). */
    private Enforcement enforcement(JsonNode node, String path) {
        JsonNode value = node.get("enforcement");
        if (value == null) {
            return null;
        }
        if (value.isTextual()) {
            for (Enforcement e : Enforcement.values()) {
                if (e.spelling().equals(value.textValue())) {
                    return e;
                }
            }
        }
        error(PolicyPaths.field(path, "enforcement"), "expected \"enforce\" (refusals are carried out) or \"audit\" (calls are decided, "
                + "counted and audited as they would be, but forwarded), got " + shown(value));
        return null;
    }

    /** An entry's {@code approval} object, or null when absent (then {@link ApprovalTerms#DEFAULT} applies). */
    private ApprovalTerms approval(JsonNode node, String path, Action action) {
        if (node == null) {
            return null;
        }
        if (!node.isObject()) {
            error(path, "expected an object with \"mode\", \"expires_after\", \"arguments\" and \"hold_for\", got " + JsonValues.typeName(node));
            return null;
        }
        if (action != Action.REQUIRE_APPROVAL) {
            error(path, "approval settings apply only to an entry with \"action\": \"require_approval\"");
        }
        unknownFields(node, path, APPROVAL_FIELDS);
        ApprovalTerms terms = ApprovalTerms.DEFAULT;
        JsonNode mode = node.get("mode");
        String modeName = ApprovalTerms.RETRY;
        if (mode != null) {
            String text = mode.isTextual() ? mode.textValue() : null;
            if (ApprovalTerms.RETRY.equals(text) || ApprovalTerms.HOLD.equals(text) || ApprovalTerms.ELICIT.equals(text)) {
                modeName = text;
            } else {
                error(PolicyPaths.field(path, "mode"), "expected \"retry\" (the agent is answered at once and retries the same call once a human "
                        + "approved it), \"hold\" (the request waits for the decision, up to hold_for) or \"elicit\" (2026-07-28 clients that "
                        + "take form elicitation are answered \"input required\" and re-send the call; others as in retry mode), got " + shown(mode));
            }
        }
        boolean hold = ApprovalTerms.HOLD.equals(modeName);
        long expiresAfter = terms.expiresAfterMillis();
        JsonNode expires = node.get("expires_after");
        if (expires != null) {
            expiresAfter = Windows.parseMillis(expires, PolicyPaths.field(path, "expires_after"), errors, "expires_after");
        }
        boolean show = terms.showArguments();
        JsonNode arguments = node.get("arguments");
        if (arguments != null) {
            if (arguments.isTextual() && ("show".equals(arguments.textValue()) || "digest".equals(arguments.textValue()))) {
                show = "show".equals(arguments.textValue());
            } else {
                error(PolicyPaths.field(path, "arguments"), "expected \"show\" (the approver sees the arguments) or \"digest\" (only their "
                        + "SHA-256, for sensitive arguments), got " + shown(arguments));
            }
        }
        long holdFor = hold ? ApprovalTerms.DEFAULT_HOLD_FOR_MILLIS : 0L;
        JsonNode holdForNode = node.get("hold_for");
        if (holdForNode != null) {
            String holdForPath = PolicyPaths.field(path, "hold_for");
            if (ApprovalTerms.ELICIT.equals(modeName)) {
                error(holdForPath, "hold_for applies only to \"mode\": \"hold\" (in elicit mode nothing is held: the client is answered "
                        + "\"input required\" at once and re-sends the call)");
            } else if (!hold) {
                error(holdForPath, "hold_for applies only to \"mode\": \"hold\" (in retry mode the agent is answered at once)");
            } else {
                holdFor = Windows.parseMillis(holdForNode, holdForPath, errors, "hold_for");
                if (holdFor > ApprovalTerms.MAX_HOLD_FOR_MILLIS) {
                    error(holdForPath, "hold_for must be at most 10m (a held request keeps the agent waiting on an open connection; "
                            + "use retry mode for longer waits), got " + shown(holdForNode));
                }
            }
        }
        return new ApprovalTerms(modeName, expiresAfter, show, holdFor);
    }

    private DenyRule denyRule(JsonNode node, String path) {
        if (!node.isObject()) {
            error(path, "expected an object with \"conditions\" and \"on_deny\", got " + JsonValues.typeName(node));
            return null;
        }
        unknownFields(node, path, DENY_FIELDS);
        String onDeny = optionalString(node, path, "on_deny");
        JsonNode conditionsNode = node.get("conditions");
        String conditionsPath = PolicyPaths.field(path, "conditions");
        if (conditionsNode == null) {
            error(conditionsPath, "required field is missing; expected an array of conditions ([] always matches)");
            return null;
        }
        if (!conditionsNode.isArray()) {
            error(conditionsPath, "expected an array of conditions, got " + JsonValues.typeName(conditionsNode));
            return null;
        }
        List<Condition> conditions = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < conditionsNode.size(); i++) {
            Condition c = condition(conditionsNode.get(i), PolicyPaths.index(conditionsPath, i));
            if (c == null) {
                ok = false;
            } else {
                conditions.add(c);
            }
        }
        return ok ? new DenyRule(path, List.copyOf(conditions), onDeny) : null;
    }

    private Condition condition(JsonNode node, String path) {
        if (!node.isObject()) {
            error(path, "expected an object {\"arg\": ..., \"op\": ..., \"value\": ...}, got " + JsonValues.typeName(node));
            return null;
        }
        int before = errors.size();
        unknownFields(node, path, CONDITION_FIELDS);

        ArgPath argPath = null;
        JsonNode arg = node.get("arg");
        String argFieldPath = PolicyPaths.field(path, "arg");
        if (arg == null) {
            error(argFieldPath, "required field is missing; expected a path into the arguments such as \"amount\" or \"items[0].price\"");
        } else if (!arg.isTextual()) {
            error(argFieldPath, "expected a string, got " + JsonValues.typeName(arg));
        } else {
            argPath = ArgPath.parse(arg.textValue(), argFieldPath, errors);
        }

        Operator op = null;
        JsonNode opNode = node.get("op");
        String opPath = PolicyPaths.field(path, "op");
        if (opNode == null) {
            error(opPath, "required field is missing; expected one of " + Operator.allSpellings());
        } else if (!opNode.isTextual()) {
            error(opPath, "expected a string (one of " + Operator.allSpellings() + "), got " + JsonValues.typeName(opNode));
        } else {
            op = Operator.fromSpelling(opNode.textValue());
            if (op == null) {
                error(opPath, "unknown operator " + PolicyPaths.quote(opNode.textValue()) + "; expected one of " + Operator.allSpellings());
            }
        }

        JsonNode value = node.get("value");
        String valuePath = PolicyPaths.field(path, "value");
        RegexSearch pattern = null;
        if (op != null) {
            if (!op.takesValue()) {
                if (value != null) {
                    error(valuePath, "operator \"" + op.spelling() + "\" takes no value");
                }
            } else if (value == null) {
                error(valuePath, "required field is missing for operator \"" + op.spelling() + "\"");
            } else {
                switch (op) {
                    case GT, GTE, LT, LTE -> {
                        if (!value.isNumber() || JsonValues.decimal(value) == null) {
                            error(valuePath, "operator \"" + op.spelling() + "\" needs a number, got " + JsonValues.typeName(value));
                        }
                    }
                    case IN, NOT_IN -> {
                        if (!value.isArray()) {
                            error(valuePath, "operator \"" + op.spelling() + "\" needs an array of values, got " + JsonValues.typeName(value));
                        }
                    }
                    case STARTS_WITH, ENDS_WITH -> {
                        if (!value.isTextual()) {
                            error(valuePath, "operator \"" + op.spelling() + "\" needs a string, got " + JsonValues.typeName(value));
                        }
                    }
                    case MATCHES -> {
                        if (!value.isTextual()) {
                            error(valuePath, "operator \"matches\" needs a regular expression string, got " + JsonValues.typeName(value));
                        } else {
                            try {
                                pattern = RegexSearch.compile(value.textValue());
                            } catch (PatternSyntaxException e) {
                                error(valuePath, "invalid regular expression (RE2 syntax): " + e.getMessage());
                            }
                        }
                    }
                    default -> {
                        // eq, ne, contains accept any JSON value
                    }
                }
            }
        }
        if (errors.size() > before) {
            return null;
        }
        return new Condition(argPath, op, value, pattern);
    }

    private List<LimitSpec> limits(JsonNode node, String path) {
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            error(path, "expected an array of limits, got " + JsonValues.typeName(node));
            return List.of();
        }
        List<LimitSpec> result = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String itemPath = PolicyPaths.index(path, i);
            JsonNode item = node.get(i);
            if (!item.isObject()) {
                error(itemPath, "expected a limit object {\"counter\", \"window\", \"max\", \"scope\"}, got " + JsonValues.typeName(item));
                continue;
            }
            unknownFields(item, itemPath, LIMIT_FIELDS);
            String counter = null;
            JsonNode counterNode = item.get("counter");
            String counterPath = PolicyPaths.field(itemPath, "counter");
            if (counterNode == null) {
                error(counterPath, "required field is missing; expected the counter's name");
            } else if (!counterNode.isTextual() || counterNode.textValue().isEmpty()) {
                error(counterPath, "expected a non-empty string, got " + shown(counterNode));
            } else {
                counter = counterNode.textValue();
            }
            LimitSpec spec = limitRule(item, itemPath, counter, true);
            if (spec != null) {
                result.add(spec);
            }
        }
        return result;
    }

    private LimitSpec rateLimit(JsonNode node, String path) {
        if (!node.isObject()) {
            error(path, "expected an object {\"max\": ..., \"window\": ...}, got " + JsonValues.typeName(node));
            return null;
        }
        unknownFields(node, path, RATE_LIMIT_FIELDS);
        // the shorthand's counter is named after its own path, so it is unique to this entry unless a limit names it on purpose
        return limitRule(node, path, path, false);
    }

    /** Window, max and scope of a limit or shorthand; registers the counter definition. */
    private LimitSpec limitRule(JsonNode node, String path, String counter, boolean scopeRequired) {
        int before = errors.size();
        long window = -1;
        JsonNode windowNode = node.get("window");
        String windowPath = PolicyPaths.field(path, "window");
        if (windowNode == null) {
            error(windowPath, "required field is missing; " + Windows.EXPECTED);
        } else {
            window = Windows.parseMillis(windowNode, windowPath, errors);
        }

        int max = -1;
        JsonNode maxNode = node.get("max");
        String maxPath = PolicyPaths.field(path, "max");
        if (maxNode == null) {
            error(maxPath, "required field is missing; expected a whole number from 1 to " + MAX_LIMIT);
        } else {
            java.math.BigDecimal value = JsonValues.decimal(maxNode);
            if (value == null || value.stripTrailingZeros().scale() > 0 || value.signum() <= 0) {
                error(maxPath, "expected a whole number from 1 to " + MAX_LIMIT + ", got " + shown(maxNode));
            } else if (value.compareTo(java.math.BigDecimal.valueOf(MAX_LIMIT)) > 0) {
                error(maxPath, "max must be at most " + MAX_LIMIT + " (counters keep one timestamp per admitted call), got " + maxNode.asText());
            } else {
                max = value.intValueExact();
            }
        }

        Scope scope = Scope.GLOBAL;
        JsonNode scopeNode = node.get("scope");
        String scopePath = PolicyPaths.field(path, "scope");
        if (scopeNode == null) {
            if (scopeRequired) {
                error(scopePath, "required field is missing; expected \"grant\", \"identity\", \"session\" or \"global\"");
            }
        } else {
            scope = scopeNode.isTextual() ? Scope.fromSpelling(scopeNode.textValue()) : null;
            if (scope == null) {
                error(scopePath, "expected \"grant\", \"identity\", \"session\" or \"global\", got " + shown(scopeNode));
            }
        }
        if (errors.size() > before || counter == null) {
            return null;
        }
        LimitSpec spec = new LimitSpec(path, new LimitDefinition(counter, window, max, scope));
        LimitSpec first = counters.putIfAbsent(counter, spec);
        if (first != null && !first.definition().equals(spec.definition())) {
            error(path, "counter " + PolicyPaths.quote(counter) + " is defined differently at " + first.path()
                    + " (" + first.definition().rule() + ") than here (" + spec.definition().rule()
                    + "); every limit naming a counter must agree on window, max and scope");
        }
        return spec;
    }

    private List<Grant> grants(JsonNode node) {
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            error("grants", "expected an array of grants {\"name\", \"callers\", \"tools\"}, tried in order, got "
                    + JsonValues.typeName(node));
            return List.of();
        }
        List<Grant> result = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        for (int i = 0; i < node.size(); i++) {
            String path = PolicyPaths.index("grants", i);
            JsonNode item = node.get(i);
            if (!item.isObject()) {
                error(path, "expected a grant object {\"name\", \"callers\", \"tools\"}, got " + JsonValues.typeName(item));
                continue;
            }
            int before = errors.size();
            unknownFields(item, path, GRANT_FIELDS);
            String name = grantName(item.get("name"), PolicyPaths.field(path, "name"));
            if (name != null) {
                String first = names.putIfAbsent(name, path);
                if (first != null) {
                    error(PolicyPaths.field(path, "name"), "grant name " + PolicyPaths.quote(name) + " is already used by " + first
                            + "; grant names must be unique (they name the deciding grant in decisions, audit lines and metrics,"
                            + " and key its grant-scoped counters)");
                }
            }
            List<String>[] callers = callers(item.get("callers"), PolicyPaths.field(path, "callers"));
            List<ToolEntry> tools = toolEntries(item.get("tools"), path, false);
            if (errors.size() == before) {
                result.add(new Grant(name, path, callers[0], callers[1], List.copyOf(tools)));
            }
        }
        if (result.size() == node.size()) {
            checkShadowedGrants(result);
        }
        return result;
    }

    private String grantName(JsonNode node, String path) {
        if (node == null) {
            error(path, "required field is missing; expected a name such as \"billing-bot\" (" + GRANT_NAME_RULE + ")");
            return null;
        }
        if (!node.isTextual() || !GRANT_NAME.matcher(node.textValue()).matches()) {
            error(path, "expected a grant name (" + GRANT_NAME_RULE + "), got " + shown(node));
            return null;
        }
        return node.textValue();
    }

    private static final String GRANT_NAME_RULE = "1 to 63 lower-case letters, digits, '-' or '_', starting and ending with a letter or digit";

    /** {@code [subjects, groups]}; reports an empty {@code callers}. */
    @SuppressWarnings("unchecked")
    private List<String>[] callers(JsonNode node, String path) {
        List<String>[] result = new List[] {List.of(), List.of()};
        if (node == null) {
            error(path, "required field is missing; expected {\"subjects\": [...], \"groups\": [...]} naming who the grant is for");
            return result;
        }
        if (!node.isObject()) {
            error(path, "expected an object {\"subjects\": [...], \"groups\": [...]}, got " + JsonValues.typeName(node));
            return result;
        }
        unknownFields(node, path, CALLERS_FIELDS);
        result[0] = patterns(node.get("subjects"), PolicyPaths.field(path, "subjects"), true);
        result[1] = patterns(node.get("groups"), PolicyPaths.field(path, "groups"), false);
        if (result[0].isEmpty() && result[1].isEmpty() && !writesAnyItem(node)) {
            error(path, "a grant must name its callers; expected at least one subject or group (a grant never matches"
                    + " anonymous callers: write their rules in the top-level tools)");
        }
        return result;
    }

    private static boolean writesAnyItem(JsonNode callers) {
        for (String field : List.of("subjects", "groups")) {
            JsonNode list = callers.get(field);
            if (list != null && (!list.isArray() || !list.isEmpty())) {
                return true;
            }
        }
        return false;
    }

    /** Subject patterns (globs allowed) or group names (exact), each a non-empty string, no duplicates. */
    private List<String> patterns(JsonNode node, String path, boolean subjects) {
        if (node == null) {
            return List.of();
        }
        String what = subjects ? "subject names or globs" : "group names";
        if (!node.isArray()) {
            error(path, "expected an array of " + what + ", got " + JsonValues.typeName(node));
            return List.of();
        }
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < node.size(); i++) {
            String itemPath = PolicyPaths.index(path, i);
            JsonNode item = node.get(i);
            if (!item.isTextual() || item.textValue().isEmpty()) {
                error(itemPath, "expected a non-empty string, got " + shown(item));
                continue;
            }
            String text = item.textValue();
            if (text.length() > MAX_PATTERN_LENGTH) {
                error(itemPath, "at most " + MAX_PATTERN_LENGTH + " characters, got " + text.length());
            } else if (!text.equals(text.strip()) || text.chars().anyMatch(Character::isISOControl)) {
                error(itemPath, "leading or trailing whitespace or control characters never match a credential's "
                        + (subjects ? "subject" : "group") + ", got " + PolicyPaths.quote(text));
            } else if (!subjects && ToolGlob.isGlob(text)) {
                error(itemPath, "groups are matched exactly, '*' is not a wildcard here; got " + PolicyPaths.quote(text)
                        + " (use subjects for globs)");
            } else if (subjects && Caller.ANONYMOUS_SUBJECT.equals(text)) {
                error(itemPath, "a grant never matches anonymous callers; write their rules in the top-level tools");
            } else if (!seen.add(text)) {
                error(itemPath, "duplicate " + (subjects ? "subject" : "group") + " " + PolicyPaths.quote(text));
            }
        }
        return List.copyOf(seen);
    }

    /**
     * Grants are tried in order and the first one that matches the caller and has an entry for the tool decides. An entry
     * of a later grant can then never decide when every caller of its grant also matches an earlier grant that has an
     * entry covering the tool: that is an error (a whole grant when it holds for all its entries), so that document order
     * never silently takes a right away.
     */
    private void checkShadowedGrants(List<Grant> grants) {
        List<GrantCallers> callers = new ArrayList<>();
        for (Grant grant : grants) {
            callers.add(new GrantCallers(grant.subjects(), grant.groups()));
        }
        for (int j = 1; j < grants.size(); j++) {
            Grant later = grants.get(j);
            List<PolicyError> dead = new ArrayList<>();
            Set<String> shadowing = new LinkedHashSet<>();
            for (ToolEntry entry : later.tools()) {
                for (int i = 0; i < j; i++) {
                    Grant earlier = grants.get(i);
                    if (!callers.get(i).covers(callers.get(j))) {
                        continue;
                    }
                    ToolEntry decider = earlier.tools().stream().filter(e -> ToolGlob.covers(e.name(), entry.name())).findFirst().orElse(null);
                    if (decider != null) {
                        dead.add(new PolicyError(entry.path(), "never decides: every caller of grant " + PolicyPaths.quote(later.name())
                                + " also matches the earlier grant " + PolicyPaths.quote(earlier.name()) + " (" + earlier.path()
                                + "), whose entry " + decider.path() + " decides this tool first; move the grant before, or"
                                + " narrow the earlier grant's callers"));
                        shadowing.add(PolicyPaths.quote(earlier.name()) + " (" + earlier.path() + ")");
                        break;
                    }
                }
            }
            if (dead.size() == later.tools().size()) {
                error(later.path(), "grant " + PolicyPaths.quote(later.name()) + " never decides: every caller it matches also"
                        + " matches the earlier grant " + String.join(", ", shadowing) + ", which has an entry for each of its"
                        + " tools; move it before, or narrow the earlier grant's callers");
            } else {
                errors.addAll(dead);
            }
        }
    }

    /** Two globs with the same literal count that can match one name would make the winner depend on document order. */
    private void checkGlobTies(List<ToolEntry> tools) {
        List<ToolGlob> globs = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        for (ToolEntry entry : tools) {
            if (entry.isGlob()) {
                globs.add(new ToolGlob(entry.name()));
                paths.add(entry.path());
            }
        }
        for (int j = 0; j < globs.size(); j++) {
            for (int i = 0; i < j; i++) {
                ToolGlob a = globs.get(i);
                ToolGlob b = globs.get(j);
                if (a.literalCount() != b.literalCount() || !a.mayOverlap(b)) {
                    continue;
                }
                String witness = ToolGlob.commonMatch(a.pattern(), b.pattern());
                if (witness != null) {
                    error(paths.get(j), "ambiguous glob: ties with " + paths.get(i) + " (both have " + a.literalCount()
                            + " literal characters) for tool names such as " + PolicyPaths.quote(witness)
                            + "; make one of them more specific");
                }
            }
        }
    }

    private String optionalString(JsonNode node, String path, String field) {
        JsonNode value = node.get(field);
        if (value == null) {
            return null;
        }
        if (!value.isTextual()) {
            error(PolicyPaths.field(path, field), "expected a string, got " + JsonValues.typeName(value));
            return null;
        }
        return value.textValue();
    }

    private void unknownFields(JsonNode node, String path, List<String> allowed) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                error(PolicyPaths.field(path, name), "unknown field " + PolicyPaths.quote(name) + "; expected one of " + String.join(", ", allowed));
            }
        }
    }

    /** A value as shown in a message: strings quoted, other scalars as written, containers by type. */
    private static String shown(JsonNode node) {
        if (node.isTextual()) {
            return PolicyPaths.quote(node.textValue());
        }
        if (node.isContainerNode()) {
            return "an " + JsonValues.typeName(node);
        }
        return node.asText();
    }

    private void error(String path, String message) {
        errors.add(new PolicyError(path, message));
    }
}
