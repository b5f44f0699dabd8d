package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;

class PolicyNetworkPolicyFactoryTest {

    @Test
    void theSelectedPodsTakeIngressOnTheirDeclaredPortsButNeverOnTheMcpPort() {
        McpPolicy policy = ProtectionReportTest.policy("crm", "crm");
        policy.getMetadata().setUid("uid-1");
        policy.setApiVersion("toolgate.dev/v1alpha1");
        policy.setKind("McpPolicy");
        Pod injected = new PodBuilder(ProtectionReportTest.pod("crm-1", "crm", true)).editSpec()
                .editFirstContainer().addNewPort().withName("8080").withContainerPort(8080).endPort()
                .addNewPort().withName("dns").withContainerPort(5353).withProtocol("UDP").endPort().endContainer()
                .editFirstInitContainer().addNewPort().withName("http").withContainerPort(8090).withProtocol("TCP").endPort()
                .addNewPort().withName("tg-mgmt").withContainerPort(9000).withProtocol("TCP").endPort().endInitContainer()
                .addNewContainer().withName("exporter").addNewPort().withContainerPort(9102).endPort().endContainer()
                .endSpec().build();

        NetworkPolicy np = PolicyNetworkPolicyFactory.create(policy, List.of(injected), 8090);

        assertThat(np.getMetadata().getName()).isEqualTo("crm-toolgate-policy");
        assertThat(np.getMetadata().getNamespace()).isEqualTo("ns");
        assertThat(np.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "toolgate-operator")
                .containsEntry("toolgate.dev/policy", "crm");
        assertThat(np.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getKind()).isEqualTo("McpPolicy");
            assertThat(owner.getUid()).isEqualTo("uid-1");
            assertThat(owner.getController()).isTrue();
        });
        assertThat(np.getSpec().getPodSelector()).isEqualTo(policy.getSpec().getPodSelector());
        assertThat(np.getSpec().getPolicyTypes()).as("egress is left alone").containsExactly("Ingress");
        assertThat(np.getSpec().getIngress()).singleElement().satisfies(rule -> {
            assertThat(rule.getFrom()).as("from anywhere: who may call is the sidecar's to decide").isEmpty();
            assertThat(rule.getPorts()).extracting(p -> p.getPort().getIntVal() + "/" + p.getProtocol())
                    .as("declared ports, sidecar's included, MCP port 8080 not").containsExactly("8090/TCP", "9000/TCP", "9102/TCP", "5353/UDP");
        });
    }

    @Test
    void withNoPodYetTheSidecarsPortsAreOpenAndTheProxyPortMovesOffTheMcpPort() {
        McpPolicy policy = ProtectionReportTest.policy("crm", "crm"); // MCP port 8080

        assertThat(PolicyNetworkPolicyFactory.allowedPorts(List.of(), 8080, 8090)).extracting(p -> p.number()).containsExactly(8090, 9000);
        NetworkPolicy np = PolicyNetworkPolicyFactory.create(policy, List.of(), 8080);
        assertThat(np.getSpec().getIngress().get(0).getPorts()).extracting(p -> p.getPort().getIntVal())
                .as("the webhook moves the proxy to 8081 when the MCP server has 8080").containsExactly(8081, 9000);
    }

    @Test
    void otherNetworkPoliciesThatLetIngressReachTheMcpPortAreNamed() {
        McpPolicy policy = ProtectionReportTest.policy("crm", "crm"); // MCP port 8080
        List<Pod> governed = List.of(ProtectionReportTest.pod("crm-1", "crm", true));
        NetworkPolicy own = PolicyNetworkPolicyFactory.create(policy, governed, 8090);
        NetworkPolicy allowAll = ingress("allow-all", "crm").addNewIngress().endIngress().endSpec().build();
        NetworkPolicy byNumber = ingress("by-number", "crm").addNewIngress().addNewPort().withNewPort(8080).endPort().endIngress()
                .endSpec().build();
        NetworkPolicy range = ingress("range", "crm").addNewIngress().addNewPort().withNewPort(8000).withEndPort(8100).endPort().endIngress()
                .endSpec().build();
        NetworkPolicy byName = ingress("by-name", "crm").addNewIngress().addNewPort().withNewPort("mcp").endPort().endIngress().endSpec()
                .build();
        NetworkPolicy udp = ingress("udp", "crm").addNewIngress().addNewPort().withProtocol("UDP").withNewPort(8080).endPort().endIngress()
                .endSpec().build();
        NetworkPolicy otherPods = ingress("other-pods", "web").addNewIngress().endIngress().endSpec().build();
        NetworkPolicy egressOnly = ingress("egress-only", "crm").withPolicyTypes("Egress").addNewEgress().endEgress().endSpec().build();
        NetworkPolicy denyAll = ingress("deny-all", "crm").endSpec().build();

        assertThat(PolicyNetworkPolicyFactory.reopening(policy, governed,
                List.of(own, allowAll, byNumber, range, byName, udp, otherPods, egressOnly, denyAll)))
                .as("by number, a range holding it, every port; not a named port (the sidecar's), UDP, other pods, egress or none")
                .containsExactly("allow-all", "by-number", "range");
    }

    private static io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyFluent<NetworkPolicyBuilder>.SpecNested<NetworkPolicyBuilder> ingress(
            String name, String app) {
        return new NetworkPolicyBuilder().withNewMetadata().withName(name).withNamespace("ns").endMetadata().withNewSpec()
                .withNewPodSelector().addToMatchLabels("app", app).endPodSelector();
    }

    @Test
    void anUnchangedPolicyIsNotWrittenAgainAndUserLabelsDoNotCount() {
        McpPolicy policy = ProtectionReportTest.policy("crm", "crm");
        NetworkPolicy desired = PolicyNetworkPolicyFactory.create(policy, List.of(), 8090);
        NetworkPolicy existing = new NetworkPolicyBuilder(desired).editMetadata().addToLabels("team", "crm").withResourceVersion("7")
                .endMetadata().build();

        assertThat(PolicyNetworkPolicyFactory.matches(null, desired)).isFalse();
        assertThat(PolicyNetworkPolicyFactory.matches(existing, desired)).isTrue();
        NetworkPolicy widened = new NetworkPolicyBuilder(existing).editSpec().editFirstIngress().addNewPort().withNewPort(8080).endPort()
                .endIngress().endSpec().build();
        assertThat(PolicyNetworkPolicyFactory.matches(widened, desired)).as("someone opened the MCP port: written back").isFalse();
    }
}
