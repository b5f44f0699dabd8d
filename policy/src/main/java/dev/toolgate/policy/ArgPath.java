package dev.toolgate.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A pre-parsed {@code arg} path: dotted names, {@code [n]} array elements and {@code ["a.b"]} for keys with odd characters,
 * e.g. {@code items[0].price} or {@code meta["x.y"].z}.
 */
final class ArgPath {

    /** Returned by {@link #resolve} when a step meets a value of the wrong kind (a name into a string, an index into an object). */
    static final JsonNode SHAPE_MISMATCH = new TextNode("\u0000shape-mismatch");
    /** Returned by {@link #resolve} when a container lacks the key or index. */
    static final JsonNode MISSING = null;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String text;
    /** Per step: the object key, or {@code null} when the step is an array index. */
    private final String[] names;
    private final int[] indexes;

    private ArgPath(String text, String[] names, int[] indexes) {
        this.text = text;
        this.names = names;
        this.indexes = indexes;
    }

    String text() {
        return text;
    }

    /** The value at this path, {@link #MISSING}, or {@link #SHAPE_MISMATCH}. A null root counts as an empty object. */
    JsonNode resolve(JsonNode arguments) {
        JsonNode node = arguments;
        for (int i = 0; i < names.length; i++) {
            String name = names[i];
            if (node == null || node.isMissingNode()) {
                return MISSING;
            }
            if (name != null) {
                if (!node.isObject()) {
                    return SHAPE_MISMATCH;
                }
                node = node.get(name);
            } else {
                if (!node.isArray()) {
                    return SHAPE_MISMATCH;
                }
                node = node.get(indexes[i]);
            }
        }
        return node == null || node.isMissingNode() ? MISSING : node;
    }

    /** Parses {@code text}; on a syntax error adds one error at {@code path} and returns {@code null}. */
    static ArgPath parse(String text, String path, List<PolicyError> errors) {
        List<String> names = new ArrayList<>();
        List<Integer> indexes = new ArrayList<>();
        int i = 0;
        int n = text.length();
        if (n == 0) {
            return fail(text, "empty path", path, errors);
        }
        boolean first = true;
        while (i < n) {
            char c = text.charAt(i);
            if (c == '[') {
                int close;
                if (i + 1 < n && text.charAt(i + 1) == '"') {
                    int end = closingQuote(text, i + 2);
                    if (end < 0) {
                        return fail(text, "unterminated string at position " + (i + 1), path, errors);
                    }
                    String key;
                    try {
                        key = JSON.readValue(text.substring(i + 1, end + 1), String.class);
                    } catch (JsonProcessingException e) {
                        return fail(text, "invalid string at position " + (i + 1), path, errors);
                    }
                    close = end + 1;
                    if (close >= n || text.charAt(close) != ']') {
                        return fail(text, "expected ] at position " + close, path, errors);
                    }
                    names.add(key);
                    indexes.add(-1);
                } else {
                    close = text.indexOf(']', i);
                    if (close < 0) {
                        return fail(text, "missing ] for [ at position " + i, path, errors);
                    }
                    String digits = text.substring(i + 1, close);
                    if (!digits.matches("0|[1-9][0-9]{0,8}")) {
                        return fail(text, "expected an array index (0, 1, 2, ...) or a quoted key at position " + (i + 1), path, errors);
                    }
                    names.add(null);
                    indexes.add(Integer.parseInt(digits));
                }
                i = close + 1;
            } else {
                if (!first) {
                    if (c != '.') {
                        return fail(text, "expected . or [ at position " + i, path, errors);
                    }
                    i++;
                }
                int start = i;
                while (i < n && "[].\"".indexOf(text.charAt(i)) < 0) {
                    i++;
                }
                if (i == start) {
                    return fail(text, "empty name at position " + start, path, errors);
                }
                names.add(text.substring(start, i));
                indexes.add(-1);
            }
            first = false;
        }
        int[] idx = new int[indexes.size()];
        for (int k = 0; k < idx.length; k++) {
            idx[k] = indexes.get(k);
        }
        return new ArgPath(text, names.toArray(new String[0]), idx);
    }

    private static int closingQuote(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return -1;
    }

    private static ArgPath fail(String text, String what, String path, List<PolicyError> errors) {
        errors.add(new PolicyError(path, "invalid path " + PolicyPaths.quote(text) + ": " + what));
        return null;
    }

    @Override
    public String toString() {
        return text;
    }
}
