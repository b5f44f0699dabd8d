package dev.toolgate.sidecar.observe;

import java.util.regex.Pattern;

import io.vertx.core.http.HttpServerRequest;

/**
 * What the audit line says about where a request came from: the peer address the sidecar saw (for traffic through a
 * Service or a port-forward, the last hop, not the agent), and the W3C trace id of a valid {@code traceparent}
 * header (or, with tracing on, of the request's server span), so an audit line can be joined with the agent's trace
 * and the sidecar's spans. Taken once per request.
 */
public record RequestFacts(String source, String traceId) {

    public static final RequestFacts NONE = new RequestFacts(null, null);
    /** W3C Trace Context: version-traceid-parentid-flags; an all-zero trace id is invalid. */
    private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}.*");

    public static RequestFacts of(HttpServerRequest request) {
        return of(request, null);
    }

    /**
     * @param spanTraceId the trace of the request's server span when the sidecar traces ({@link Tracing#currentTraceId()}):
     *                    the incoming trace when a valid {@code traceparent} came in, else the one the sidecar started.
     *                    Null: the {@code traceparent}'s trace id, as without tracing
     */
    public static RequestFacts of(HttpServerRequest request, String spanTraceId) {
        String source = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        return new RequestFacts(source, spanTraceId != null ? spanTraceId : traceId(request.getHeader("traceparent")));
    }

    /** The trace id of a {@code traceparent} value, or null when it is absent or not valid. */
    static String traceId(String traceparent) {
        if (traceparent == null || traceparent.length() > 512) {
            return null;
        }
        var m = TRACEPARENT.matcher(traceparent.trim());
        if (!m.matches() || m.group(1).chars().allMatch(c -> c == '0') || traceparent.startsWith("ff")) {
            return null;
        }
        return m.group(1);
    }
}
