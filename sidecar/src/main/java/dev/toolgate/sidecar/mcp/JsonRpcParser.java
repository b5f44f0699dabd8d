package dev.toolgate.sidecar.mcp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Strict parsing of a request body into JSON-RPC messages. Anything an upstream parser might read differently from us
 * is rejected: invalid or non-UTF-8 bytes, a byte order mark, duplicate keys, trailing tokens, methods that differ from
 * an MCP method only in case or whitespace.
 */
public final class JsonRpcParser {

    /** Shared strict mapper: duplicate keys and trailing tokens are errors. */
    public static final ObjectMapper STRICT = JsonMapper.builder(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private JsonRpcParser() {
    }

    public static ParsedBody parse(byte[] body) throws JsonRpcRejection {
        JsonNode root = plainAscii(body) ? readAscii(body) : null;
        if (root == null) {
            String text = decodeUtf8(body);
            try {
                root = STRICT.readTree(text);
            } catch (JsonProcessingException e) {
                throw new JsonRpcRejection(ErrorCodes.PARSE_ERROR, "Parse error: " + e.getOriginalMessage(), null);
            }
        }
        if (root == null || root.isMissingNode()) {
            throw new JsonRpcRejection(ErrorCodes.PARSE_ERROR, "Parse error: body is not a JSON value", null);
        }
        if (root.isArray()) {
            if (root.isEmpty()) {
                throw new JsonRpcRejection(ErrorCodes.INVALID_REQUEST, "Invalid Request: empty batch", null);
            }
            List<JsonRpcMessage> messages = new ArrayList<>(root.size());
            for (int i = 0; i < root.size(); i++) {
                messages.add(message(root.get(i), "batch element " + i + ": "));
            }
            return new ParsedBody(true, List.copyOf(messages));
        }
        return new ParsedBody(false, List.of(message(root, "")));
    }

    /** Bytes 0x01..0x7F only: valid UTF-8 without a BOM, and nothing Jackson's encoding detection could take for UTF-16/32. */
    private static boolean plainAscii(byte[] body) {
        for (byte b : body) {
            if (b <= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The common case, parsed from the bytes without decoding them to a String first; reads the same tree the text path
     * would. Returns null on any failure so the text path produces the error (its messages are the ones clients see).
     */
    private static JsonNode readAscii(byte[] body) {
        try {
            return STRICT.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    static String decodeUtf8(byte[] body) throws JsonRpcRejection {
        if (body.length >= 3 && (body[0] & 0xff) == 0xEF && (body[1] & 0xff) == 0xBB && (body[2] & 0xff) == 0xBF) {
            throw new JsonRpcRejection(ErrorCodes.PARSE_ERROR, "Parse error: byte order mark not allowed; send UTF-8 without BOM", null);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new JsonRpcRejection(ErrorCodes.PARSE_ERROR, "Parse error: body is not valid UTF-8", null);
        }
    }

    private static JsonRpcMessage message(JsonNode node, String where) throws JsonRpcRejection {
        if (!(node instanceof ObjectNode object)) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_REQUEST, "Invalid Request: " + where + "a JSON-RPC message must be an object", null);
        }
        JsonNode id = object.get("id");
        if (id != null && !(id.isTextual() || id.isIntegralNumber() || id.isNull())) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_REQUEST, "Invalid Request: " + where + "\"id\" must be a string or an integer", null);
        }
        JsonNode knownId = id == null || id.isNull() ? null : id;
        JsonNode version = object.get("jsonrpc");
        if (version == null || !version.isTextual() || !"2.0".equals(version.textValue())) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_REQUEST, "Invalid Request: " + where + "\"jsonrpc\" must be \"2.0\"", knownId);
        }
        JsonNode methodNode = object.get("method");
        if (methodNode == null) {
            if (!object.has("result") && !object.has("error")) {
                throw new JsonRpcRejection(ErrorCodes.INVALID_REQUEST, "Invalid Request: " + where + "message has neither \"method\" nor \"result\"/\"error\"", knownId);
            }
            return new JsonRpcMessage(object, null, knownId);
        }
        if (!methodNode.isTextual()) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_REQUEST, "Invalid Request: " + where + "\"method\" must be a string", knownId);
        }
        String method = methodNode.textValue();
        String normalized = method.strip().toLowerCase(Locale.ROOT);
        if (!normalized.equals(method) && (normalized.equals(McpMethods.TOOLS_CALL) || normalized.equals(McpMethods.TOOLS_LIST))
                || !method.strip().equals(method)) {
            throw new JsonRpcRejection(ErrorCodes.INVALID_REQUEST,
                    "Invalid Request: " + where + "method \"" + method + "\" is not an MCP method (methods are case- and whitespace-exact)", knownId);
        }
        return new JsonRpcMessage(object, method, knownId);
    }
}
