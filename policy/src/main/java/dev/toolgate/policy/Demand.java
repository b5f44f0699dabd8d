package dev.toolgate.policy;

import java.util.List;

/**
 * One call's share of an acquisition: one unit of each of its counters, counted under its caller and session.
 *
 * @param counters the counters the call needs, each once, bound to the store that acquires them; empty for a call
 *                 decided before its limits
 * @param subject  the caller's subject ({@link Caller#subject()}): the key of {@code identity} and {@code grant} scope,
 *                 and of {@code session} scope without a session
 * @param session  the MCP session id, or {@code null}: the key of {@code session} scope
 */
public record Demand(List<CounterRef> counters, String subject, String session) {

    static final Demand NONE = new Demand(List.of(), Caller.ANONYMOUS_SUBJECT, null);

    public Demand {
        counters = List.copyOf(counters);
        if (subject == null) {
            throw new IllegalArgumentException("subject is required");
        }
    }
}
