package dev.toolgate.policy;

import java.util.List;

/**
 * One call's share of an acquisition: one unit of each of its counters, counted under its grant, caller and session.
 * A store counts a demand under {@link #scopeKey(Scope)} of each counter's scope; two demands share counts exactly when
 * their keys are equal.
 *
 * @param counters the counters the call needs, each once, bound to the store that acquires them; empty for a call
 *                 decided before its limits
 * @param grant    the name of the grant whose entry decided the call, {@code ""} for the document's own {@code tools}:
 *                 with {@code subject}, the key of {@code grant} scope
 * @param subject  the caller's subject ({@link Caller#subject()}): the key of {@code identity} scope, and of
 *                 {@code session} scope without a session
 * @param session  the MCP session id, or {@code null}: the key of {@code session} scope
 */
public record Demand(List<CounterRef> counters, String grant, String subject, String session) {

    static final Demand NONE = new Demand(List.of(), "", Caller.ANONYMOUS_SUBJECT, null);

    public Demand {
        counters = List.copyOf(counters);
        if (grant == null || subject == null) {
            throw new IllegalArgumentException("grant and subject are required");
        }
    }

    /** A demand of the document's own entries (no grant). */
    public Demand(List<CounterRef> counters, String subject, String session) {
        this(counters, "", subject, session);
    }

    /** Whether a counter of {@code scope} counts this demand per session (and so under {@link #session()}). */
    public boolean keyedBySession(Scope scope) {
        return scope == Scope.SESSION && session != null;
    }

    /**
     * The key this demand counts under in a counter of {@code scope}: {@code ""} for {@code global}, the session for
     * {@code session} with a session ({@link #keyedBySession}), the subject for {@code identity} and for
     * {@code session} without one, and for {@code grant} the grant's name, length-prefixed, followed by the subject
     * (so that no grant and subject pair spells another's key). Keys of session-keyed and other demands are distinct
     * name spaces: a store keeps them apart.
     */
    public String scopeKey(Scope scope) {
        return switch (scope) {
            case GLOBAL -> "";
            case SESSION -> session != null ? session : subject;
            case IDENTITY -> subject;
            case GRANT -> grant.length() + ":" + grant + subject;
        };
    }
}
