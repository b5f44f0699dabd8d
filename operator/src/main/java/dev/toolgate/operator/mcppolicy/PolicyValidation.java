package dev.toolgate.operator.mcppolicy;

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
}
