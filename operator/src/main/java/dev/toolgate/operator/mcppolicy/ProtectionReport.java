package dev.toolgate.operator.mcppolicy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;

/**
 * How well a policy's pods are protected: which selected pods run without the sidecar, which Services reach the
 * MCP port by number (bypassing the sidecar), which other policies select the same pods. Pure.
 */
public record ProtectionReport(List<Pod> protectedPods, List<Pod> unprotectedPods, List<String> bypassingServices,
        List<String> overlappingPolicies) {

    public static ProtectionReport of(McpPolicy policy, Collection<Pod> podsInNamespace, Collection<Service> servicesInNamespace,
            Collection<McpPolicy> policiesInNamespace) {
        List<Pod> selected = podsInNamespace.stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> LabelSelectors.matches(policy.getSpec().getPodSelector(), p.getMetadata().getLabels()))
                .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        List<Pod> withSidecar = selected.stream().filter(ProtectionReport::hasSidecar).toList();
        List<Pod> withoutSidecar = selected.stream().filter(p -> !hasSidecar(p)).toList();

        int upstreamPort = policy.getSpec().getUpstream() == null || policy.getSpec().getUpstream().getPort() == null ? -1
                : policy.getSpec().getUpstream().getPort();
        TreeSet<String> bypassing = new TreeSet<>();
        for (Service service : servicesInNamespace) {
            if (service.getSpec() == null || service.getSpec().getPorts() == null) {
                continue;
            }
            boolean selectsOurPods = selected.stream()
                    .anyMatch(p -> LabelSelectors.serviceSelects(service.getSpec().getSelector(), p.getMetadata().getLabels()));
            if (!selectsOurPods) {
                continue;
            }
            for (ServicePort port : service.getSpec().getPorts()) {
                if (targetsPortNumber(port, upstreamPort)) {
                    bypassing.add(service.getMetadata().getName() + ":" + upstreamPort);
                }
            }
        }

        TreeSet<String> overlapping = new TreeSet<>();
        for (McpPolicy other : policiesInNamespace) {
            if (other.getMetadata().getName().equals(policy.getMetadata().getName()) || other.getSpec() == null) {
                continue;
            }
            if (selected.stream().anyMatch(p -> LabelSelectors.matches(other.getSpec().getPodSelector(), p.getMetadata().getLabels()))) {
                overlapping.add(other.getMetadata().getName());
            }
        }
        return new ProtectionReport(withSidecar, withoutSidecar, new ArrayList<>(bypassing), new ArrayList<>(overlapping));
    }

    /** A Service port with targetPort = the number (or no targetPort and port = the number) skips the sidecar's named port. */
    static boolean targetsPortNumber(ServicePort port, int upstreamPort) {
        if (port.getTargetPort() == null) {
            return port.getPort() != null && port.getPort() == upstreamPort;
        }
        return port.getTargetPort().getIntVal() != null && port.getTargetPort().getIntVal() == upstreamPort;
    }

    public static boolean hasSidecar(Pod pod) {
        if (pod.getSpec() == null) {
            return false;
        }
        return named(pod.getSpec().getContainers()) || named(pod.getSpec().getInitContainers());
    }

    private static boolean named(List<Container> containers) {
        return containers != null && containers.stream().anyMatch(c -> ToolgateNames.SIDECAR_CONTAINER.equals(c.getName()));
    }
}
