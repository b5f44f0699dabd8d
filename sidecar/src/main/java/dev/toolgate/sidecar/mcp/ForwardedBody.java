package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/**
 * The bytes sent to the MCP server for a body the sidecar decided: written from the parsed tree the policy evaluated,
 * never copied from what the client sent. Whatever spelling the client chose (escapes, whitespace, number forms), the
 * server gets one plain reading of the same values, so no parser difference between the sidecar and the server can
 * make them see different messages.
 *
 * <p>The output is compact RFC 8259 JSON in UTF-8, object members in their original order. Strings are written as
 * UTF-8 except {@code "}, {@code \}, control characters and lone surrogates, which are escaped ({@code \ud800}: a
 * lone half has no UTF-8 form, and is only possible because the client escaped it). Numbers keep their exact value and their kind: integers as digits,
 * anything the client wrote with a fraction or exponent as a number with a fraction or exponent (so {@code 1.0} stays a
 * float for servers that tell the two apart).
 */
public final class ForwardedBody {

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private ForwardedBody() {
    }

    public static byte[] bytes(ParsedBody body, int sizeHint) {
        Sink out = new Sink(Math.max(64, sizeHint));
        if (body.batch()) {
            out.put('[');
            boolean first = true;
            for (JsonRpcMessage message : body.messages()) {
                if (!first) {
                    out.put(',');
                }
                first = false;
                write(message.node(), out);
            }
            out.put(']');
        } else {
            write(body.messages().get(0).node(), out);
        }
        return out.toByteArray();
    }

    static byte[] bytes(JsonNode node) {
        Sink out = new Sink(256);
        write(node, out);
        return out.toByteArray();
    }

    private static void write(JsonNode node, Sink out) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                out.put('{');
                boolean first = true;
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    if (!first) {
                        out.put(',');
                    }
                    first = false;
                    string(field.getKey(), out);
                    out.put(':');
                    write(field.getValue(), out);
                }
                out.put('}');
            }
            case ARRAY -> {
                out.put('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.put(',');
                    }
                    write(node.get(i), out);
                }
                out.put(']');
            }
            case STRING -> string(node.textValue(), out);
            case NUMBER -> out.ascii(number(node));
            case BOOLEAN -> out.ascii(node.booleanValue() ? "true" : "false");
            case NULL -> out.ascii("null");
            default -> throw new IllegalArgumentException("not a JSON value: " + node.getNodeType());
        }
    }

    /** The number's text: exact digits for integers, and for decimals a form that still reads as a non-integer literal. */
    static String number(JsonNode node) {
        if (node.isIntegralNumber()) {
            return node.isBigInteger() ? node.bigIntegerValue().toString() : Long.toString(node.longValue());
        }
        if (node.isBigDecimal()) {
            String text = node.decimalValue().toString(); // exact; uses an exponent when the scale calls for one
            return text.indexOf('.') >= 0 || text.indexOf('E') >= 0 ? text : text + ".0";
        }
        double d = node.doubleValue(); // not produced by JsonRpcParser (floats are BigDecimal there); kept for completeness
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("not a finite number: " + d);
        }
        return Double.toString(d);
    }

    private static void string(String s, Sink out) {
        out.put('"');
        // Invariant: room for one byte per character still to come, so plain ASCII needs no capacity check.
        out.ensure(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                out.putUnchecked(c);
            } else {
                i = special(s, i, out);
                out.ensure(s.length() - i - 1);
            }
        }
        out.put('"');
    }

    /** Writes the character at {@code i} that is not plain ASCII; returns the index of the last character it consumed. */
    private static int special(String s, int i, Sink out) {
        char c = s.charAt(i);
        if (c == '"' || c == '\\') {
            out.put('\\');
            out.put(c);
        } else if (c < 0x20) {
            escape(c, out);
        } else if (c < 0x80) {
            out.put(c);
        } else if (c < 0x800) {
            out.put(0xC0 | c >> 6);
            out.put(0x80 | c & 0x3F);
        } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
            int code = Character.toCodePoint(c, s.charAt(++i));
            out.put(0xF0 | code >> 18);
            out.put(0x80 | code >> 12 & 0x3F);
            out.put(0x80 | code >> 6 & 0x3F);
            out.put(0x80 | code & 0x3F);
        } else if (Character.isSurrogate(c)) {
            escape(c, out); // a lone half: not encodable as UTF-8, and only possible because the client escaped it
        } else {
            out.put(0xE0 | c >> 12);
            out.put(0x80 | c >> 6 & 0x3F);
            out.put(0x80 | c & 0x3F);
        }
        return i;
    }

    private static void escape(char c, Sink out) {
        out.put('\\');
        out.put('u');
        out.put(HEX[c >> 12 & 0xF]);
        out.put(HEX[c >> 8 & 0xF]);
        out.put(HEX[c >> 4 & 0xF]);
        out.put(HEX[c & 0xF]);
    }

    /** A growable byte array. */
    private static final class Sink {
        private byte[] bytes;
        private int length;

        Sink(int capacity) {
            bytes = new byte[capacity];
        }

        void put(int b) {
            if (length == bytes.length) {
                bytes = Arrays.copyOf(bytes, bytes.length * 2);
            }
            bytes[length++] = (byte) b;
        }

        /** Makes room for {@code more} bytes, so that many {@link #putUnchecked} calls are safe. */
        void ensure(int more) {
            if (bytes.length - length < more) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        void putUnchecked(int b) {
            bytes[length++] = (byte) b;
        }

        void ascii(String s) {
            ensure(s.length());
            for (int i = 0; i < s.length(); i++) {
                putUnchecked(s.charAt(i));
            }
        }

        byte[] toByteArray() {
            return length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
        }
    }
}
