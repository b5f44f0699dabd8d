package dev.toolgate.policy;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Steps 1–5 of one request's calls ({@link Policy#evaluate}): each call's decision where it is already final, and what
 * the others need from the {@link CounterStore}. Immutable; {@link #complete} turns the store's answer into decisions.
 *
 * <p>Calls decided in audit mode count in shadow counters, acquired apart ({@link #shadowDemands()}) after the enforced
 * ones: a shadow call that would be rate limited never holds back an enforced call, and the shadow counters record a
 * request only when it is forwarded and every shadow call of it fits, as enforcement would have recorded it.
 * {@link #decide} does both acquisitions.
 */
public final class Evaluation {

    private final String[] tools;
    private final Policy.CompiledEntry[] entries;
    /** Per call: the limits of step 6, whose counters its demand holds. */
    private final Policy.Limits[] limits;
    /** Per call: its final decision from steps 1–5, or null when step 6 decides. */
    private final Decision[] decided;
    private final List<Demand> demands;
    private final boolean mayConsume;
    /** Per call: its demand on shadow counters (audit mode); null when no call has any. */
    private final List<Demand> shadowDemands;
    /** No call at all was refused before its limits, in either mode. */
    private final boolean noneRefusedBeforeLimits;
    /** The document's own enforcement is audit (for calls its default decides). */
    private final boolean documentAudit;

    Evaluation(String[] tools, Policy.CompiledEntry[] entries, Policy.Limits[] limits, Decision[] decided, List<Demand> demands,
            boolean mayConsume, List<Demand> shadowDemands, boolean noneRefusedBeforeLimits, boolean documentAudit) {
        this.tools = tools;
        this.entries = entries;
        this.limits = limits;
        this.decided = decided;
        this.demands = demands;
        this.mayConsume = mayConsume;
        this.shadowDemands = shadowDemands;
        this.noneRefusedBeforeLimits = noneRefusedBeforeLimits;
        this.documentAudit = documentAudit;
    }

    /**
     * Decides the calls with {@code store} (the policy's): the enforced demands first, then, when there are any, the
     * shadow demands. Completes with the store's stages; same decisions as {@link Policy#decideAll(List, long)}.
     */
    public CompletionStage<List<Decision>> decide(CounterStore store, long nowMillis) {
        CompletionStage<List<Admission>> enforced = store.acquire(demands, nowMillis, mayConsume);
        if (shadowDemands == null) {
            return enforced.thenApply(this::complete);
        }
        return enforced.thenCompose(admissions -> store.acquire(shadowDemands, nowMillis, shadowMayConsume(admissions))
                .thenApply(shadow -> complete(admissions, shadow)));
    }

    /** Whether some call decided in audit mode needs shadow counters: then {@link #complete(List, List)} decides. */
    public boolean hasShadowDemands() {
        return shadowDemands != null;
    }

    /** One demand per call on shadow counters, in call order; empty for calls decided otherwise (all, without any). */
    public List<Demand> shadowDemands() {
        return shadowDemands != null ? shadowDemands : java.util.Collections.nCopies(demands.size(), Demand.NONE);
    }

    /**
     * Whether the store may record the shadow demands, given its answer to {@link #demands()}: only when the request
     * is forwarded (every enforced call admitted) and no call was refused before its limits, as enforcement would.
     */
    public boolean shadowMayConsume(List<Admission> admissions) {
        if (!noneRefusedBeforeLimits || !mayConsume) {
            return false;
        }
        for (int i = 0; i < demands.size(); i++) {
            if (!demands.get(i).counters().isEmpty() && (admissions.get(i) == null || !admissions.get(i).isAdmitted())) {
                return false;
            }
        }
        return true;
    }

    /** One demand per call, in call order; a call already decided has a demand without counters. */
    public List<Demand> demands() {
        return demands;
    }

    /**
     * Whether the store may record the demands: true unless a call was refused before its limits, in which case the
     * request is refused as a whole and its limits are only checked, for each call's would-be verdict.
     */
    public boolean mayConsume() {
        return mayConsume;
    }

    /**
     * The decisions, in call order, given the store's answer to {@link #demands()}: a call decided by steps 1–5 keeps
     * that decision, an admitted one is allowed, a refused one is {@link Verdict#RATE_LIMITED} with the refusing limit as
     * its rule. The answer for a demand without counters is not consulted.
     *
     * @throws IllegalArgumentException when there is not one admission per demand
     * @throws IllegalStateException    when some call needs shadow counters ({@link #hasShadowDemands()})
     */
    public List<Decision> complete(List<Admission> admissions) {
        if (shadowDemands != null) {
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
    public List<Decision> complete(List<Admission> admissions, List<Admission> shadowAdmissions) {
        if (admissions == null || admissions.size() != demands.size()) {
            throw new IllegalArgumentException("expected " + demands.size() + " admissions, one per demand, got "
                    + (admissions == null ? "null" : admissions.size()));
        }
        if (shadowDemands != null && (shadowAdmissions == null || shadowAdmissions.size() != demands.size())) {
            throw new IllegalArgumentException("expected " + demands.size() + " shadow admissions, one per demand, got "
                    + (shadowAdmissions == null ? "null" : shadowAdmissions.size()));
        }
        Decision[] decisions = new Decision[decided.length];
        for (int i = 0; i < decisions.length; i++) {
            if (decided[i] != null) {
                decisions[i] = decided[i];
                continue;
            }
            Admission admission = admissions.get(i);
            if (admission == null) {
                throw new IllegalArgumentException("admissions[" + i + "] is null");
            }
            if (limits[i].isEmpty()) {
                decisions[i] = Policy.allowed(tools[i], entries[i], documentAudit);
                continue;
            }
            if (limits[i].shadow()) {
                admission = shadowAdmissions.get(i);
                if (admission == null) {
                    throw new IllegalArgumentException("shadowAdmissions[" + i + "] is null");
                }
            }
            decisions[i] = admission.isAdmitted() ? Policy.allowed(tools[i], entries[i], documentAudit)
                    : Policy.rateLimited(tools[i], entries[i], limits[i], admission);
        }
        return List.of(decisions);
    }
}
