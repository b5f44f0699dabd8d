package dev.toolgate.policy.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Reads every page of an MCP server's {@code tools/list}, over Streamable HTTP or the legacy HTTP+SSE transport, and
 * keeps each tool exactly as the server wrote it (numbers exact, every field, unknown ones included): the pins written
 * from it must be the digest the sidecar computes from the same listing. An SDK client's typed tool model would drop
 * fields it does not know and re-spell numbers, so this speaks the few JSON-RPC exchanges itself, with the JDK's HTTP
 * client: initialize, notifications/initialized, tools/list until no nextCursor.
 */
final class McpToolsClient {

    enum Transport {
        STREAMABLE_HTTP, LEGACY_SSE
    }

    /** What the server said of itself, and its tools in listing order. */
    record Listing(String serverName, String serverVersion, List<JsonNode> tools) {
    }

    static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }

    static final String PROTOCOL_VERSION = "2025-06-18";
    private static final int MAX_PAGES = 1000;
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final URI url;
    private final String token;
    private final Duration timeout;
    private int nextId = 1;
    private String session;
    private String negotiated;
    /** Legacy transport: where messages are posted, and what the event stream delivers. */
    private URI endpoint;
    private final BlockingQueue<Object> legacyMessages = new LinkedBlockingQueue<>();
    private Stream<String> legacyStream;

    McpToolsClient(URI url, String token, Duration timeout) {
        this.url = url;
        this.token = token;
        this.timeout = timeout;
    }

    /** A URL whose path ends in {@code /sse} is the legacy transport's event stream; anything else Streamable HTTP. */
    static Transport guess(URI url) {
        String path = url.getPath() == null ? "" : url.getPath();
        return path.endsWith("/sse") || path.endsWith("/sse/") ? Transport.LEGACY_SSE : Transport.STREAMABLE_HTTP;
    }

    Listing list(Transport transport) throws Failure {
        try {
            if (transport == Transport.LEGACY_SSE) {
                openLegacyStream();
            }
            ObjectNode params = JSON.createObjectNode();
            params.put("protocolVersion", PROTOCOL_VERSION);
            params.putObject("capabilities");
            params.putObject("clientInfo").put("name", "toolgate-policy-check").put("version", "1");
            JsonNode init = request(transport, "initialize", params);
            negotiated = init.path("protocolVersion").asText(PROTOCOL_VERSION);
            notifyInitialized(transport);
            List<JsonNode> tools = new ArrayList<>();
            Set<String> cursors = new HashSet<>();
            String cursor = null;
            for (int page = 0; ; page++) {
                if (page == MAX_PAGES) {
                    throw new Failure("tools/list had more than " + MAX_PAGES + " pages");
                }
                ObjectNode listParams = JSON.createObjectNode();
                if (cursor != null) {
                    listParams.put("cursor", cursor);
                }
                JsonNode result = request(transport, "tools/list", listParams);
                JsonNode pageTools = result.get("tools");
                if (pageTools == null || !pageTools.isArray()) {
                    throw new Failure("the tools/list result has no tools array: " + result);
                }
                pageTools.forEach(tools::add);
                JsonNode next = result.get("nextCursor");
                if (next == null || next.isNull()) {
                    break;
                }
                if (!next.isTextual() || !cursors.add(next.textValue())) {
                    throw new Failure("tools/list gave the cursor " + next + " twice (or not as a string): the listing would never end");
                }
                cursor = next.textValue();
            }
            JsonNode info = init.path("serverInfo");
            return new Listing(info.path("name").asText(""), info.path("version").asText(""), tools);
        } catch (IOException e) {
            throw new Failure("cannot talk to " + url + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted");
        } finally {
            close();
        }
    }

    private HttpRequest.Builder base(URI target) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(target).timeout(timeout)
                .header("Accept", "application/json, text/event-stream");
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        if (session != null) {
            builder.header("Mcp-Session-Id", session);
        }
        if (negotiated != null) {
            builder.header("MCP-Protocol-Version", negotiated);
        }
        return builder;
    }

    private HttpRequest post(URI target, JsonNode message) throws IOException {
        return base(target).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(message))).build();
    }

    private ObjectNode message(String method, JsonNode params, boolean request) {
        ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0");
        if (request) {
            message.put("id", nextId++);
        }
        message.put("method", method);
        if (params != null) {
            message.set("params", params);
        }
        return message;
    }

    /** Sends one request and waits for its response; the result, or a failure naming the server's error. */
    private JsonNode request(Transport transport, String method, JsonNode params) throws IOException, InterruptedException, Failure {
        ObjectNode message = message(method, params, true);
        int id = message.get("id").intValue();
        JsonNode response = transport == Transport.LEGACY_SSE ? legacyExchange(message, id) : streamableExchange(message, id, method);
        if (response.has("error")) {
            throw new Failure(method + " failed: " + response.get("error"));
        }
        JsonNode result = response.get("result");
        if (result == null || !result.isObject()) {
            throw new Failure(method + " answered without a result object: " + response);
        }
        return result;
    }

    private JsonNode streamableExchange(ObjectNode message, int id, String method) throws IOException, InterruptedException, Failure {
        HttpResponse<Stream<String>> answer = http.send(post(url, message), HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> lines = answer.body()) {
            checkStatus(answer.statusCode(), method);
            answer.headers().firstValue("mcp-session-id").ifPresent(id1 -> session = session == null ? id1 : session);
            String type = answer.headers().firstValue("content-type").orElse("");
            if (type.startsWith("text/event-stream")) {
                for (Iterator<String> it = new SseEvents(lines.iterator()); it.hasNext(); ) {
                    JsonNode candidate = JSON.readTree(it.next());
                    if (answers(candidate, id)) {
                        return candidate;
                    }
                }
                throw new Failure(method + ": the event stream ended without the response");
            }
            JsonNode body = JSON.readTree(String.join("\n", lines.toList()));
            if (body != null && answers(body, id)) {
                return body;
            }
            throw new Failure(method + ": the response is not the answer to the request: " + body);
        }
    }

    private static boolean answers(JsonNode message, int id) {
        return message.isObject() && message.path("id").isNumber() && message.path("id").intValue() == id
                && (message.has("result") || message.has("error"));
    }

    private void checkStatus(int status, String method) throws Failure {
        if (status == 401 || status == 403) {
            throw new Failure(method + ": the server answered HTTP " + status + (token == null
                    ? "; it wants a token: pass --token or --token-file" : "; the token was not accepted"));
        }
        if (status < 200 || status >= 300) {
            throw new Failure(method + ": the server answered HTTP " + status);
        }
    }

    private void notifyInitialized(Transport transport) throws IOException, InterruptedException, Failure {
        HttpResponse<Void> answer = http.send(post(transport == Transport.LEGACY_SSE ? endpoint : url,
                message("notifications/initialized", null, false)), HttpResponse.BodyHandlers.discarding());
        checkStatus(answer.statusCode(), "notifications/initialized");
    }

    /** Legacy transport: the GET event stream, whose first {@code endpoint} event says where to post. */
    private void openLegacyStream() throws IOException, InterruptedException, Failure {
        HttpRequest get = base(url).header("Accept", "text/event-stream").GET().timeout(Duration.ofDays(1)).build();
        HttpResponse<Stream<String>> answer = http.send(get, HttpResponse.BodyHandlers.ofLines());
        checkStatus(answer.statusCode(), "GET " + url.getPath());
        legacyStream = answer.body();
        SseEvents events = new SseEvents(legacyStream.iterator());
        Thread reader = new Thread(() -> {
            try {
                while (events.hasNext()) {
                    String data = events.next();
                    legacyMessages.add("endpoint".equals(events.lastEvent()) ? URI.create(data) : data);
                }
            } catch (RuntimeException closed) {
                // the stream ended or was closed
            }
            legacyMessages.add(Boolean.FALSE);
        }, "policy-check-sse");
        reader.setDaemon(true);
        reader.start();
        Object first = legacyMessages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!(first instanceof URI announced)) {
            throw new Failure("the event stream at " + url + " announced no endpoint (is it the legacy HTTP+SSE transport?)");
        }
        endpoint = url.resolve(announced);
        // the token goes wherever messages are posted: only to the server asked, never to an origin its stream names
        if (!url.getScheme().equalsIgnoreCase(String.valueOf(endpoint.getScheme())) || !url.getHost().equalsIgnoreCase(String.valueOf(endpoint.getHost()))
                || endpoint.getPort() != url.getPort()) {
            throw new Failure("the event stream at " + url + " announced the endpoint " + announced + " of another origin; refused");
        }
    }

    private JsonNode legacyExchange(ObjectNode message, int id) throws IOException, InterruptedException, Failure {
        String method = message.get("method").asText();
        HttpResponse<Void> posted = http.send(post(endpoint, message), HttpResponse.BodyHandlers.discarding());
        checkStatus(posted.statusCode(), method);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object next = legacyMessages.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (next == null) {
                throw new Failure(method + ": no response on the event stream within " + timeout.toSeconds() + " s");
            }
            if (Boolean.FALSE.equals(next)) {
                throw new Failure(method + ": the event stream ended without the response");
            }
            if (next instanceof String data) {
                JsonNode candidate = JSON.readTree(data);
                if (answers(candidate, id)) {
                    return candidate;
                }
            }
        }
    }

    private void close() {
        if (legacyStream != null) {
            legacyStream.close();
        }
        if (session != null) {
            try {
                http.send(base(url).DELETE().build(), HttpResponse.BodyHandlers.discarding());
            } catch (IOException | RuntimeException e) {
                // the session ends with the server's own timeout
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The data of each event of a {@code text/event-stream}, read line by line (HTML's rules, as far as MCP needs them). */
    static final class SseEvents implements Iterator<String> {
        private final Iterator<String> lines;
        private String pending;
        private String event;
        private String lastEvent;

        SseEvents(Iterator<String> lines) {
            this.lines = lines;
        }

        @Override
        public boolean hasNext() {
            if (pending != null) {
                return true;
            }
            StringBuilder data = null;
            String type = null;
            while (lines.hasNext()) {
                String line = lines.next();
                if (line.isEmpty()) {
                    if (data != null) {
                        pending = data.toString();
                        event = type == null ? "message" : type;
                        return true;
                    }
                    type = null;
                    continue;
                }
                if (line.startsWith(":")) {
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (field.equals("data")) {
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                } else if (field.equals("event")) {
                    type = value;
                }
            }
            return false;
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            String data = pending;
            pending = null;
            lastEvent = event;
            return data;
        }

        /** The type of the event {@link #next} returned last. */
        String lastEvent() {
            return lastEvent;
        }
    }
}
