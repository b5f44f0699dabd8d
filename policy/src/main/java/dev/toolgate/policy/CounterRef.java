package dev.toolgate.policy;

/**
 * A counter definition bound to one {@link CounterStore}'s state for it ({@link CounterStore#bind}); opaque to everyone
 * but that store, which rejects handles of other stores.
 */
public interface CounterRef {
}
