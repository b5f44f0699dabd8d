package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A parsed and validated policy document (the {@code policy.json} format of POLICY.md). Immutable.
 * Parsing is strict: unknown fields, wrong types, bad windows, conflicting counter definitions, ambiguous globs,
 * invalid regular expressions and schemas, and duplicate keys are all errors, and every one is reported with its path.
 */
public final class PolicyDocument {

    private final JsonNode tree;
    private final PolicyModel model;
    private final String canonicalJson;
    private final String hash;

    private PolicyDocument(JsonNode tree, PolicyModel model) {
        this.tree = tree;
        this.model = model;
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
        if (!errors.isEmpty() || model == null) {
            throw new PolicyException(errors);
        }
        return new PolicyDocument(tree, model);
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

    @Override
    public String toString() {
        return "PolicyDocument[" + hash + "]";
    }
}
