package dev.toolgate.sidecar.upstream;


import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Singleton;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open event streams of the legacy 2024-11-05 HTTP+SSE transport, keyed by the POST endpoint the server announced on
 * them (and the sidecar handed on to the client). A refused POST to that endpoint is answered on the client's stream,
 * where the client waits for it. Answers on the stream are inspected like every server message (tools/list results are
 * recognised by their shape, so no request ids need remembering).
 *
 * <p>The server routes far more spellings of an endpoint to the same session than the one it announced: the TypeScript
 * SDK's server behind express matches paths case-insensitively and with or without a trailing slash, and reads the
 * session from a percent-decoded query ({@code ?%73essionId=S}), ignoring parameters it does not know. Rather than
 * reproduce one server's routing, the sidecar accepts a legacy message only at the exact endpoint it handed out and
 * refuses every request that could be one in another spelling ({@link #route}); the session it counts such a message
 * under is the server's session id from that endpoint, never a header the legacy server ignores.
 */
@Singleton // no client proxy: these run on every request
public class LegacySseSessions {

    /** A client's open event stream; writes are done on its own context so they never interleave with upstream events. */
    public record Stream(HttpServerResponse response, Context context) {

        public void send(byte[] event) {
            context.runOnContext(v -> {
                if (!response.ended() && !response.closed()) {
                    response.write(Buffer.buffer(event));
                }
            });
        }
    }

    /** What a request is with respect to the legacy transport. */
    public sealed interface Route permits NotLegacy, Legacy, Refused {
    }

    /** Not addressed to a legacy session (Streamable HTTP, or anything else): the session is the Mcp-Session-Id header. */
    public enum NotLegacy implements Route { INSTANCE }

    /** Sent to an endpoint exactly as handed out: the message belongs to the server's session {@code session}. */
    public record Legacy(Stream stream, String session) implements Route {
    }

    /** Could reach a legacy session in a form the sidecar did not hand out: answered with {@code status}, never forwarded. */
    public record Refused(int status, String why) implements Route {
    }

    private record Registration(String endpoint, String session, Stream stream, String path, boolean sessionInPath) {
    }

    /** A query parameter whose normalised name ({@link #normaliseName}) contains this carries a legacy session id. */
    private static final String SESSION_NAME = "sessionid"; // sessionId (TypeScript SDK), session_id (Python SDK), ...
    private static final int MAX_REMEMBERED = 1024;

    private final Map<String, Registration> byEndpoint = new ConcurrentHashMap<>();
    private final Map<String, Registration> bySession = new ConcurrentHashMap<>();
    /** Normalised endpoint paths ever announced (bounded; the value says whether the session is in the path itself). */
    private final Map<String, Boolean> endpointPaths = bounded();
    /** Other names servers gave their session parameter (normalised; bounded). */
    private final Map<String, Boolean> sessionNames = bounded();
    private volatile boolean anyEndpointAnnounced;

    public void register(String endpoint, Stream stream) {
        Registration registration = registration(endpoint, stream);
        byEndpoint.put(endpoint, registration);
        bySession.put(registration.session().toLowerCase(Locale.ROOT), registration);
        synchronized (endpointPaths) {
            endpointPaths.merge(registration.path(), registration.sessionInPath(), Boolean::logicalOr);
        }
        anyEndpointAnnounced = true;
    }

    public void unregister(String endpoint, Stream stream) {
        Registration registration = byEndpoint.get(endpoint);
        if (registration != null && registration.stream() == stream) {
            byEndpoint.remove(endpoint, registration);
            bySession.remove(registration.session().toLowerCase(Locale.ROOT), registration);
        }
    }

    /**
     * Classifies a request by its raw path and query.
     * <ul>
     * <li>exactly an endpoint handed out → {@link Legacy} with the server's session id;
     * <li>a POST that could be a legacy message in any other spelling: a query parameter whose decoded name is a session
     * parameter's (whatever its value: unknown, repeated, or next to other parameters), or a path that normalises to an
     * announced endpoint's path (case, slashes, dot segments, percent-encoding, {@code ;} parameters) with a query, or
     * without one where the session lives in the path → {@link Refused};
     * <li>another method in such a spelling that names a session the sidecar knows → {@link Refused} (a server could
     * route any method to its message handler; unknown sessions are harmless there because no such session exists);
     * <li>otherwise {@link NotLegacy}.
     * </ul>
     */
    public Route route(HttpMethod method, String path, String query) {
        Registration exact = byEndpoint.get(query == null ? path : path + "?" + query);
        if (exact != null) {
            return new Legacy(exact.stream(), exact.session());
        }
        List<QueryParameters.Parameter> parameters = QueryParameters.decodeLeniently(query);
        String sessionValue = null;
        int sessionParameters = 0;
        for (QueryParameters.Parameter p : parameters) {
            if (isSessionName(p.name())) {
                sessionParameters++;
                sessionValue = p.value();
            }
        }
        if (sessionParameters == 0 && !anyEndpointAnnounced) {
            return NotLegacy.INSTANCE; // Streamable HTTP only, so far: no path to compare with
        }
        String normalisedPath = normalisePath(path);
        Boolean sessionInPath;
        synchronized (endpointPaths) {
            sessionInPath = endpointPaths.get(normalisedPath);
        }
        boolean endpointPath = sessionInPath != null && (query != null || sessionInPath);
        if (sessionParameters == 0 && !endpointPath) {
            return NotLegacy.INSTANCE;
        }
        boolean knownSession = sessionParameters > 0 && anyKnownSession(parameters)
                || Boolean.TRUE.equals(sessionInPath) && bySession.values().stream().anyMatch(r -> r.path().equals(normalisedPath));
        if (method != HttpMethod.POST && !knownSession) {
            return NotLegacy.INSTANCE;
        }
        if (sessionParameters == 1 && !knownSession) {
            return new Refused(404, "legacy HTTP+SSE session \"" + sessionValue + "\" is unknown or closed: open an event stream"
                    + " (GET) through this sidecar and post to the endpoint it announces");
        }
        return new Refused(400, "\"" + (query == null ? path : path + "?" + query) + "\" is not an endpoint this sidecar"
                + " announced: post legacy HTTP+SSE messages to the endpoint exactly as the event stream gave it"
                + (sessionParameters > 1 ? " (the session parameter is repeated)" : ""));
    }

    private boolean anyKnownSession(List<QueryParameters.Parameter> parameters) {
        for (QueryParameters.Parameter p : parameters) {
            if (isSessionName(p.name()) && bySession.containsKey(p.value().toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    private boolean isSessionName(String name) {
        String normalised = normaliseName(name);
        if (normalised.contains(SESSION_NAME)) {
            return true;
        }
        synchronized (sessionNames) {
            return sessionNames.containsKey(normalised);
        }
    }

    /** Case and punctuation removed, so {@code sessionId}, {@code SESSION_ID} and {@code session-id[]} compare equal. */
    static String normaliseName(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = Character.toLowerCase(name.charAt(i));
            if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * A path reduced so that every spelling a server could route to the same handler compares equal: {@code ;}
     * parameters dropped, percent-decoded (also {@code %2F}), lower-cased, empty and {@code .} segments dropped,
     * {@code ..} applied, no trailing slash. Only used to recognise variants, never to build a forwarded path.
     */
    static String normalisePath(String rawPath) {
        StringBuilder withoutParams = new StringBuilder(rawPath.length());
        boolean inParams = false;
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c == ';') {
                inParams = true;
            } else if (c == '/') {
                inParams = false;
            }
            if (!inParams) {
                withoutParams.append(c);
            }
        }
        String decoded = QueryParameters.percentDecode(withoutParams.toString(), false).toLowerCase(Locale.ROOT);
        java.util.ArrayDeque<String> segments = new java.util.ArrayDeque<>();
        for (String segment : decoded.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                segments.pollLast();
            } else {
                segments.addLast(segment);
            }
        }
        return "/" + String.join("/", segments);
    }

    private Registration registration(String endpoint, Stream stream) {
        int q = endpoint.indexOf('?');
        String path = q < 0 ? endpoint : endpoint.substring(0, q);
        String query = q < 0 ? null : endpoint.substring(q + 1);
        List<QueryParameters.Parameter> parameters = QueryParameters.decodeLeniently(query);
        QueryParameters.Parameter session = null;
        for (QueryParameters.Parameter p : parameters) {
            if (normaliseName(p.name()).contains(SESSION_NAME)) {
                session = p;
            }
        }
        if (session == null && parameters.size() == 1) {
            session = parameters.get(0); // the endpoint's only parameter: whatever its name, it identifies the session
            synchronized (sessionNames) {
                sessionNames.put(normaliseName(session.name()), Boolean.TRUE);
            }
        }
        // Without a session parameter the endpoint itself is the session's address (e.g. /messages/<id>).
        return session == null
                ? new Registration(endpoint, endpoint, stream, normalisePath(path), query == null)
                : new Registration(endpoint, session.value(), stream, normalisePath(path), false);
    }

    /**
     * The key under which a POST will arrive for an {@code endpoint} event's data: its path and query. An absolute URL
     * is reduced to the same, which is also what the client is told, so it keeps posting through the sidecar.
     */
    public static String endpointKey(String endpointData) {
        try {
            URI uri = URI.create(endpointData.trim());
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@link #endpointKey(String)} of the endpoint announced on the event stream opened at {@code streamOriginForm}. */
    public static String endpointKey(String streamOriginForm, String endpointData) {
        try {
            return endpointKey(URI.create(streamOriginForm).resolve(endpointData.trim()).toString());
        } catch (IllegalArgumentException e) {
            return null; // not handed on as a sidecar endpoint, so posts to it are refused as unknown
        }
    }

    private static <K> Map<K, Boolean> bounded() {
        return new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Boolean> eldest) {
                return size() > MAX_REMEMBERED;
            }
        };
    }
}
