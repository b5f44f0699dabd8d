package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.mcp.JsonRpcParser;
import dev.toolgate.sidecar.mcp.McpMethods;
import dev.toolgate.sidecar.mcp.StrictUtf8;
import dev.toolgate.sidecar.observe.ToolLabels;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides what the client may see of one message from the MCP server: a JSON response body, or the data of one
 * server-sent event. The message is read strictly (valid UTF-8, no duplicate keys, nothing after the value), then every
 * tools/list-shaped result in it — at the top or in a batch, whatever id it carries — is filtered under the policy. A
 * message that cannot be read that way is refused: relayed unread, a client could find in it what the sidecar did not
 * (the last of two {@code result} keys, say). Pinned tools announced with another definition are removed whatever the
 * policy says of hiding ({@link ToolsListFilter}). Pure apart from the learnt tool labels and the announced definitions
 * of pinned tools ({@link ToolDefinitions}).
 */
public final class ServerMessageInspector {

    public enum Outcome {
        /** Relay the message as it came. */
        PASS,
        /** Relay {@link Result#message()}, from which hidden tools were removed. */
        REWRITTEN,
        /** Relay nothing of it. */
        REFUSED
    }

    /**
     * @param outcome     what to relay
     * @param message     the parsed message when it holds a tools/list result (changed in place when rewritten); null
     *                    otherwise (there was nothing to rewrite, so no tree was built)
     * @param answeredIds the ids of the responses in the message as the server spelt them; for a refused message those
     *                    a lenient reading makes out, so the requests they answer can be given an error instead
     * @param problem     why the message was refused; null otherwise
     */
    public record Result(Outcome outcome, JsonNode message, List<JsonNode> answeredIds, String problem) {
        static Result refused(String problem, List<JsonNode> answeredIds) {
            return new Result(Outcome.REFUSED, null, answeredIds, problem);
        }
    }

    /** What a careless client reads: duplicate keys (last wins) and trailing content allowed. Used only to find ids. */
    private static final ObjectMapper LENIENT = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private ServerMessageInspector() {
    }

    /**
     * A JSON body (the caller drops one leading byte order mark, as clients' decoders do). Parsed from the bytes, which
     * must be valid UTF-8 without NUL: no strict JSON has one, and without one Jackson cannot take them for UTF-16/32.
     */
    public static Result inspect(byte[] body, int start, int end, Policy policy, Caller caller, ToolLabels labels,
            ToolDefinitions definitions) {
        boolean ascii = true;
        for (int i = start; i < end; i++) {
            if (body[i] == 0) {
                return Result.refused("not strict JSON: a NUL byte", List.of());
            }
            ascii &= body[i] > 0;
        }
        if (!ascii && !StrictUtf8.isValid(body, start, end)) {
            return Result.refused("not valid UTF-8", idsOf(new String(body, start, end - start, StandardCharsets.UTF_8)));
        }
        if (end - start >= 3 && (body[start] & 0xff) == 0xEF && (body[start + 1] & 0xff) == 0xBB && (body[start + 2] & 0xff) == 0xBF) {
            return Result.refused("not strict JSON: a second byte order mark", List.of()); // Jackson would skip it, JSON.parse not
        }
        try {
            Scan scan = scan(JsonRpcParser.STRICT.createParser(body, start, end - start));
            if (!scan.toolsList()) {
                return listChanged(scan, definitions, new Result(Outcome.PASS, null, scan.ids(), null));
            }
            return listChanged(scan, definitions, filtered(JsonRpcParser.STRICT.readTree(body, start, end - start), policy, caller, labels, definitions));
        } catch (IOException e) {
            return Result.refused(notStrictJson(e), idsOf(new String(body, start, end - start, StandardCharsets.UTF_8)));
        }
    }

    /** A message already decoded (the data of a server-sent event). */
    public static Result inspect(String text, Policy policy, Caller caller, ToolLabels labels, ToolDefinitions definitions) {
        try {
            Scan scan = scan(JsonRpcParser.STRICT.createParser(text));
            if (!scan.toolsList()) {
                return listChanged(scan, definitions, new Result(Outcome.PASS, null, scan.ids(), null));
            }
            return listChanged(scan, definitions, filtered(JsonRpcParser.STRICT.readTree(text), policy, caller, labels, definitions));
        } catch (IOException e) {
            return Result.refused(notStrictJson(e), idsOf(text));
        }
    }

    /**
     * What a first, streaming pass finds: the ids of the responses, and whether any message is shaped like a tools/list
     * result. It reads every token, so the whole text is checked (duplicate keys, escapes, numbers, trailing content),
     * but it builds no tree: most answers hold no tools/list result, and a large tool result is not copied into one.
     */
    private record Scan(List<JsonNode> ids, boolean toolsList, boolean listChanged) {
    }

    /**
     * After a message that holds {@code notifications/tools/list_changed}, every pinned tool is unverified until the next
     * listing ({@link ToolDefinitions#listChanged}). Marked after any listing in the same message: that listing may
     * predate the change, so it does not verify anything (fail closed).
     */
    private static Result listChanged(Scan scan, ToolDefinitions definitions, Result result) {
        if (scan.listChanged()) {
            definitions.listChanged();
        }
        return result;
    }

