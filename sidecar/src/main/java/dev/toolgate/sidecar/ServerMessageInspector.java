package dev.toolgate.sidecar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * (the last of two {@code result} keys, say). Pure apart from the learnt tool labels.
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
     * @param message     the parsed message (changed in place when rewritten); null when refused or when there was no
     *                    JSON value at all (blank)
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

    /** A JSON body (without a byte order mark; the caller drops one leading BOM, as clients' decoders do). */
    public static Result inspect(byte[] body, int start, int end, Policy policy, ToolLabels labels) {
        JsonNode root;
        if (plainAscii(body, start, end)) {
            // the common case, parsed from the bytes (no NUL, so Jackson cannot take them for UTF-16/32)
            try {
                root = JsonRpcParser.STRICT.readTree(body, start, end - start);
            } catch (IOException e) {
                return Result.refused(notStrictJson(e), idsOf(new String(body, start, end - start, StandardCharsets.US_ASCII)));
            }
            return inspected(root, policy, labels);
        }
        String text = StrictUtf8.decode(body, start, end);
        if (text == null) {
            return Result.refused("not valid UTF-8", idsOf(new String(body, start, end - start, StandardCharsets.UTF_8)));
        }
        return inspect(text, policy, labels);
    }

    /** A message already decoded (the data of a server-sent event). */
    public static Result inspect(String text, Policy policy, ToolLabels labels) {
        JsonNode root;
        try {
            root = JsonRpcParser.STRICT.readTree(text);
        } catch (IOException e) {
            return Result.refused(notStrictJson(e), idsOf(text));
        }
        return inspected(root, policy, labels);
    }

    private static Result inspected(JsonNode root, Policy policy, ToolLabels labels) {
        if (root == null || root.isMissingNode()) {
            return new Result(Outcome.PASS, null, List.of(), null); // blank: no message for anyone to read
        }
        List<JsonNode> ids = new ArrayList<>(1);
        boolean changed = visit(root, policy, labels, ids);
        return new Result(changed ? Outcome.REWRITTEN : Outcome.PASS, root, ids, null);
    }

    /** Filters every object of a message or batch (nested arrays too: a lenient client might flatten them). */
    private static boolean visit(JsonNode node, Policy policy, ToolLabels labels, List<JsonNode> ids) {
        if (node.isArray()) {
            boolean changed = false;
            for (JsonNode element : node) {
                changed |= visit(element, policy, labels, ids);
            }
            return changed;
        }
        if (node instanceof ObjectNode object) {
            collectId(object, ids);
            return ToolsListFilter.apply(object, policy, labels);
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
    static List<JsonNode> idsOf(String text) {
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

    /** Bytes 0x01..0x7F only. */
    private static boolean plainAscii(byte[] bytes, int start, int end) {
        for (int i = start; i < end; i++) {
            if (bytes[i] <= 0) {
                return false;
            }
        }
        return true;
    }
}
