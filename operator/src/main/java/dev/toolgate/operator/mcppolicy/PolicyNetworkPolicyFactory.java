package dev.toolgate.operator.mcppolicy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.injection.PodMutator;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;

/**
 * The NetworkPolicy an McpPolicy owns: its podSelector's pods take ingress from anywhere, but only on the ports their
 * containers declare (the sidecar's proxy and management ports among them) and never on the MCP port. So where the
 * cluster's CNI enforces NetworkPolicy, the MCP server cannot be reached on the pod IP, with or without the inbound
 * redirect, and neither can a port no container declares. Egress is left alone. Pure.
 */
public final class PolicyNetworkPolicyFactory {

    /** A declared port: protocol (TCP, UDP or SCTP) and number. */
    record Port(String protocol, int number) {
    }

    private PolicyNetworkPolicyFactory() {
    }

    /**
     * @param governedPods the selected pods this policy governs (with or without the sidecar; pods another policy governs
     *                     are that policy's)
     * @param proxyPort    the sidecar's proxy port as the operator configures it (moved as the webhook moves it,
     *                     {@link PodMutator#proxyPort})
     */
    public static NetworkPolicy create(McpPolicy policy, Collection<Pod> governedPods, int proxyPort) {
        int upstreamPort = policy.getSpec().getUpstream().getPort();
        List<NetworkPolicyPort> ports = allowedPorts(governedPods, upstreamPort, PodMutator.proxyPort(proxyPort, upstreamPort)).stream()
                .map(p -> new NetworkPolicyPortBuilder().withProtocol(p.protocol()).withPort(new IntOrString(p.number())).build())
                .toList();
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName(ToolgateNames.networkPolicyName(policy.getMetadata().getName()))
                .withNamespace(policy.getMetadata().getNamespace())
                .withLabels(PolicyConfigMapFactory.labels(policy))
                .withOwnerReferences(PolicyConfigMapFactory.ownerReference(policy))
                .endMetadata()
                .withNewSpec()
                .withPodSelector(policy.getSpec().getPodSelector())
                .withPolicyTypes("Ingress")
                .addNewIngress().withPorts(ports).endIngress()
                .endSpec()
                .build();
    }

    /**
     * Every port a container or init container of the pods declares, plus the sidecar's two, minus the MCP port; sorted
     * by protocol, then number.
     */
    static List<Port> allowedPorts(Collection<Pod> pods, int upstreamPort, int proxyPort) {
        TreeSet<Port> ports = new TreeSet<>(Comparator.comparing(Port::protocol).thenComparingInt(Port::number));
        ports.add(new Port("TCP", proxyPort));
        ports.add(new Port("TCP", ToolgateNames.SIDECAR_MANAGEMENT_PORT));
        for (Pod pod : pods) {
            if (pod.getSpec() == null) {
                continue;
            }
            List<Container> containers = new ArrayList<>(pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers());
            if (pod.getSpec().getInitContainers() != null) {
                containers.addAll(pod.getSpec().getInitContainers());
            }
            for (Container container : containers) {
                for (ContainerPort port : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
                    if (port.getContainerPort() != null) {
                        ports.add(new Port(port.getProtocol() == null ? "TCP" : port.getProtocol(), port.getContainerPort()));
                    }
                }
            }
        }
        ports.remove(new Port("TCP", upstreamPort));
        return List.copyOf(ports);
    }

    /**
     * The other NetworkPolicies of the namespace that let ingress reach the MCP port of a governed pod, by name, sorted:
     * NetworkPolicies add up, so any of them undoes this policy's own for the sources it allows. A rule counts when it
     * covers the MCP port by number (or a range holding it), or every port; a named port does not (the webhook gives
     * the MCP port's name to the sidecar).
     */
    public static List<String> reopening(McpPolicy policy, Collection<Pod> governedPods, Collection<NetworkPolicy> inNamespace) {
        int upstreamPort = policy.getSpec().getUpstream().getPort();
        String own = ToolgateNames.networkPolicyName(policy.getMetadata().getName());
        TreeSet<String> names = new TreeSet<>();
        for (NetworkPolicy np : inNamespace) {
            if (np.getSpec() == null || own.equals(np.getMetadata().getName())) {
                continue;
            }
            List<String> types = np.getSpec().getPolicyTypes();
            boolean ingress = types == null || types.isEmpty() || types.contains("Ingress");
            boolean selects = governedPods.stream().anyMatch(pod -> LabelSelectors.matches(
                    np.getSpec().getPodSelector(), pod.getMetadata().getLabels()));
            if (ingress && selects && np.getSpec().getIngress() != null
                    && np.getSpec().getIngress().stream().anyMatch(rule -> coversPort(rule.getPorts(), upstreamPort))) {
                names.add(np.getMetadata().getName());
            }
        }
        return List.copyOf(names);
    }

    private static boolean coversPort(List<NetworkPolicyPort> ports, int number) {
        if (ports == null || ports.isEmpty()) {
            return true;
        }
        for (NetworkPolicyPort port : ports) {
            boolean tcp = port.getProtocol() == null || "TCP".equals(port.getProtocol());
            IntOrString value = port.getPort();
            if (!tcp) {
                continue;
            }
            if (value == null) {
                return true;
            }
            if (value.getIntVal() != null && (value.getIntVal() == number
                    || port.getEndPort() != null && value.getIntVal() <= number && number <= port.getEndPort())) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code existing} already carries the desired spec, labels and owner; other fields are left alone. */
    public static boolean matches(NetworkPolicy existing, NetworkPolicy desired) {
        if (existing == null) {
            return false;
        }
        Map<String, String> labels = existing.getMetadata().getLabels() == null ? Map.of() : existing.getMetadata().getLabels();
        return Objects.equals(existing.getSpec(), desired.getSpec())
                && labels.entrySet().containsAll(desired.getMetadata().getLabels().entrySet())
                && Objects.equals(existing.getMetadata().getOwnerReferences(), desired.getMetadata().getOwnerReferences());
    }
}
