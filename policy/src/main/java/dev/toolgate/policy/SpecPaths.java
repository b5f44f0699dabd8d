package dev.toolgate.policy;

import java.util.Map;

/**
 * Translates a policy-document error path ({@code tools["x"].deny_if[0].on_deny}) into the McpPolicy spelling
 * ({@code spec.tools["x"].denyIf[0].onDeny}) so status messages point at what the user wrote.
 */
public final class SpecPaths {

    private static final Map<String, String> FIELDS = Map.of(
            "deny_if", "denyIf",
            "on_deny", "onDeny",
            "rate_limit", "rateLimit",
            "hide_denied_tools", "hideDeniedTools",
            "expires_after", "expiresAfter",
            "hold_for", "holdFor");

    private SpecPaths() {
    }

    public static String toSpecPath(String documentPath) {
        String path = documentPath == null ? "" : documentPath.strip();
        if (path.startsWith("$")) {
            path = path.substring(1);
        }
        if (path.startsWith(".")) {
            path = path.substring(1);
        }
        StringBuilder out = new StringBuilder("spec");
        int i = 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '[') {
                int end = bracketEnd(path, i);
                out.append(path, i, end);
                i = end;
            } else if (c == '.') {
                i++;
            } else {
                int end = i;
                while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
                    end++;
                }
                String field = path.substring(i, end);
                out.append('.').append(FIELDS.getOrDefault(field, field));
                i = end;
                if (field.equals("args")) {
                    // Inside a JSON Schema the names are the user's own: copy them as they are.
                    out.append(path.substring(i));
                    break;
                }
            }
        }
        return out.toString();
    }

    /** Index just past the bracket group starting at {@code start}, honouring quoted keys with escapes. */
    private static int bracketEnd(String path, int start) {
        boolean quoted = false;
        for (int i = start + 1; i < path.length(); i++) {
            char c = path.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ']') {
                return i + 1;
            }
        }
        return path.length();
    }
}
