package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A parsed and validated policy document (the {@code policy.json} format of POLICY.md). Immutable.
 * Parsing is strict: unknown fields, wrong types, bad windows, conflicting counter definitions, ambiguous globs,
 * invalid regular expressions and schemas, and duplicate keys are all errors, and every one is reported with its path.
 *
 * <p>A document may carry {@code baselines}: the cluster and namespace policies layered over it, in the order they are
 * combined (see {@link Baseline} and {@link Policy}). The hash covers them, so a changed baseline is a changed policy.
 */
public final class PolicyDocument {

    /**
     * One layer under the document: a policy written for many servers ({@code McpClusterPolicy/name},
     * {@code McpNamespacePolicy/namespace/name}) that every call must also pass. A baseline is a policy document without
     * {@code grants}, {@code baselines}, {@code hide_denied_tools} or pins: who the callers are, which tools are listed
     * and what the server's tools look like are the server's own policy's business.
     *
     * @param source   who wrote it, as {@code Kind/name}; shown in decisions ({@link Decision#rule()}) and audit lines
     * @param document the baseline's own policy, its hash its own
     */
    public record Baseline(String source, PolicyDocument document) {
    }

    static final List<String> BASELINE_FIELDS = List.of("source", "policy");
    /** Top-level fields a baseline's policy may not have, with why. */
    private static final List<String[]> NOT_IN_BASELINE = List.of(
            new String[] {"grants", "a baseline applies to every caller alike; per-identity grants belong to the server's McpPolicy"},
            new String[] {"baselines", "baselines do not nest"},
            new String[] {"hide_denied_tools", "what tools/list shows is the server's McpPolicy's setting (hideDeniedTools); tools a baseline"
                    + " denies are hidden when it is on"});

    private final JsonNode tree;
    private final PolicyModel model;
    private final List<Baseline> baselines;
    private final String canonicalJson;
    private final String hash;

    private PolicyDocument(JsonNode tree, PolicyModel model, List<Baseline> baselines) {
        this.tree = tree;
        this.model = model;
        this.baselines = baselines;
        this.canonicalJson = CanonicalJson.write(tree);
        this.hash = CanonicalJson.sha256Hex(canonicalJson);
    }

    /** Parses and strictly validates a policy document; every problem is reported with its JSON path. */
    public static PolicyDocument parse(String json) throws PolicyException {
        if (json == null) {
            throw new PolicyException(List.of(new PolicyError(PolicyPaths.ROOT, "no document; expected a JSON object")));
        }
        List<PolicyError> errors = new ArrayList<>();
        JsonNode tree = StrictJsonReader.read(json, errors);
        if (tree == null) {
            throw new PolicyException(errors);
        }
        return validated(tree, errors);
    }

    /** As {@link #parse(String)}, from an already-parsed tree (the operator renders its CRD spec into one). */
    public static PolicyDocument parse(JsonNode json) throws PolicyException {
        // our own copy: the caller's tree is mutable and the document must not change under a compiled policy
        return validated(json == null ? null : json.deepCopy(), new ArrayList<>());
    }

    private static PolicyDocument validated(JsonNode tree, List<PolicyError> errors) throws PolicyException {
        PolicyModel model = PolicyParser.parse(tree, errors);
        List<Baseline> baselines = tree != null && tree.isObject() ? baselines(tree.get("baselines"), errors) : List.of();
        if (!errors.isEmpty() || model == null) {
            throw new PolicyException(errors);
        }
        return new PolicyDocument(tree, model, baselines);
    }

