package dev.toolgate.operator.injection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.McpPolicySpec;
import dev.toolgate.operator.mcppolicy.Upstream;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

class InjectionDecisionTest {

    /** labels | inject annotation | already injected | expected reason */
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "mcp | -     | false | INJECTED",
            "mcp | true  | false | INJECTED",
            "mcp | false | false | OPTED_OUT",
            "mcp | FALSE | false | OPTED_OUT",
            "mcp | -     | true  | ALREADY_INJECTED",
            "web | -     | false | NO_MATCHING_POLICY",
            "web | false | true  | OPTED_OUT",
    })
    void decides(String app, String injectAnnotation, boolean alreadyInjected, InjectionReason expected) {
        Pod pod = pod(Map.of("app", app), injectAnnotation == null ? Map.of() : Map.of("toolgate.dev/inject", injectAnnotation));
        if (alreadyInjected) {
            pod.getSpec().getContainers().add(new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("toolgate-sidecar").build());
        }
        assertThat(InjectionDecision.decide(pod, List.of(policy("p", "mcp", "2026-01-01T00:00:00Z"))).reason()).isEqualTo(expected);
    }

    @Test
    void oldestPolicyWinsThenName() {
        Pod pod = pod(Map.of("app", "mcp"), Map.of());
        InjectionDecision decision = InjectionDecision.decide(pod, List.of(
                policy("c", "mcp", "2026-02-01T00:00:00Z"),
                policy("b", "mcp", "2026-01-01T00:00:00Z"),
                policy("a", "mcp", "2026-01-01T00:00:00Z")));
        assertThat(decision.policy().getMetadata().getName()).isEqualTo("a");
        assertThat(decision.overruled()).containsExactly("b", "c");
    }

    @Test
    void selectingListsOnlyTheSelectingPoliciesInPrecedenceOrderWhateverTheInput() {
        Pod pod = pod(Map.of("app", "mcp"), Map.of());
        List<McpPolicy> policies = List.of(
                policy("c", "mcp", "2026-02-01T00:00:00Z"),
                policy("web", "web", "2025-01-01T00:00:00Z"),
                policy("b", "mcp", "2026-01-01T00:00:00Z"),
                policy("a", "mcp", "2026-01-01T00:00:00Z"));
        assertThat(InjectionDecision.selecting(pod, policies)).extracting(p -> p.getMetadata().getName()).containsExactly("a", "b", "c");
        List<McpPolicy> reversed = new java.util.ArrayList<>(policies);
        java.util.Collections.reverse(reversed);
        assertThat(InjectionDecision.selecting(pod, reversed)).extracting(p -> p.getMetadata().getName())
                .containsExactly("a", "b", "c");
        assertThat(policies.stream().sorted(InjectionDecision.PRECEDENCE)).extracting(p -> p.getMetadata().getName())
                .containsExactly("web", "a", "b", "c");
    }

    @Test
    void everyReasonHasAUniqueLabelAndASentence() {
        assertThat(Arrays.stream(InjectionReason.values()).map(InjectionReason::label)).doesNotHaveDuplicates();
        assertThat(InjectionReason.values()).allSatisfy(r -> assertThat(r.sentence()).isNotBlank());
    }

    static Pod pod(Map<String, String> labels, Map<String, String> annotations) {
        return new PodBuilder().withNewMetadata().withName("p").withNamespace("ns").withLabels(labels).withAnnotations(annotations)
                .endMetadata().withNewSpec().addNewContainer().withName("server").endContainer().endSpec().build();
    }

    static McpPolicy policy(String name, String app, String created) {
        McpPolicy policy = new McpPolicy();
        policy.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").withCreationTimestamp(created).build());
        McpPolicySpec spec = new McpPolicySpec();
        spec.setPodSelector(new LabelSelectorBuilder().addToMatchLabels("app", app).build());
        Upstream upstream = new Upstream();
        upstream.setPort(8080);
        spec.setUpstream(upstream);
        policy.setSpec(spec);
        return policy;
    }
}
