package dev.toolgate.sidecar.observe;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/** JSON with object keys sorted recursively and no whitespace: a stable input for hashing. */
public final class CanonicalJson {
    /** Default settings, as {@link JsonNode#toString()} uses (AuditLogTest pins the bytes against it). */
    private static final ObjectMapper PLAIN = JsonMapper.builder().build();

    private CanonicalJson() {
    }

    static String write(JsonNode node) {
        // Streams the sorted form straight out instead of building a sorted copy of the tree first.
        StringWriter out = new StringWriter(256);
        try (JsonGenerator generator = PLAIN.getFactory().createGenerator(out)) {
            write(node, generator);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * The SHA-256 of {@link #write}'s UTF-8 bytes, with the JSON streamed straight into the digest (no String, no byte
     * array) by a generator kept per thread: creating a generator per call was a third of the hashing's cost. Jackson's
     * UTF-8 generator writes an unpaired surrogate as invalid UTF-8 where the String route's encoding writes '?', so
     * input with any surrogate (rare: astral characters, or broken ones) takes the String route and the hash stays what
     * it always was.
     */
    static byte[] sha256(JsonNode node) {
        if (hasSurrogate(node)) {
            return newDigest().digest(write(node).getBytes(StandardCharsets.UTF_8));
        }
        // digest() also resets the digest for the next value
        return HASHER.write(generator -> write(node, generator), sink -> sink.digest.digest());
    }

    private static final PerThreadJsonWriter<DigestSink> HASHER =
            new PerThreadJsonWriter<>(PLAIN.getFactory(), () -> new DigestSink(newDigest()));

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean hasSurrogate(JsonNode node) {
        if (node.isTextual()) {
            return hasSurrogate(node.textValue());
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (hasSurrogate(entry.getKey()) || hasSurrogate(entry.getValue())) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                if (hasSurrogate(element)) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean hasSurrogate(String text) {
        if (text == null) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.isSurrogate(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** Feeds whatever the generator flushes to the digest. */
    private static final class DigestSink extends OutputStream {
        private final MessageDigest digest;

        DigestSink(MessageDigest digest) {
            this.digest = digest;
        }

        @Override
        public void write(int b) {
            digest.update((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            digest.update(b, off, len);
        }
    }

    private static void write(JsonNode node, JsonGenerator generator) throws IOException {
        if (node.isObject()) {
            // sorted entries, not sorted names looked up again: one pass over the map instead of a lookup per key
            @SuppressWarnings("unchecked")
            Map.Entry<String, JsonNode>[] entries = new Map.Entry[node.size()];
            int i = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                entries[i++] = it.next();
            }
            Arrays.sort(entries, Map.Entry.comparingByKey());
            generator.writeStartObject();
            for (Map.Entry<String, JsonNode> entry : entries) {
                generator.writeFieldName(entry.getKey());
                write(entry.getValue(), generator);
            }
            generator.writeEndObject();
        } else if (node.isArray()) {
            generator.writeStartArray();
            for (JsonNode element : node) {
                write(element, generator);
            }
            generator.writeEndArray();
        } else if (node.isTextual()) {
            generator.writeString(node.textValue());
        } else if (node.isNull()) {
            generator.writeNull();
        } else if (node.isBoolean()) {
            generator.writeBoolean(node.booleanValue());
        } else if (node.isNumber()) {
            node.serialize(generator, null); // numeric nodes write themselves; no serializer provider needed
        } else {
            PLAIN.writeTree(generator, node);
        }
    }
}
