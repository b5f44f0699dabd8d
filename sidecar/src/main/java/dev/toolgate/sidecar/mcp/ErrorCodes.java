package dev.toolgate.sidecar.mcp;

import dev.toolgate.policy.Verdict;

/**
 * JSON-RPC error codes the sidecar answers with. Toolgate's own codes sit in -31099..-31000: outside JSON-RPC's reserved
 * -32768..-32000 (which also holds MCP's -32002 and -32042 and the SDKs' -32000/-32001) and clear of any code MCP defines.
 */
public final class ErrorCodes {
    // JSON-RPC 2.0 standard codes, for malformed input.
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** MCP 2026-07-28: the mirrored headers ({@code Mcp-Method}, {@code Mcp-Name}) are malformed or disagree with the body; HTTP 400. */
    public static final int HEADER_MISMATCH = -32020;

    // Toolgate decisions.
    public static final int DENIED = -31001;
    public static final int RATE_LIMITED = -31002;
    public static final int INVALID_ARGUMENTS = -31003;
    public static final int APPROVAL_REQUIRED = -31004;
    /** A batch element that was allowed but not forwarded because another element of the same batch was not. */
    public static final int NOT_FORWARDED = -31005;
    /** The MCP server could not be reached, timed out or broke the connection. */
    public static final int UPSTREAM_UNAVAILABLE = -31010;
    /** The sidecar's bound on buffered request bytes is spent; retry after {@code Retry-After}. */
    public static final int OVERLOADED = -31011;
    /** The MCP server's answer could not be inspected (encoding, charset, malformed, too large), so it was not relayed. */
    public static final int UPSTREAM_MESSAGE_REFUSED = -31012;
    /** The request carries no credential that passes (HTTP 401); nothing was forwarded. */
    public static final int UNAUTHENTICATED = -31013;

    private ErrorCodes() {
    }

    public static int forVerdict(Verdict verdict) {
        return switch (verdict) {
            case DENIED -> DENIED;
            case RATE_LIMITED -> RATE_LIMITED;
            case INVALID_ARGUMENTS -> INVALID_ARGUMENTS;
            case APPROVAL_REQUIRED -> APPROVAL_REQUIRED;
            case ALLOWED -> throw new IllegalArgumentException("an allowed call has no error code");
        };
    }
}
