package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.regex.Pattern;

/**
 * The one digest of a tool's definition, as a server announces it in a {@code tools/list} result: what a policy's
 * {@code pin} holds, what {@code policy-check starter} writes and what the sidecar compares every listing with.
 * {@code "sha256:"} and the lower-case hex SHA-256 of the canonical JSON of the whole tool object (name, title,
 * description, inputSchema, outputSchema, annotations, icons, {@code _meta} and any field a later revision adds), so any
 * change to any of it is a different digest, and two spellings of one definition (key order, whitespace, {@code 1e2}
 * for {@code 100}) are the same digest.
 */
public final class ToolDefinitionDigest {

    public static final String PREFIX = "sha256:";
    private static final Pattern FORMAT = Pattern.compile("sha256:[0-9a-f]{64}");

    private ToolDefinitionDigest() {
    }

    /**
     * The digest of one tool object of a tools/list result. Parse with {@code USE_BIG_DECIMAL_FOR_FLOATS}: a
     * {@code double} has lost digits before the digest sees them.
     *
     * @throws IllegalArgumentException when {@code tool} is not a JSON object
     */
    public static String of(JsonNode tool) {
        if (tool == null || !tool.isObject()) {
            throw new IllegalArgumentException("a tool definition is a JSON object, got " + JsonValues.typeName(tool));
        }
        return PREFIX + CanonicalJson.sha256Hex(tool);
    }

    /** Whether {@code pin} is spelt as {@link #of} writes a digest: {@code sha256:} and 64 lower-case hex digits. */
    public static boolean isWellFormed(String pin) {
        return pin != null && FORMAT.matcher(pin).matches();
    }
}
