package dev.toolgate.sidecar.edge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@code Content-Type} value parsed by RFC 9110 §8.3.1 (media type) and §5.6.6 (parameters): {@code type "/" subtype
 * *( OWS ";" OWS [ name "=" value ] )}, where a value is a token or a quoted-string with quoted-pairs. One deviation,
 * on purpose: whitespace around {@code =} is accepted, because some server parsers accept it (the npm
 * {@code content-type} package does) and so read a parameter there that a strict parser would not see.
 *
 * @param type       lower-cased
 * @param subtype    lower-cased
 * @param parameters in order, names lower-cased, values unquoted (case kept)
 */
public record MediaType(String type, String subtype, List<Parameter> parameters) {

    public record Parameter(String name, String value) {
    }

    /** The value cannot be read as a media type; the message says where and why. */
    public static final class Malformed extends Exception {
        Malformed(String value, int at, String why) {
            this("Content-Type \"" + value + "\" is malformed at position " + at + ": " + why);
        }

        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    public String essence() {
        return type + "/" + subtype;
    }

    public static MediaType parse(String value) throws Malformed {
        Reader in = new Reader(value);
        in.skipWhitespace();
        String type = in.token("a type");
        in.expect('/');
        String subtype = in.token("a subtype");
        List<Parameter> parameters = new ArrayList<>(2);
        while (true) {
            in.skipWhitespace();
            if (in.atEnd()) {
                break;
            }
            in.expect(';');
            in.skipWhitespace();
            if (in.atEnd() || in.peek() == ';') {
                continue; // an empty parameter is allowed by the grammar
            }
            String name = in.token("a parameter name").toLowerCase(Locale.ROOT);
            in.skipWhitespace();
            in.expect('=');
            in.skipWhitespace();
            String parameterValue = in.peek() == '"' ? in.quotedString() : in.token("a parameter value");
            parameters.add(new Parameter(name, parameterValue));
        }
        return new MediaType(type.toLowerCase(Locale.ROOT), subtype.toLowerCase(Locale.ROOT), List.copyOf(parameters));
    }

    /**
     * The value of the one {@code charset} parameter, or {@code null} when there is none. Throws when the charset is
     * ambiguous: named twice (parsers differ on first or last), or in the RFC 2231 form {@code charset*} that a parser
     * knowing it would read.
     */
    public String charset() throws Malformed {
        String charset = null;
        for (Parameter p : parameters) {
            if (p.name().startsWith("charset*")) {
                throw new Malformed("Content-Type parameter \"" + p.name() + "\" not accepted: give the charset as charset=utf-8, or not at all");
            }
            if (p.name().equals("charset")) {
                if (charset != null) {
                    throw new Malformed("Content-Type has more than one charset parameter: send one charset=utf-8, or none");
                }
                charset = p.value();
            }
        }
        return charset;
    }

    /**
     * Why a request's {@code Content-Type} header fields cannot be accepted, or {@code null} when they can: at most one
     * field, well formed, with at most one {@code charset} parameter whose value is UTF-8. The sidecar reads every body as
     * UTF-8 and forwards it labelled {@code application/json} without parameters, so a charset is only ever a claim that
     * the bytes are something else, which the server might act on.
     */
    public static String problem(List<String> headerValues) {
        if (headerValues.isEmpty()) {
            return null;
        }
        if (headerValues.size() > 1) {
            return "Content-Type sent " + headerValues.size() + " times: send it once";
        }
        if (headerValues.get(0).equals("application/json")) {
            return null; // what MCP clients send: nothing to parse
        }
        MediaType media;
        try {
            media = parse(headerValues.get(0));
        } catch (Malformed e) {
            return e.getMessage();
        }
        String charset;
        try {
            charset = media.charset();
        } catch (Malformed ambiguous) {
            return ambiguous.getMessage();
        }
        if (charset != null && !isUtf8(charset)) {
            return "charset \"" + charset + "\" not accepted: JSON-RPC bodies must be UTF-8 (send charset=utf-8, or no charset)";
        }
        return null;
    }

    private static boolean isUtf8(String charset) {
        return charset.equalsIgnoreCase("utf-8") || charset.equalsIgnoreCase("utf8");
    }

    /** A cursor over the header value. */
    private static final class Reader {
        private final String value;
        private int at;

        Reader(String value) {
            this.value = value;
        }

        boolean atEnd() {
            return at >= value.length();
        }

        char peek() {
            return atEnd() ? '\0' : value.charAt(at);
        }

        void skipWhitespace() {
            while (!atEnd() && (peek() == ' ' || peek() == '\t')) {
                at++;
            }
        }

        void expect(char c) throws Malformed {
            if (peek() != c || atEnd()) {
                throw new Malformed(value, at, "expected '" + c + "' but found " + found());
            }
            at++;
        }

        String token(String what) throws Malformed {
            int start = at;
            while (!atEnd() && isTokenChar(peek())) {
                at++;
            }
            if (at == start) {
                throw new Malformed(value, at, "expected " + what + " (a token) but found " + found());
            }
            return value.substring(start, at);
        }

        /** A quoted-string, returned with its quotes removed and each quoted-pair replaced by the character it escapes. */
        String quotedString() throws Malformed {
            int open = at;
            at++; // the opening quote
            StringBuilder out = new StringBuilder();
            while (true) {
                if (atEnd()) {
                    throw new Malformed(value, open, "quoted string is not closed");
                }
                char c = value.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c == '\\') {
                    if (atEnd() || !isQuotedPairChar(value.charAt(at))) {
                        throw new Malformed(value, at, "backslash in a quoted string must escape a visible character or space");
                    }
                    out.append(value.charAt(at++));
                } else if (isQdText(c)) {
                    out.append(c);
                } else {
                    throw new Malformed(value, at - 1, "character " + describe(c) + " not allowed in a quoted string");
                }
            }
        }

        private String found() {
            return atEnd() ? "the end" : describe(peek());
        }

        private static String describe(char c) {
            return c >= 0x21 && c <= 0x7E ? "'" + c + "'" : String.format("U+%04X", (int) c);
        }
    }

    static boolean isTokenChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static boolean isQdText(char c) {
        return c == '\t' || c == ' ' || c == 0x21 || c >= 0x23 && c <= 0x5B || c >= 0x5D && c <= 0x7E || c >= 0x80 && c <= 0xFF;
    }

    private static boolean isQuotedPairChar(char c) {
        return c == '\t' || c >= 0x20 && c <= 0x7E || c >= 0x80 && c <= 0xFF;
    }
}
