package dev.toolgate.policy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.List;

/**
 * Reads a policy document into a tree, reporting every duplicate object key with its path (Jackson's own duplicate
 * detection stops at the first) and keeping every number exact.
 */
final class StrictJsonReader {

    private static final JsonFactory FACTORY = JsonFactory.builder().build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private StrictJsonReader() {
    }

    /** The tree, or {@code null} when the text is not JSON at all (the reason is added to {@code errors}). */
    static JsonNode read(String json, List<PolicyError> errors) {
        JsonParser parser;
        try {
            parser = FACTORY.createParser(json);
        } catch (IOException e) {
            errors.add(new PolicyError(PolicyPaths.ROOT, "cannot read document: " + e.getMessage()));
            return null;
        }
        try (parser) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                errors.add(new PolicyError(PolicyPaths.ROOT, "empty document; expected a JSON object"));
                return null;
            }
            JsonNode root = readValue(parser, first, PolicyPaths.ROOT, errors);
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                errors.add(new PolicyError(PolicyPaths.ROOT, "unexpected content after the JSON document at " + where(parser.currentLocation())));
                return null;
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation location = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
            errors.add(new PolicyError(PolicyPaths.ROOT, "invalid JSON at " + where(location) + ": " + e.getOriginalMessage()));
            return null;
        } catch (IOException e) {
            errors.add(new PolicyError(PolicyPaths.ROOT, "cannot read document: " + e.getMessage()));
            return null;
        }
    }

    private static String where(JsonLocation location) {
        return location == null ? "unknown position" : "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static JsonNode readValue(JsonParser parser, JsonToken token, String path, List<PolicyError> errors) throws IOException {
        switch (token) {
            case START_OBJECT: {
                ObjectNode object = NODES.objectNode();
                for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
                    String name = parser.currentName();
                    String childPath = "tools".equals(path) ? PolicyPaths.tool(name) : PolicyPaths.field(path, name);
                    JsonNode value = readValue(parser, parser.nextToken(), childPath, errors);
                    if (object.has(name)) {
                        errors.add(new PolicyError(childPath, "duplicate key " + PolicyPaths.quote(name)));
                    } else {
                        object.set(name, value);
                    }
                }
                return object;
            }
            case START_ARRAY: {
                ArrayNode array = NODES.arrayNode();
                int i = 0;
                for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
                    array.add(readValue(parser, t, PolicyPaths.index(path, i++), errors));
                }
                return array;
            }
            case VALUE_STRING:
                return NODES.textNode(parser.getText());
            case VALUE_NUMBER_INT:
                return switch (parser.getNumberType()) {
                    case INT -> NODES.numberNode(parser.getIntValue());
                    case LONG -> NODES.numberNode(parser.getLongValue());
                    default -> NODES.numberNode(parser.getBigIntegerValue());
                };
            case VALUE_NUMBER_FLOAT:
                return NODES.numberNode(parser.getDecimalValue());
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                throw new IllegalStateException("unexpected token " + token);
        }
    }
}
