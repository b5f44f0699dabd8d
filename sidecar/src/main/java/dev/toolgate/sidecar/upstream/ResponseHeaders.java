package dev.toolgate.sidecar.upstream;

import dev.toolgate.sidecar.edge.MediaType;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;

import java.util.List;
import java.util.Locale;

/**
 * Reads an MCP server's response headers the way the sidecar must before relaying a body: what kind of body it is, and
 * whether anything keeps it from being read exactly as a client would read it. Pure.
 */
final class ResponseHeaders {

    enum Kind {
        /** {@code text/event-stream}: inspected event by event. */
        EVENT_STREAM,
        /** A JSON media type (anything naming {@code json}, as clients test it): inspected whole. */
        JSON,
        /** Anything else: inspected whole if it looks like JSON, streamed through otherwise. */
        OTHER
    }

    private ResponseHeaders() {
    }

    static Kind kind(String contentType) {
        if (contentType == null) {
            return Kind.OTHER;
        }
        String lower = contentType.toLowerCase(Locale.ROOT);
        if (mediaType(lower).equals("text/event-stream")) {
            return Kind.EVENT_STREAM;
        }
        return lower.contains("json") ? Kind.JSON : Kind.OTHER;
    }

    /**
     * Why a response with a body cannot be inspected as its client would read it, or null when it can. The sidecar
     * sends no {@code Accept-Encoding}, so a server that compresses anyway is misbehaving; a client would decompress
     * (or decode another charset) and read what the sidecar did not.
     */
    static String problem(MultiMap headers) {
        for (String coding : tokens(headers.getAll(HttpHeaders.CONTENT_ENCODING))) {
            if (!coding.equals("identity")) {
                return "Content-Encoding \"" + coding + "\" (the sidecar asks for uncompressed answers so it can inspect them)";
            }
        }
        for (String coding : tokens(headers.getAll(HttpHeaders.TRANSFER_ENCODING))) {
            if (!coding.equals("chunked")) {
                return "Transfer-Encoding \"" + coding + "\"";
            }
        }
        List<String> types = headers.getAll(HttpHeaders.CONTENT_TYPE);
        if (types.size() > 1) {
            return "more than one Content-Type";
        }
        if (types.isEmpty()) {
            return null;
        }
        String lower = types.get(0).toLowerCase(Locale.ROOT);
        if (lower.contains("event-stream") && !mediaType(lower).equals("text/event-stream")) {
            return "Content-Type \"" + types.get(0) + "\" (a client may read it as an event stream)";
        }
        String charset;
        try {
            charset = MediaType.parse(types.get(0)).charset();
        } catch (MediaType.Malformed e) {
            return e.getMessage();
        }
        charset = charset == null ? null : charset.toLowerCase(Locale.ROOT);
        if (charset == null || charset.equals("utf-8") || charset.equals("utf8") || charset.equals("us-ascii")) {
            return null;
        }
        if (kind(types.get(0)) == Kind.OTHER && asciiCompatible(charset)) {
            return null; // a page in Latin-1, say: JSON in it would still start with '{' and be inspected
        }
        return "charset \"" + charset + "\" (MCP messages are UTF-8)";
    }

    private static boolean asciiCompatible(String charset) {
        return charset.startsWith("iso-8859-") || charset.startsWith("windows-125") || charset.equals("latin1")
                || charset.equals("ascii");
    }

    private static String mediaType(String lowerContentType) {
        int semicolon = lowerContentType.indexOf(';');
        return (semicolon < 0 ? lowerContentType : lowerContentType.substring(0, semicolon)).trim();
    }

    private static List<String> tokens(List<String> values) {
        if (values.isEmpty()) {
            return List.of();
        }
        return values.stream().flatMap(v -> java.util.Arrays.stream(v.split(",")))
                .map(t -> t.trim().toLowerCase(Locale.ROOT)).filter(t -> !t.isEmpty()).toList();
    }
}
