package dev.toolgate.operator.mcppolicy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.injection.InjectionDecision;
import dev.toolgate.operator.injection.PodMutator;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;

/**
 * How well a policy's pods are protected. Of the pods its podSelector matches, it counts only those it governs: a pod
 * with the sidecar is governed by the policy its {@code toolgate.dev/policy} annotation names (set at injection, and
 * kept until the pod is re-created, even when that policy is gone); a pod without the sidecar by the policy the webhook
 * would inject ({@link InjectionDecision#PRECEDENCE}: the oldest selecting policy, then the lowest name). Selected pods
 * another policy governs are {@code lostPods}, by winner in {@code winningPolicies}. Also which Services reach the MCP
 * port by number on a selected pod without the inbound redirect (so bypassing the sidecar) and which other policies
 * select some of the same pods. Pure.
 *
 * @param protectedPods       governed by this policy, with the sidecar
 * @param unprotectedPods     governed by this policy, without the sidecar (the only ones a restart is for)
 * @param lostPods            selected by this policy but governed by another
 * @param winningPolicies     the policies governing {@code lostPods}, by name, each with the names of the pods it governs
 * @param bypassingServices   Services that target the MCP port by number and select a selected pod without the inbound
 *                            redirect ({@value PodMutator#INIT_CONTAINER}), as name:port
 * @param overlappingPolicies other policies of the namespace selecting some of the selected pods, whoever governs them
 */
public record ProtectionReport(List<Pod> protectedPods, List<Pod> unprotectedPods, List<Pod> lostPods,
        SortedMap<String, List<String>> winningPolicies, List<String> bypassingServices, List<String> overlappingPolicies) {

    public static ProtectionReport of(McpPolicy policy, Collection<Pod> podsInNamespace, Collection<Service> servicesInNamespace,
            Collection<McpPolicy> policiesInNamespace) {
        String name = policy.getMetadata().getName();
        // the cache may hold an older copy of this policy, or (right after creation) none
        List<McpPolicy> policies = new ArrayList<>(policiesInNamespace.stream().filter(p -> !name.equals(p.getMetadata().getName())).toList());
        policies.add(policy);
        List<Pod> selected = podsInNamespace.stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> LabelSelectors.matches(policy.getSpec().getPodSelector(), p.getMetadata().getLabels()))
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        List<Pod> withSidecar = new ArrayList<>();
        List<Pod> withoutSidecar = new ArrayList<>();
        List<Pod> lost = new ArrayList<>();
        SortedMap<String, List<String>> winners = new TreeMap<>();
        for (Pod pod : selected) {
            String governor = governor(pod, policies);
            if (!name.equals(governor)) {
                lost.add(pod);
                winners.computeIfAbsent(governor, g -> new ArrayList<>()).add(pod.getMetadata().getName());
            } else if (hasSidecar(pod)) {
                withSidecar.add(pod);
            } else {
                withoutSidecar.add(pod);
            }
        }

        int upstreamPort = policy.getSpec().getUpstream() == null || policy.getSpec().getUpstream().getPort() == null ? -1
                : policy.getSpec().getUpstream().getPort();
        TreeSet<String> bypassing = new TreeSet<>();
        for (Service service : servicesInNamespace) {
            if (service.getSpec() == null || service.getSpec().getPorts() == null) {
                continue;
            }
            // on a pod with the inbound redirect, a connection to the MCP port by number is redirected to the sidecar
            boolean reachesAnUnredirectedPod = selected.stream()
                    .filter(p -> !hasInboundRedirect(p))
                    .anyMatch(p -> LabelSelectors.serviceSelects(service.getSpec().getSelector(), p.getMetadata().getLabels()));
            if (!reachesAnUnredirectedPod) {
                continue;
            }
            for (ServicePort port : service.getSpec().getPorts()) {
                if (targetsPortNumber(port, upstreamPort)) {
                    bypassing.add(service.getMetadata().getName() + ":" + upstreamPort);
                }
            }
        }

        TreeSet<String> overlapping = new TreeSet<>();
        for (McpPolicy other : policies) {
            if (other.getMetadata().getName().equals(name) || other.getSpec() == null) {
                continue;
            }
            if (selected.stream().anyMatch(p -> LabelSelectors.matches(other.getSpec().getPodSelector(), p.getMetadata().getLabels()))) {
                overlapping.add(other.getMetadata().getName());
            }
        }
        return new ProtectionReport(List.copyOf(withSidecar), List.copyOf(withoutSidecar), List.copyOf(lost),
                Collections.unmodifiableSortedMap(winners), new ArrayList<>(bypassing), new ArrayList<>(overlapping));
    }

    /**
     * The name of the policy governing a pod: the one it was injected with, else the one the webhook would inject now
     * (null when none of {@code policies} selects it).
     */
    static String governor(Pod pod, Collection<McpPolicy> policies) {
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        String injectedWith = annotations == null ? null : annotations.get(ToolgateNames.POLICY_ANNOTATION);
        if (hasSidecar(pod) && injectedWith != null && !injectedWith.isEmpty()) {
            return injectedWith;
        }
        List<McpPolicy> selecting = InjectionDecision.selecting(pod, policies);
        return selecting.isEmpty() ? null : selecting.get(0).getMetadata().getName();
    }

    /** A Service port with targetPort = the number (or no targetPort and port = the number) skips the sidecar's named port. */
    static boolean targetsPortNumber(ServicePort port, int upstreamPort) {
        if (port.getTargetPort() == null) {
            return port.getPort() != null && port.getPort() == upstreamPort;
        }
        return port.getTargetPort().getIntVal() != null && port.getTargetPort().getIntVal() == upstreamPort;
    }

    /** True when the pod has the init container that redirects the MCP port to the sidecar. */
    static boolean hasInboundRedirect(Pod pod) {
        return pod.getSpec() != null && pod.getSpec().getInitContainers() != null && pod.getSpec().getInitContainers().stream()
                .anyMatch(c -> PodMutator.INIT_CONTAINER.equals(c.getName()));
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
