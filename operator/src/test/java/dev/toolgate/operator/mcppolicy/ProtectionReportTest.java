package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

class ProtectionReportTest {

    @Test
    void countsPodsFindsNumericBypassesAndOverlaps() {
        McpPolicy policy = policy("crm", "crm");
        McpPolicy other = policy("catch-all", null);
        Pod injected = pod("crm-1", "crm", true);
        Pod bare = pod("crm-2", "crm", false);
        Pod unrelated = pod("web-1", "web", false);
        Service byName = service("crm-by-name", "crm", new IntOrString("mcp"), 80);
        Service byNumber = service("crm-by-number", "crm", new IntOrString(8080), 80);
        Service implicit = service("crm-implicit", "crm", null, 8080);
        Service otherApp = service("web", "web", new IntOrString(8080), 80);

        ProtectionReport report = ProtectionReport.of(policy, List.of(injected, bare, unrelated),
                List.of(byName, byNumber, implicit, otherApp), List.of(policy, other));

        assertThat(report.protectedPods()).extracting(p -> p.getMetadata().getName()).containsExactly("crm-1");
        assertThat(report.unprotectedPods()).extracting(p -> p.getMetadata().getName()).containsExactly("crm-2");
        assertThat(report.bypassingServices()).containsExactly("crm-by-number:8080", "crm-implicit:8080");
        assertThat(report.overlappingPolicies()).containsExactly("catch-all");
    }

    static McpPolicy policy(String name, String app) {
        McpPolicy policy = new McpPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").build());
        McpPolicySpec spec = new McpPolicySpec();
        spec.setPodSelector(app == null ? new LabelSelectorBuilder().build()
                : new LabelSelectorBuilder().addToMatchLabels("app", app).build());
        Upstream upstream = new Upstream();
        upstream.setPort(8080);
        spec.setUpstream(upstream);
        policy.setSpec(spec);
        return policy;
    }

    static Pod pod(String name, String app, boolean withSidecar) {
        PodBuilder pod = new PodBuilder().withNewMetadata().withName(name).withNamespace("ns").addToLabels("app", app).endMetadata()
                .withNewSpec().addNewContainer().withName("mcp").endContainer().endSpec();
        if (withSidecar) {
            pod.editSpec().addNewInitContainer().withName("toolgate-sidecar").withRestartPolicy("Always").endInitContainer().endSpec();
        }
        return pod.build();
    }

    static Service service(String name, String app, IntOrString targetPort, int port) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace("ns").endMetadata()
                .withNewSpec().addToSelector("app", app).addNewPort().withPort(port).withTargetPort(targetPort).endPort().endSpec()
                .build();
    }
}