    private static Scan scan(JsonParser parser) throws IOException {
        try (parser) {
            JsonToken first = parser.nextToken();
            List<JsonNode> ids = new ArrayList<>(1);
            boolean[] listChanged = {false};
            boolean toolsList = first != null && scanMessages(parser, first, ids, listChanged);
            if (first != null && parser.nextToken() != null) {
                throw new JsonParseException(parser, "content after the JSON value");
            }
            return new Scan(ids, toolsList, listChanged[0]); // no value at all (blank): nothing for anyone to read
        }
    }

    /** A message, or a batch (arrays nest: a lenient client might flatten them); true when one is a tools/list result. */
    private static boolean scanMessages(JsonParser parser, JsonToken token, List<JsonNode> ids, boolean[] listChanged) throws IOException {
        if (token == JsonToken.START_ARRAY) {
            boolean toolsList = false;
            for (JsonToken element = parser.nextToken(); element != JsonToken.END_ARRAY; element = parser.nextToken()) {
                toolsList |= scanMessages(parser, element, ids, listChanged);
            }
            return toolsList;
        }
        if (token != JsonToken.START_OBJECT) {
            return false; // a scalar is not a message
        }
        JsonNode id = null;
        boolean response = false;
        boolean toolsList = false;
        for (JsonToken field = parser.nextToken(); field == JsonToken.FIELD_NAME; field = parser.nextToken()) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (name) {
                case "id" -> id = idValue(parser, value);
                case "method" -> {
                    listChanged[0] |= value == JsonToken.VALUE_STRING && McpMethods.TOOLS_LIST_CHANGED.equals(parser.getText());
                    parser.skipChildren();
                }
                case "result" -> {
                    response = true;
                    toolsList = value == JsonToken.START_OBJECT && resultHasToolsArray(parser);
                    parser.skipChildren();
                }
                case "error" -> {
                    response = true;
                    parser.skipChildren();
                }
                default -> parser.skipChildren();
            }
        }
        if (response && id != null) {
            ids.add(id);
        }
        return toolsList;
    }

    /** The id as a node when it is a string or a number (what can answer a request); other values are read through. */
    private static JsonNode idValue(JsonParser parser, JsonToken token) throws IOException {
        return switch (token) {
            case VALUE_STRING -> TextNode.valueOf(parser.getText());
            case VALUE_NUMBER_INT -> JsonNodeFactory.instance.numberNode(parser.getBigIntegerValue());
            case VALUE_NUMBER_FLOAT -> JsonNodeFactory.instance.numberNode(parser.getDecimalValue());
            default -> {
                parser.skipChildren();
                yield null;
            }
        };
    }

    /** Reads a {@code result} object through to its end; true when it has a {@code tools} array. */
    private static boolean resultHasToolsArray(JsonParser parser) throws IOException {
        boolean tools = false;
        for (JsonToken field = parser.nextToken(); field == JsonToken.FIELD_NAME; field = parser.nextToken()) {
            boolean named = parser.currentName().equals("tools");
            tools |= parser.nextToken() == JsonToken.START_ARRAY && named;
            parser.skipChildren(); // every token of the value is still read, and so checked
        }
        return tools;
    }

    private static Result filtered(JsonNode root, Policy policy, Caller caller, ToolLabels labels, ToolDefinitions definitions) {
        List<JsonNode> ids = new ArrayList<>(1);
        boolean changed = visit(root, policy, caller, labels, definitions, ids);
        return new Result(changed ? Outcome.REWRITTEN : Outcome.PASS, root, ids, null);
    }

    /** Filters every object of a message or batch, nested arrays too. */
    private static boolean visit(JsonNode node, Policy policy, Caller caller, ToolLabels labels, ToolDefinitions definitions,
            List<JsonNode> ids) {
        if (node.isArray()) {
            boolean changed = false;
            for (JsonNode element : node) {
                changed |= visit(element, policy, caller, labels, definitions, ids);
            }
            return changed;
        }
        if (node instanceof ObjectNode object) {
            collectId(object, ids);
            return ToolsListFilter.apply(object, policy, caller, labels, definitions);
        }
        return false;
    }

    private static void collectId(JsonNode message, List<JsonNode> ids) {
        JsonNode id = message.get("id");
        if (id != null && !id.isNull() && (message.has("result") || message.has("error"))) {
            ids.add(id);
        }
    }

    /** The response ids a lenient reading finds in text that failed the strict one; none when even that fails. */
    public static List<JsonNode> idsOf(String text) {
        List<JsonNode> ids = new ArrayList<>(1);
        try {
            JsonNode root = LENIENT.readTree(text);
            if (root != null && root.isArray()) {
                root.forEach(element -> collectId(element, ids));
            } else if (root != null) {
                collectId(root, ids);
            }
        } catch (IOException | RuntimeException unreadable) {
            // nothing to make out
        }
        return ids;
    }

    private static String notStrictJson(IOException e) {
        return "not strict JSON: " + (e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage());
    }
}
