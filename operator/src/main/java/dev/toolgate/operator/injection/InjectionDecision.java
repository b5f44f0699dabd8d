package dev.toolgate.operator.injection;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.ProtectionReport;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * Whether a pod gets the sidecar, and with which policy. When several policies select the pod the oldest wins (then
 * the lowest name), so the answer does not depend on cache order; the others are reported as {@code overruled}.
 */
public record InjectionDecision(InjectionReason reason, McpPolicy policy, List<String> overruled) {

    static final Comparator<McpPolicy> PRECEDENCE = Comparator
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
        Map<String, String> labels = pod.getMetadata() == null ? Map.of() : pod.getMetadata().getLabels();
        List<McpPolicy> selecting = policiesInNamespace.stream()
                .filter(p -> p.getSpec() != null && LabelSelectors.matches(p.getSpec().getPodSelector(), labels))
                .sorted(PRECEDENCE)
                .toList();
        if (selecting.isEmpty()) {
            return skip(InjectionReason.NO_MATCHING_POLICY);
        }
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return new InjectionDecision(InjectionReason.HOST_NETWORK, selecting.get(0), List.of());
        }
        return new InjectionDecision(InjectionReason.INJECTED, selecting.get(0),
                selecting.subList(1, selecting.size()).stream().map(p -> p.getMetadata().getName()).toList());
    }

    public static InjectionDecision skip(InjectionReason reason) {
        return new InjectionDecision(reason, null, List.of());
    }
}
