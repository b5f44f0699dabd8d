package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The one digest of a call's arguments: what an audit line records and what an approval binds to. Equal arguments
 * digest equal however the client spelt them: keys in any order, numbers in any spelling of one value ({@code 1e2},
 * {@code 100}, {@code 100.0}), any whitespace.
 */
public final class ArgumentsDigest {

    private static final String EMPTY = CanonicalJson.sha256Hex("{}");

    private ArgumentsDigest() {
    }

    /**
     * Lower-case hex SHA-256 of the UTF-8 bytes of the arguments' canonical JSON (sorted keys, no whitespace, one
     * spelling per number, a lone surrogate escaped as <code>&#92;uD800</code>, so that it never collides with another string).
     * Arguments that are {@code null}, a missing node or JSON {@code null} digest as {@code {}}, as the engine decides
     * them. For an exact digest of decimals, parse with {@code USE_BIG_DECIMAL_FOR_FLOATS}: a {@code double} has lost
     * digits before the digest sees it.
     */
    public static String sha256Hex(JsonNode arguments) {
        if (arguments == null || arguments.isMissingNode() || arguments.isNull()) {
            return EMPTY;
        }
        return CanonicalJson.sha256Hex(arguments);
    }
}
