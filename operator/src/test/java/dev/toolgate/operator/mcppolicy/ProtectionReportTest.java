package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
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
        McpPolicy policy = policy("crm", "crm", "2026-01-01T00:00:00Z");
        McpPolicy other = policy("catch-all", null, "2026-02-01T00:00:00Z"); // newer: selects the same pods but governs none
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

    @Test
    void aServiceTargetingTheNumberBypassesOnlyPodsWithoutTheInboundRedirect() {
        McpPolicy policy = policy("crm", "crm", "2026-01-01T00:00:00Z");
        Pod redirected = pod("crm-1", "crm", true);
        redirected.getSpec().getInitContainers().add(0, new ContainerBuilder().withName("toolgate-init").build());
        redirected.getMetadata().getLabels().put("tier", "a");
        Pod redirectOff = pod("crm-2", "crm", true); // injected with redirect-inbound off
        redirectOff.getMetadata().getLabels().put("tier", "b");
        Service toRedirected = service("crm-a", "crm", new IntOrString(8080), 80);
        Service toRedirectedOnly = new ServiceBuilder(service("crm-only-redirected", "crm", new IntOrString(8080), 80))
                .editSpec().withSelector(Map.of("app", "crm", "tier", "a")).endSpec().build();

        ProtectionReport onlyRedirected = ProtectionReport.of(policy, List.of(redirected), List.of(toRedirected), List.of(policy));
        assertThat(onlyRedirected.bypassingServices()).as("the redirect takes the number to the sidecar").isEmpty();

        ProtectionReport mixed = ProtectionReport.of(policy, List.of(redirected, redirectOff),
                List.of(toRedirected, toRedirectedOnly), List.of(policy));
        assertThat(mixed.bypassingServices()).as("crm-a also reaches the pod injected without the redirect")
                .containsExactly("crm-a:8080");
    }

    @Test
    void aPodCountsOnlyForThePolicyThatGovernsIt() {
        McpPolicy older = policy("crm-baseline", "crm", "2026-01-01T00:00:00Z");
        McpPolicy newer = policy("crm-strict", "crm", "2026-02-01T00:00:00Z");
        Pod injectedOlder = injected("crm-1", "crm", "crm-baseline");
        Pod injectedNewer = injected("crm-2", "crm", "crm-strict"); // injected before the older policy selected it
        Pod bare = pod("crm-3", "crm", false);
        List<Pod> pods = List.of(injectedOlder, injectedNewer, bare);
        List<McpPolicy> policies = List.of(newer, older);

        ProtectionReport olderReport = ProtectionReport.of(older, pods, List.of(), policies);
        assertThat(olderReport.protectedPods()).extracting(p -> p.getMetadata().getName()).containsExactly("crm-1");
        assertThat(olderReport.unprotectedPods()).as("without the sidecar, the oldest selecting policy would govern it")
                .extracting(p -> p.getMetadata().getName()).containsExactly("crm-3");
        assertThat(olderReport.lostPods()).extracting(p -> p.getMetadata().getName()).containsExactly("crm-2");
        assertThat(olderReport.winningPolicies()).containsExactly(Map.entry("crm-strict", List.of("crm-2")));
        assertThat(olderReport.overlappingPolicies()).containsExactly("crm-strict");

        ProtectionReport newerReport = ProtectionReport.of(newer, pods, List.of(), policies);
        assertThat(newerReport.protectedPods()).extracting(p -> p.getMetadata().getName()).containsExactly("crm-2");
        assertThat(newerReport.unprotectedPods()).isEmpty();
        assertThat(newerReport.lostPods()).extracting(p -> p.getMetadata().getName()).containsExactly("crm-1", "crm-3");
        assertThat(newerReport.winningPolicies()).containsExactly(Map.entry("crm-baseline", List.of("crm-1", "crm-3")));
        assertThat(newerReport.overlappingPolicies()).as("both sides list each other").containsExactly("crm-baseline");
    }

    @Test
    void aPodKeepsThePolicyItWasInjectedWithAfterThatPolicyIsGone() {
        McpPolicy survivor = policy("crm-strict", "crm", "2026-02-01T00:00:00Z");
        Pod stale = injected("crm-1", "crm", "crm-baseline");
        Pod bare = pod("crm-2", "crm", false);

        ProtectionReport report = ProtectionReport.of(survivor, List.of(stale, bare), List.of(), List.of(survivor));
        assertThat(report.lostPods()).extracting(p -> p.getMetadata().getName()).containsExactly("crm-1");
        assertThat(report.winningPolicies()).containsExactly(Map.entry("crm-baseline", List.of("crm-1")));
        assertThat(report.unprotectedPods()).extracting(p -> p.getMetadata().getName()).containsExactly("crm-2");
        assertThat(report.overlappingPolicies()).as("a deleted policy selects nothing").isEmpty();
    }

    @Test
    void equalCreationTimesFallBackToTheLowerNameAndAMissingCacheEntryIsThePolicyItself() {
        McpPolicy a = policy("a", "crm", "2026-01-01T00:00:00Z");
        McpPolicy b = policy("b", "crm", "2026-01-01T00:00:00Z");
        Pod bare = pod("crm-1", "crm", false);
        assertThat(ProtectionReport.of(b, List.of(bare), List.of(), List.of(a)).winningPolicies()).containsOnlyKeys("a");
        assertThat(ProtectionReport.of(a, List.of(bare), List.of(), List.of(b)).unprotectedPods()).hasSize(1);
        assertThat(ProtectionReport.of(a, List.of(bare), List.of(), List.of()).unprotectedPods())
                .as("the cache does not hold the policy yet").hasSize(1);
    }

    static McpPolicy policy(String name, String app, String created) {
        McpPolicy policy = policy(name, app);
        policy.getMetadata().setCreationTimestamp(created);
        return policy;
    }

    static Pod injected(String name, String app, String policy) {
        Pod pod = pod(name, app, true);
        pod.getMetadata().setAnnotations(Map.of("toolgate.dev/policy", policy, "toolgate.dev/policy-hash", "h"));
        return pod;
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
