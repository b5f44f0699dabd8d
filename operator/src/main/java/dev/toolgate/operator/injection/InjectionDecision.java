package dev.toolgate.operator.injection;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.IdentityValidation;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.ProtectionReport;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * Whether a pod gets the sidecar, and with which policy. When several policies select the pod the oldest wins (then
 * the lowest name), so the answer does not depend on cache order; the others are reported as {@code overruled}.
 * {@link #admit} is what the webhook does with a pod the API server sends it; {@link #ofNewPod} adds the API server's
 * side (which pods it sends at all), so the operator can ask whether a pod created now would be protected.
 * {@code refusal} is the message of a refused pod.
 */
public record InjectionDecision(InjectionReason reason, McpPolicy policy, List<String> overruled, String refusal) {

    /** Which of several policies selecting a pod governs it: the oldest, then the lowest name. */
    public static final Comparator<McpPolicy> PRECEDENCE = Comparator
            .comparing((McpPolicy p) -> p.getMetadata().getCreationTimestamp() == null ? "" : p.getMetadata().getCreationTimestamp())
            .thenComparing(p -> p.getMetadata().getName());

    public boolean inject() {
        return reason == InjectionReason.INJECTED;
    }

    /** The pod is selected by a policy but cannot be protected: admitted without the sidecar, with a warning. */
    public boolean selectedButSkipped() {
        return reason == InjectionReason.HOST_NETWORK;
    }

    public static InjectionDecision decide(Pod pod, Collection<McpPolicy> policiesInNamespace) {
        Map<String, String> annotations = pod.getMetadata() == null || pod.getMetadata().getAnnotations() == null ? Map.of()
                : pod.getMetadata().getAnnotations();
        if ("false".equalsIgnoreCase(annotations.get(ToolgateNames.INJECT_ANNOTATION))) {
            return skip(InjectionReason.OPTED_OUT);
        }
        if (ProtectionReport.hasSidecar(pod)) {
            return skip(InjectionReason.ALREADY_INJECTED);
        }
        List<McpPolicy> selecting = selecting(pod, policiesInNamespace);
        if (selecting.isEmpty()) {
            return skip(InjectionReason.NO_MATCHING_POLICY);
        }
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return new InjectionDecision(InjectionReason.HOST_NETWORK, selecting.get(0), List.of(), null);
        }
        return new InjectionDecision(InjectionReason.INJECTED, selecting.get(0),
                selecting.subList(1, selecting.size()).stream().map(p -> p.getMetadata().getName()).toList(), null);
    }

    /** The policies whose podSelector matches the pod's labels, in {@link #PRECEDENCE} order: the first would be injected. */
    public static List<McpPolicy> selecting(Pod pod, Collection<McpPolicy> policiesInNamespace) {
        Map<String, String> labels = pod.getMetadata() == null ? Map.of() : pod.getMetadata().getLabels();
        return policiesInNamespace.stream()
                .filter(p -> p.getSpec() != null && LabelSelectors.matches(p.getSpec().getPodSelector(), labels))
                .sorted(PRECEDENCE)
                .toList();
    }

    /** {@link #decide}, then the refusals: the chosen policy's identity is invalid, or a container holds a port the sidecar needs. */
    public static InjectionDecision admit(Pod pod, Collection<McpPolicy> policiesInNamespace, SidecarSettings settings) {
        InjectionDecision decision = decide(pod, policiesInNamespace);
        if (!decision.inject()) {
            return decision;
        }
        String policyName = decision.policy().getMetadata().getName();
        List<String> identityErrors = IdentityValidation.errors(decision.policy().getSpec().getIdentity());
        if (!identityErrors.isEmpty()) {
            return new InjectionDecision(InjectionReason.INVALID_IDENTITY, decision.policy(), List.of(), "toolgate: McpPolicy " + policyName
                    + " selects this pod but its identity configuration is invalid, so the pod is refused: " + String.join("; ", identityErrors));
        }
        String clash = PodMutator.portClash(pod, decision.policy(), settings);
        if (clash != null) {
            return new InjectionDecision(InjectionReason.PORT_CLASH, decision.policy(), List.of(), clash);
        }
        return decision;
    }

    /**
     * What would happen to a pod like {@code pod} (same labels, annotations and spec) if it were created now in a namespace
     * with {@code namespaceLabels}: first whether the API server sends it to the webhook at all, then {@link #admit}.
     */
    public static InjectionDecision ofNewPod(InjectionScope scope, Map<String, String> namespaceLabels, Pod pod,
            Collection<McpPolicy> policiesInNamespace, SidecarSettings settings) {
        InjectionReason outOfScope = scope.excludes(namespaceLabels, pod.getMetadata() == null ? Map.of() : pod.getMetadata().getLabels());
        return outOfScope != null ? skip(outOfScope) : admit(pod, policiesInNamespace, settings);
    }

    public static InjectionDecision skip(InjectionReason reason) {
        return new InjectionDecision(reason, null, List.of(), null);
    }
}
