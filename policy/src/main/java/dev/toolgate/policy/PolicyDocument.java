package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A parsed and validated policy document (the {@code policy.json} format of POLICY.md). Immutable.
 * CONTRACT STUB — the policy engine implementation fills this in; the public signatures below are relied on by sidecar and operator.
 */
public final class PolicyDocument {

    private PolicyDocument() {
    }

    /** Parses and strictly validates a policy document; every problem is reported with its JSON path. */
    public static PolicyDocument parse(String json) throws PolicyException {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** As {@link #parse(String)}, from an already-parsed tree (the operator renders its CRD spec into one). */
    public static PolicyDocument parse(JsonNode json) throws PolicyException {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** SHA-256 (lower-case hex) of the document's canonical JSON form: equal content gives an equal hash, whatever the formatting. */
    public String hash() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The canonical JSON form (sorted keys, no insignificant whitespace). */
    public String canonicalJson() {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
