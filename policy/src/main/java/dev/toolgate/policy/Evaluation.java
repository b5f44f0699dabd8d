package dev.toolgate.policy;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Steps 1–5 of one request's calls ({@link Policy#evaluate}): each call's decision where it is already final, and what
 * the others need from the {@link CounterStore}. Immutable; {@link #complete} turns the store's answer into decisions.
 *
 * <p>Calls decided in audit mode count in shadow counters, acquired apart ({@link #shadowDemands()}) after the enforced
 * ones; {@link #decide} does both acquisitions. A document with baselines asks the store for every layer's counters in
 * one acquisition, all or nothing: a call refused by one layer consumes nothing in any other.
 */
public abstract sealed class Evaluation permits DocumentEvaluation, LayeredEvaluation {

    Evaluation() {
    }

    /**
     * Decides the calls with {@code store} (the policy's): the enforced demands first, then, when there are any, the
     * shadow demands. Completes with the store's stages; same decisions as {@link Policy#decideAll(List, long)}.
     */
    public final CompletionStage<List<Decision>> decide(CounterStore store, long nowMillis) {
        CompletionStage<List<Admission>> enforced = store.acquire(demands(), nowMillis, mayConsume());
        if (!hasShadowDemands()) {
            return enforced.thenApply(this::complete);
        }
        return enforced.thenCompose(admissions -> store.acquire(shadowDemands(), nowMillis, shadowMayConsume(admissions))
                .thenApply(shadow -> complete(admissions, shadow)));
    }

    /** Whether some call decided in audit mode needs shadow counters: then {@link #complete(List, List)} decides. */
    public abstract boolean hasShadowDemands();

    /** The demands on shadow counters, in the order of {@link #demands()}; without counters where a call has none. */
    public abstract List<Demand> shadowDemands();

    /**
     * Whether the store may record the shadow demands, given its answer to {@link #demands()}: only when the request
     * is forwarded (every enforced call admitted) and no call was refused before its limits, as enforcement would.
     */
    public abstract boolean shadowMayConsume(List<Admission> admissions);

    /**
     * What the calls need from the store: one demand per call, in call order (a call already decided has a demand
     * without counters); with baselines, one such list per layer, one after the other (baselines first, in document
     * order, then the document's own).
     */
    public abstract List<Demand> demands();

    /**
     * Whether the store may record the demands: true unless a call was refused before its limits, in which case the
     * request is refused as a whole and its limits are only checked, for each call's would-be verdict.
     */
    public abstract boolean mayConsume();

    /**
     * The decisions, in call order, given the store's answer to {@link #demands()}: a call decided by steps 1–5 keeps
     * that decision, an admitted one is allowed, a refused one is {@link Verdict#RATE_LIMITED} with the refusing limit as
     * its rule. The answer for a demand without counters is not consulted.
     *
     * @throws IllegalArgumentException when there is not one admission per demand
     * @throws IllegalStateException    when some call needs shadow counters ({@link #hasShadowDemands()})
     */
    public final List<Decision> complete(List<Admission> admissions) {
        if (hasShadowDemands()) {
            throw new IllegalStateException("calls in audit mode need shadow counters: use complete(admissions, shadowAdmissions) or decide");
        }
        return complete(admissions, null);
    }

    /**
     * The decisions given the store's answers to {@link #demands()} and to {@link #shadowDemands()}; as
     * {@link #complete(List)}, a call in audit mode taking its answer from {@code shadowAdmissions}.
     *
     * @throws IllegalArgumentException when there is not one admission per demand in either list
     */
    public abstract List<Decision> complete(List<Admission> admissions, List<Admission> shadowAdmissions);
}
