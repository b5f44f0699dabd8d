package dev.toolgate.policy;

import java.util.Set;

/**
 * A compiled policy: immutable, thread-safe, decides calls without taking locks on the hot path. CONTRACT STUB.
 */
public final class Policy {

    private Policy() {
    }

    /** Compiles a validated document; its limits count in {@code limiter}. */
    public static Policy compile(PolicyDocument document, RateLimiter limiter) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Convenience: parse, then compile. */
    public static Policy load(String json, RateLimiter limiter) throws PolicyException {
        return compile(PolicyDocument.parse(json), limiter);
    }

    /** Decides a call now (wall clock). */
    public Decision decide(ToolCall call) {
        return decide(call, System.currentTimeMillis());
    }

    /** Decides a call at the given time (epoch milliseconds); times must be supplied non-decreasing per counter for exact results. */
    public Decision decide(ToolCall call, long nowMillis) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The document's {@code hide_denied_tools}. */
    public boolean hideDeniedTools() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** True when this caller could never call {@code tool} (entry action deny, an always-matching deny_if, or no entry under default deny). */
    public boolean neverCallable(String tool) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** The exact (non-glob) tool names the policy names; the sidecar uses them to bound metric labels. */
    public Set<String> exactToolNames() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public PolicyDocument document() {
        throw new UnsupportedOperationException("not implemented yet");
    }

    /** Same as {@code document().hash()}. */
    public String hash() {
        return document().hash();
    }
}
