package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.baseline.Baselines;
import dev.toolgate.policy.PolicyError;

import java.util.ArrayList;
import java.util.List;

import dev.toolgate.policy.PolicyDocument;
import dev.toolgate.policy.PolicyException;
import dev.toolgate.policy.PolicySpec;

/**
 * Everything wrong with an McpPolicy's spec that can be known from the spec alone, each problem as
 * {@code "<spec path>: <message>"} in the resource's own spelling: fields no schema object knows ({@link UnknownFields}), the engine's validation of the rendered document and
 * the identity rules (the rest is {@link PolicySpec}'s, which the offline checker runs too). Pure; the reconciler reports
 * the problems in status, the admission webhook refuses with them.
 */
public final class PolicyValidation {

    /** The validated document, or {@code null} with the problems that keep it from being accepted (never both empty). */
    public record Result(PolicyDocument document, List<String> problems) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    private PolicyValidation() {
    }

    public static Result validate(McpPolicySpec spec) {
        if (spec == null) {
            return new Result(null, List.of("spec: required"));
        }
        List<String> problems = new ArrayList<>(UnknownFields.of(spec));
        problems.addAll(IdentityValidation.errors(spec.getIdentity()));
        PolicyDocument document = null;
        try {
            document = PolicySpec.parse(PolicyDocumentRenderer.specJson(spec));
        } catch (PolicyException e) {
            e.errors().forEach(error -> problems.add(error.toString()));
        }
        return problems.isEmpty() ? new Result(document, List.of()) : new Result(null, List.copyOf(problems));
    }

    /**
     * {@link #validate(McpPolicySpec)}, layered under {@code baselines} (in the order they are combined): the document
     * the sidecars read carries them ({@code baselines}) and its hash covers them. A baseline that is not valid keeps
     * the policy from being accepted (its last accepted ConfigMap stays in effect): layering must never loosen a policy
     * because a stricter layer is broken.
     */
    public static Result validate(McpPolicySpec spec, List<Baselines.Applicable> baselines) {
        Result own = validate(spec);
        if (baselines.isEmpty()) {
            return own;
        }
        List<String> problems = new ArrayList<>(own.problems());
        for (Baselines.Applicable baseline : baselines) {
            if (!baseline.validation().valid()) {
                problems.add("baseline " + baseline.source() + " is not valid, so no policy layered under it is accepted until it is fixed: "
                        + String.join("; ", baseline.validation().problems()));
            }
        }
        if (!problems.isEmpty()) {
            return new Result(null, List.copyOf(problems));
        }
        ObjectNode tree = (ObjectNode) own.document().toJson();
        ArrayNode layers = tree.putArray("baselines");
        for (Baselines.Applicable baseline : baselines) {
            layers.addObject().put("source", baseline.source()).set("policy", baseline.validation().document().toJson());
        }
        try {
            return new Result(PolicyDocument.parse(tree), List.of());
        } catch (PolicyException e) {
            return new Result(null, e.errors().stream().map(PolicyError::toString).toList());
        }
    }
}
