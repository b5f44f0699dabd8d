package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no insignificant whitespace, and every number in one
 * spelling per value ({@code 1e3}, {@code 1000} and {@code 1000.0} all become {@code 1000}), so equal content hashes equal.
 *
 * <p>Strings are escaped as Jackson writes them by default (quote, backslash, the short escapes of backspace, tab,
 * newline, form feed and carriage return, other control characters as <code>&#92;u00XX</code> in upper-case hex;
 * everything else literal), with one addition: a surrogate that is not half of a pair is written as its escape, e.g.
 * <code>&#92;uD800</code>. A Java string can hold one (JSON text can spell it) but UTF-8 cannot: encoding would turn every
 * lone surrogate into {@code ?}, and {@code "?"} would hash like it. With the escape the canonical text is valid UTF-16,
 * its UTF-8 bytes are lossless, and distinct strings stay distinct.
 */
final class CanonicalJson {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private CanonicalJson() {
    }

    static String write(JsonNode node) {
        StringBuilder out = new StringBuilder(256);
        write(node, out);
        return out.toString();
    }

    /** Lower-case hex SHA-256 of the text's UTF-8 bytes. */
    static String sha256Hex(String text) {
        return HexFormat.of().formatHex(newDigest().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Lower-case hex SHA-256 of the UTF-8 bytes of {@code node}'s canonical text ({@link #write}), without a String or a
     * fresh digest per value: each thread reuses its text buffer, byte buffer and digest (the audit line hashes the
     * arguments of every call on the event loop).
     */
    static String sha256Hex(JsonNode node) {
        Scratch scratch = SCRATCH.get();
        StringBuilder text = scratch.text;
        text.setLength(0);
        write(node, text);
        MessageDigest digest = scratch.digest;
        byte[] bytes = scratch.bytes;
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            if (n > bytes.length - 4) {
                digest.update(bytes, 0, n);
                n = 0;
            }
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes[n++] = (byte) c;
            } else if (c < 0x800) {
                bytes[n++] = (byte) (0xC0 | (c >> 6));
                bytes[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c)) {
                // write() escapes every lone surrogate, so a high surrogate here is always half of a pair
                int cp = Character.toCodePoint(c, text.charAt(++i));
                bytes[n++] = (byte) (0xF0 | (cp >> 18));
                bytes[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                bytes[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                bytes[n++] = (byte) (0x80 | (cp & 0x3F));
            } else {
                bytes[n++] = (byte) (0xE0 | (c >> 12));
                bytes[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                bytes[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        digest.update(bytes, 0, n);
        if (text.capacity() > MAX_KEPT_CHARS) {
            scratch.text = new StringBuilder(256); // one huge value does not pin its buffer to the thread
        }
        return HexFormat.of().formatHex(digest.digest()); // digest() also resets it for the next value
    }

    private static final int MAX_KEPT_CHARS = 1 << 16;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** One thread's buffers for {@link #sha256Hex(JsonNode)}. */
    private static final class Scratch {
        StringBuilder text = new StringBuilder(256);
        final byte[] bytes = new byte[4096];
        final MessageDigest digest = newDigest();
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    private static void write(JsonNode node, StringBuilder out) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                out.append('{');
                List<String> names = new ArrayList<>(node.size());
                node.fieldNames().forEachRemaining(names::add);
                Collections.sort(names);
                for (int i = 0; i < names.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    writeString(names.get(i), out);
                    out.append(':');
                    write(node.get(names.get(i)), out);
                }
                out.append('}');
            }
            case ARRAY -> {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    write(node.get(i), out);
                }
                out.append(']');
            }
            case NUMBER -> out.append(canonicalNumber(node));
            case STRING -> writeString(node.textValue(), out);
            case BOOLEAN -> out.append(node.booleanValue());
            case NULL -> out.append("null");
            default -> throw new IllegalArgumentException("not a JSON value: " + node.getNodeType());
        }
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> {
                    if (c < 0x20) {
                        escape(c, out);
                    } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        escape(c, out);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void escape(char c, StringBuilder out) {
        out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xF]).append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
    }

    private static String canonicalNumber(JsonNode node) {
        BigDecimal value = JsonValues.decimal(node);
        if (value == null) {
            return node.asText();
        }
        if (value.signum() == 0) {
            return "0";
        }
        BigDecimal stripped = value.stripTrailingZeros();
        // whole numbers of sane size read best without an exponent; everything else uses BigDecimal's unique form
        if (stripped.scale() <= 0 && stripped.precision() - stripped.scale() <= 40) {
            return stripped.toBigIntegerExact().toString();
        }
        return stripped.toString();
    }
}
