package dev.toolgate.policy;

import java.util.Set;

/**
 * Who makes a call, and how that was established. Counters of {@code identity}, {@code grant} and (for calls without a
 * session) {@code session} scope count per {@link #subject()}.
 *
 * @param subject the caller's name; {@code "anonymous"} for a caller nobody identified
 * @param groups  groups the caller belongs to, as its credential states them; empty when it states none
 * @param source  how the subject was established, so a decision can tell a claim from a verified identity
 */
public record Caller(String subject, Set<String> groups, Source source) {

    /** How a caller's subject was established. */
    public enum Source {
        /** Nothing identified the caller. */
        ANONYMOUS,
        /** A request header named it; nothing verified it. */
        HEADER,
        /** A verified JSON Web Token. */
        JWT,
        /** A verified Kubernetes service account. */
        SERVICE_ACCOUNT
    }

    static final String ANONYMOUS_SUBJECT = "anonymous";
    private static final Caller ANONYMOUS = new Caller(ANONYMOUS_SUBJECT, Set.of(), Source.ANONYMOUS);

    public Caller {
        if (subject == null || source == null) {
            throw new IllegalArgumentException("subject and source are required");
        }
        groups = groups == null ? Set.of() : Set.copyOf(groups);
    }

    /** The caller nobody identified. */
    public static Caller anonymous() {
        return ANONYMOUS;
    }

    /** The caller an identity header names; {@code null} (no header) is {@link #anonymous()}. */
    public static Caller fromHeader(String identity) {
        return identity == null ? ANONYMOUS : new Caller(identity, Set.of(), Source.HEADER);
    }
}
