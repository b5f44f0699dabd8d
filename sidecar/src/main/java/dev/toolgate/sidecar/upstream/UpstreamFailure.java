package dev.toolgate.sidecar.upstream;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * Why the MCP server gave no complete answer, classified by the failure's type (its cause chain), never by its message.
 * The kind is the {@code kind} label of {@code toolgate_upstream_errors_total} and decides the HTTP status the client gets.
 */
public record UpstreamFailure(Kind kind, String detail) {

    public enum Kind {
        /** The connection could not be opened (refused, unreachable, or its connect timeout passed). */
        CONNECT("connect"),
        /** The server sent nothing for the idle timeout. */
        TIMEOUT("timeout"),
        /** The connection broke off, or anything else. */
        RESET("reset");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public static UpstreamFailure of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ConnectException) {
                return new UpstreamFailure(Kind.CONNECT, String.valueOf(failure.getMessage()));
            }
            if (t instanceof TimeoutException || t instanceof io.netty.handler.timeout.TimeoutException) {
                return new UpstreamFailure(Kind.TIMEOUT, String.valueOf(failure.getMessage()));
            }
        }
        return new UpstreamFailure(Kind.RESET, String.valueOf(failure.getMessage()));
    }

    /** 504 when the server timed out, 502 otherwise. */
    public int httpStatus() {
        return kind == Kind.TIMEOUT ? 504 : 502;
    }
}
