package dev.toolgate.sidecar.observe;

import java.util.Locale;

/**
 * Why a request, or a message from the MCP server, was refused before (or instead of) a policy decision: the label of
 * {@code toolgate_refused_total{reason}} and the {@code reason} of the audit line {@code "decision":"refused"}.
 */
public enum RefusalReason {
    /** Content-Type, charset or Content-Encoding the server could read differently from the sidecar. */
    MEDIA_TYPE,
    /** A body that is not strict JSON-RPC (parse error, duplicate keys, byte order mark, bad message shape). */
    MALFORMED,
    /** A body over the per-request limit. */
    TOO_LARGE,
    /** The sidecar's budget for bytes buffered across all in-flight requests was spent. */
    OVERLOADED,
    /** A legacy-transport endpoint or session the sidecar did not hand out, or a session it cannot attribute. */
    SESSION,
    /** A protocol upgrade, CONNECT, or a transfer coding that would let bytes past inspection. */
    PROTOCOL,
    /** A request without a credential that passes, where a verified identity source is configured (HTTP 401). */
    UNAUTHENTICATED,
    /** A server-to-client message that could not be inspected (and so was not relayed). */
    UPSTREAM_MESSAGE,
    /**
     * A {@code tools/call} re-sent in elicit mode whose Toolgate {@code requestState} does not open: changed, expired,
     * issued for another caller, tool, arguments or policy, or used already.
     */
    REQUEST_STATE,
    /** The sidecar failed while deciding; nothing was forwarded (fail closed). */
    INTERNAL_ERROR;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