    /** {@code baselines}: an array of {@code {"source": "Kind/name", "policy": {…}}}, each policy validated as a document. */
    private static List<Baseline> baselines(JsonNode node, List<PolicyError> errors) {
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            errors.add(new PolicyError("baselines", "expected an array of {\"source\": …, \"policy\": …} objects, got " + JsonValues.typeName(node)));
            return List.of();
        }
        List<Baseline> result = new ArrayList<>();
        Set<String> sources = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            String path = PolicyPaths.index("baselines", i);
            JsonNode item = node.get(i);
            if (!item.isObject()) {
                errors.add(new PolicyError(path, "expected an object with \"source\" and \"policy\", got " + JsonValues.typeName(item)));
                continue;
            }
            for (Iterator<String> names = item.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!BASELINE_FIELDS.contains(name)) {
                    errors.add(new PolicyError(PolicyPaths.field(path, name), "unknown field; expected one of source, policy"));
                }
            }
            JsonNode source = item.get("source");
            String sourceText = null;
            if (source == null || !source.isTextual() || source.textValue().isBlank()) {
                errors.add(new PolicyError(PolicyPaths.field(path, "source"), "expected a non-empty string naming the baseline (Kind/name), got "
                        + (source == null ? "nothing" : JsonValues.typeName(source))));
            } else if (!sources.add(source.textValue())) {
                errors.add(new PolicyError(PolicyPaths.field(path, "source"), "baseline " + PolicyPaths.quote(source.textValue()) + " is listed twice"));
            } else {
                sourceText = source.textValue();
            }
            String policyPath = PolicyPaths.field(path, "policy");
            JsonNode policy = item.get("policy");
            if (policy == null || !policy.isObject()) {
                errors.add(new PolicyError(policyPath, "expected a policy document (a JSON object), got "
                        + (policy == null ? "nothing" : JsonValues.typeName(policy))));
                continue;
            }
            int before = errors.size();
            PolicyModel model = baselineModel(policy, policyPath, errors);
            if (errors.size() == before && model != null && sourceText != null) {
                result.add(new Baseline(sourceText, new PolicyDocument(policy, model, List.of())));
            }
        }
        return List.copyOf(result);
    }

    /**
     * Validates a baseline's policy on its own, as an McpClusterPolicy or McpNamespacePolicy is checked before it is
     * layered anywhere: a policy document with a baseline's restrictions, errors at paths relative to it.
     */
    public static PolicyDocument parseBaseline(JsonNode policy) throws PolicyException {
        List<PolicyError> errors = new ArrayList<>();
        JsonNode copy = policy == null ? null : policy.deepCopy();
        if (copy == null || !copy.isObject()) {
            throw new PolicyException(List.of(new PolicyError(PolicyPaths.ROOT, "expected a JSON object, got " + JsonValues.typeName(copy))));
        }
        PolicyModel model = baselineModel(copy, PolicyPaths.ROOT, errors);
        if (!errors.isEmpty() || model == null) {
            throw new PolicyException(errors);
        }
        return new PolicyDocument(copy, model, List.of());
    }

    /** A baseline's policy validated at {@code policyPath}: a document's rules, without what a baseline may not have. */
    private static PolicyModel baselineModel(JsonNode policy, String policyPath, List<PolicyError> errors) {
        for (String[] field : NOT_IN_BASELINE) {
            if (policy.has(field[0])) {
                errors.add(new PolicyError(under(policyPath, field[0]), "not allowed in a baseline: " + field[1]));
            }
        }
        List<PolicyError> own = new ArrayList<>();
        PolicyModel model = PolicyParser.parse(policy, own);
        for (PolicyError error : own) {
            // what is not allowed at all is reported once, above
            if (NOT_IN_BASELINE.stream().noneMatch(field -> error.path().startsWith(field[0]))) {
                errors.add(new PolicyError(under(policyPath, error.path()), error.message()));
            }
        }
        JsonNode tools = policy.get("tools");
        if (tools != null && tools.isObject()) {
            for (Iterator<java.util.Map.Entry<String, JsonNode>> it = tools.fields(); it.hasNext(); ) {
                java.util.Map.Entry<String, JsonNode> entry = it.next();
                if (entry.getValue().isObject() && entry.getValue().has("pin")) {
                    errors.add(new PolicyError(under(policyPath, PolicyPaths.field(PolicyPaths.tool(entry.getKey()), "pin")),
                            "not allowed in a baseline: a pin names one server's tool definition; pin it in that server's McpPolicy"));
                }
            }
        }
        return model;
    }

    private static String under(String parent, String path) {
        if (PolicyPaths.ROOT.equals(parent)) {
            return path;
        }
        return PolicyPaths.ROOT.equals(path) ? parent : parent + "." + path;
    }

    /** SHA-256 (lower-case hex) of the document's canonical JSON form: equal content gives an equal hash, whatever the formatting. */
    public String hash() {
        return hash;
    }

    /** The canonical JSON form (sorted keys, no insignificant whitespace, one spelling per number). */
    public String canonicalJson() {
        return canonicalJson;
    }

    /** A copy of the document as a JSON tree. */
    public JsonNode toJson() {
        return tree.deepCopy();
    }

    PolicyModel model() {
        return model;
    }

    /** The baselines layered over this document, in the order they are combined; empty for most documents. */
    public List<Baseline> baselines() {
        return baselines;
    }

    @Override
    public String toString() {
        return "PolicyDocument[" + hash + "]";
    }
}
