package dev.toolgate.policy;

import java.util.List;

/**
 * Steps 1–5 of one request's calls ({@link Policy#evaluate}): each call's decision where it is already final, and what
 * the others need from the {@link CounterStore}. Immutable; {@link #complete} turns the store's answer into decisions.
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

    Evaluation(String[] tools, Policy.CompiledEntry[] entries, Policy.Limits[] limits, Decision[] decided, List<Demand> demands,
            boolean mayConsume) {
        this.tools = tools;
        this.entries = entries;
        this.limits = limits;
        this.decided = decided;
        this.demands = demands;
        this.mayConsume = mayConsume;
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
     */
    public List<Decision> complete(List<Admission> admissions) {
        if (admissions == null || admissions.size() != demands.size()) {
            throw new IllegalArgumentException("expected " + demands.size() + " admissions, one per demand, got "
                    + (admissions == null ? "null" : admissions.size()));
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
            decisions[i] = limits[i].isEmpty() || admission.isAdmitted() ? Policy.allowed(tools[i], entries[i])
                    : Policy.rateLimited(tools[i], entries[i], limits[i], admission);
        }
        return List.of(decisions);
    }
}
