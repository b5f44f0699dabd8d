package dev.toolgate.policy;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The {@link Evaluation} of one document's own rules (no baselines): each call's decision where steps 1–5 made it final,
 * and one demand per call on the counters of the others. Calls decided in audit mode count in shadow counters, acquired
 * apart after the enforced ones: a shadow call that would be rate limited never holds back an enforced call, and the
 * shadow counters record a request only when it is forwarded and every shadow call of it fits, as enforcement would
 * have recorded it.
 */
final class DocumentEvaluation extends Evaluation {

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

    DocumentEvaluation(String[] tools, Policy.CompiledEntry[] entries, Policy.Limits[] limits, Decision[] decided, List<Demand> demands,
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

    /** Whether some call decided in audit mode needs shadow counters: then {@link #complete(List, List)} decides. */
    @Override
    public boolean hasShadowDemands() {
        return shadowDemands != null;
    }

    /** One demand per call on shadow counters, in call order; empty for calls decided otherwise (all, without any). */
    @Override
    public List<Demand> shadowDemands() {
        return shadowDemands != null ? shadowDemands : java.util.Collections.nCopies(demands.size(), Demand.NONE);
    }

    /**
     * Whether the store may record the shadow demands, given its answer to {@link #demands()}: only when the request
     * is forwarded (every enforced call admitted) and no call was refused before its limits, as enforcement would.
     */
    @Override
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
    @Override
    public List<Demand> demands() {
        return demands;
    }

    /**
     * Whether the store may record the demands: true unless a call was refused before its limits, in which case the
     * request is refused as a whole and its limits are only checked, for each call's would-be verdict.
     */
    @Override
    public boolean mayConsume() {
        return mayConsume;
    }

    /**
     * The decisions given the store's answers to {@link #demands()} and to {@link #shadowDemands()}; as
     * {@link #complete(List)}, a call in audit mode taking its answer from {@code shadowAdmissions}.
     *
     * @throws IllegalArgumentException when there is not one admission per demand in either list
     */
    @Override
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
