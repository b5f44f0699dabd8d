package dev.toolgate.sidecar.upstream;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Query strings read the way lenient servers read them, to recognise what a server would find in one. Names and values
 * are percent-decoded ({@code +} is a space), malformed escapes are kept as they are (as Node's querystring does), and
 * both {@code &} and {@code ;} separate parameters (older parsers split on either), so the result contains every
 * parameter any of those readings would see.
 */
final class QueryParameters {

    record Parameter(String name, String value) {
    }

    private QueryParameters() {
    }

    static List<Parameter> decodeLeniently(String query) {
        if (query == null || query.isEmpty()) {
            return List.of();
        }
        List<Parameter> parameters = new ArrayList<>(2);
        int start = 0;
        for (int i = 0; i <= query.length(); i++) {
            if (i == query.length() || query.charAt(i) == '&' || query.charAt(i) == ';') {
                if (i > start) {
                    String piece = query.substring(start, i);
                    int eq = piece.indexOf('=');
                    String name = eq < 0 ? piece : piece.substring(0, eq);
                    String value = eq < 0 ? "" : piece.substring(eq + 1);
                    parameters.add(new Parameter(percentDecode(name, true), percentDecode(value, true)));
                }
                start = i + 1;
            }
        }
        return parameters;
    }

    /** Percent-decodes as UTF-8 (invalid sequences become U+FFFD); a {@code %} not followed by two hex digits stays. */
    static String percentDecode(String text, boolean plusIsSpace) {
        if (text.indexOf('%') < 0 && (!plusIsSpace || text.indexOf('+') < 0)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        ByteArrayOutputStream run = new ByteArrayOutputStream(); // consecutive escapes form one UTF-8 sequence
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length() && hex(text.charAt(i + 1)) >= 0 && hex(text.charAt(i + 2)) >= 0) {
                run.write(hex(text.charAt(i + 1)) << 4 | hex(text.charAt(i + 2)));
                i += 2;
                continue;
            }
            if (run.size() > 0) {
                out.append(run.toString(StandardCharsets.UTF_8));
                run.reset();
            }
            out.append(c == '+' && plusIsSpace ? ' ' : c);
        }
        out.append(run.toString(StandardCharsets.UTF_8));
        return out.toString();
    }

    private static int hex(char c) {
        return c < 0x80 ? Character.digit(c, 16) : -1;
    }
}
