package dev.toolgate.sidecar.caller;

import dev.toolgate.policy.Caller;

/** What {@link CallerResolver#resolve} found: a caller, or an answer of HTTP 401 without forwarding anything. */
public sealed interface Resolution {

    /** The request may be decided, as {@code caller}. */
    record Identified(Caller caller) implements Resolution {
        public Identified {
            if (caller == null) {
                throw new IllegalArgumentException("caller is required");
            }
        }
    }

    /**
     * The request carries no credential that passes: it is answered 401 with a {@code WWW-Authenticate: Bearer}
     * challenge (RFC 6750 §3) and never reaches the server.
     *
     * @param error       the RFC 6750 error code: {@code null} when the request carries no credential at all,
     *                    {@code invalid_request} (e.g. two {@code Authorization} headers, a token in the query string) or
     *                    {@code invalid_token} (bad signature, expired, wrong issuer or audience, ...)
     * @param description for the challenge's {@code error_description} and the audit line: what is wrong, naming no secret
     */
    record Unauthenticated(String error, String description) implements Resolution {
    }
}
