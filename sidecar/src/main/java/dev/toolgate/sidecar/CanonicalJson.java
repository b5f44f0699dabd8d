package dev.toolgate.sidecar;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/** JSON with object keys sorted recursively and no whitespace: a stable input for hashing. */
final class CanonicalJson {
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
