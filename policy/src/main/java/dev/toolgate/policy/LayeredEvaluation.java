package dev.toolgate.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@link Evaluation} of a document with baselines: every layer evaluates every call, the store is asked for every
 * layer's counters at once (all or nothing), and each call's decision is the layers' combined one:
 * <ol>
 * <li>an enforced refusal by any layer refuses the call; among several, a denial wins over invalid arguments, which
 * win over approval required, which wins over rate limited; between equals, the first layer (baselines in document
 * order, then the document's own);</li>
 * <li>otherwise a refusal in audit mode by any layer is reported, chosen the same way (the call goes ahead);</li>
 * <li>otherwise the document's own decision: the call is allowed.</li>
 * </ol>
 * So a layer can only tighten: a deny anywhere wins, and every layer's limits count, so the strictest binds. A
 * baseline's decision names it: its rule is {@code source:path} and its reason ends with {@code (baseline source)}.
 */
final class LayeredEvaluation extends Evaluation {

    private final List<DocumentEvaluation> layers;
    /** Per layer: the baseline's source, or null for the document's own (the last layer). */
    private final List<String> sources;
    private final int calls;
    private final List<Demand> demands;
    private final List<Demand> shadowDemands;
    private final boolean mayConsume;

    LayeredEvaluation(List<DocumentEvaluation> layers, List<String> sources, int calls) {
        this.layers = List.copyOf(layers);
        this.sources = Collections.unmodifiableList(new ArrayList<>(sources));
        this.calls = calls;
        List<Demand> all = new ArrayList<>(layers.size() * calls);
        List<Demand> shadow = new ArrayList<>(layers.size() * calls);
        boolean anyShadow = false;
        boolean consume = true;
        for (DocumentEvaluation layer : layers) {
            all.addAll(layer.demands());
            shadow.addAll(layer.shadowDemands());
            anyShadow |= layer.hasShadowDemands();
            consume &= layer.mayConsume();
        }
        this.demands = List.copyOf(all);
        this.shadowDemands = anyShadow ? List.copyOf(shadow) : null;
        this.mayConsume = consume;
    }

    @Override
    public boolean hasShadowDemands() {
        return shadowDemands != null;
    }

    @Override
    public List<Demand> shadowDemands() {
        return shadowDemands != null ? shadowDemands : Collections.nCopies(demands.size(), Demand.NONE);
    }

    @Override
    public boolean shadowMayConsume(List<Admission> admissions) {
        checkSize(admissions, "admissions");
        for (int l = 0; l < layers.size(); l++) {
            if (!layers.get(l).shadowMayConsume(slice(admissions, l))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public List<Demand> demands() {
        return demands;
    }

    @Override
    public boolean mayConsume() {
        return mayConsume;
    }

    @Override
    public List<Decision> complete(List<Admission> admissions, List<Admission> shadowAdmissions) {
        checkSize(admissions, "admissions");
        if (shadowDemands != null) {
            checkSize(shadowAdmissions, "shadow admissions");
        }
        List<List<Decision>> byLayer = new ArrayList<>(layers.size());
        for (int l = 0; l < layers.size(); l++) {
            DocumentEvaluation layer = layers.get(l);
            byLayer.add(layer.complete(slice(admissions, l), layer.hasShadowDemands() ? slice(shadowAdmissions, l) : null));
        }
        Decision[] decisions = new Decision[calls];
        Decision[] ofCall = new Decision[layers.size()];
        for (int i = 0; i < calls; i++) {
            for (int l = 0; l < ofCall.length; l++) {
                ofCall[l] = byLayer.get(l).get(i);
            }
            decisions[i] = combine(ofCall);
        }
        return List.of(decisions);
    }

    /** One call's decision from its layers' decisions (in layer order, the document's own last). */
    private Decision combine(Decision[] ofCall) {
        int chosen = strongestRefusal(ofCall, true);
        if (chosen < 0) {
            chosen = strongestRefusal(ofCall, false);
        }
        if (chosen < 0) {
            return ofCall[ofCall.length - 1];
        }
        Decision d = ofCall[chosen];
        long retryAfter = d.retryAfterSeconds();
        if (d.verdict() == Verdict.RATE_LIMITED) {
            // the call can succeed only once every layer's counter has room: the latest of their retry-afters
            for (Decision other : ofCall) {
                if (other.verdict() == Verdict.RATE_LIMITED && other.enforced() == d.enforced()) {
                    retryAfter = Math.max(retryAfter, other.retryAfterSeconds());
                }
            }
        }
        String source = sources.get(chosen);
        if (source == null) {
            return retryAfter == d.retryAfterSeconds() ? d : new Decision(d.verdict(), d.tool(), d.rule(), d.reason(), d.counter(), retryAfter,
                    d.grant(), d.approval(), d.enforced());
        }
        return new Decision(d.verdict(), d.tool(), source + ":" + d.rule(), d.reason() + " (baseline " + source + ")", d.counter(), retryAfter,
                d.grant(), d.approval(), d.enforced());
    }

    /** The index of the strongest refusal with this enforcement, the first layer's among equals; -1 when there is none. */
    private static int strongestRefusal(Decision[] ofCall, boolean enforced) {
        int best = -1;
        for (int l = 0; l < ofCall.length; l++) {
            Decision d = ofCall[l];
            if (d.verdict() == Verdict.ALLOWED || d.enforced() != enforced) {
                continue;
            }
            if (best < 0 || rank(d.verdict()) < rank(ofCall[best].verdict())) {
                best = l;
            }
        }
        return best;
    }

    private static int rank(Verdict verdict) {
        return switch (verdict) {
            case DENIED -> 0;
            case INVALID_ARGUMENTS -> 1;
            case APPROVAL_REQUIRED -> 2;
            case RATE_LIMITED -> 3;
            case ALLOWED -> 4;
        };
    }

    private List<Admission> slice(List<Admission> all, int layer) {
        return all.subList(layer * calls, (layer + 1) * calls);
    }

    private void checkSize(List<Admission> admissions, String what) {
        if (admissions == null || admissions.size() != demands.size()) {
            throw new IllegalArgumentException("expected " + demands.size() + " " + what + ", one per demand (" + layers.size()
                    + " layers of " + calls + " calls), got " + (admissions == null ? "null" : admissions.size()));
        }
    }
}
