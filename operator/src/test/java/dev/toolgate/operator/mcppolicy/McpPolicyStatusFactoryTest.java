package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.toolgate.testsupport.GoldenFiles;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

/** The status and Events one reconcile produces, as data (McpPolicyStatusFactory is pure). */
class McpPolicyStatusFactoryTest {

    private static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
    private static final Instant T1 = Instant.parse("2026-12-02T10:05:00Z");

    private static McpPolicy policy(long generation) throws Exception {
        McpPolicy policy = GoldenFiles.YAML.readValue(McpPolicyStatusFactoryTest.class.getResource("/golden/configmap/in-minimal-deny.yaml"),
                McpPolicy.class);
        policy.getMetadata().setGeneration(generation);
        return policy;
    }

    private static Pod pod(String name, boolean sidecar) {
        PodBuilder pod = new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().addNewContainer().withName("server").endContainer().endSpec();
        if (sidecar) {
            pod.editSpec().addNewInitContainer().withName("toolgate-sidecar").withRestartPolicy("Always").endInitContainer().endSpec();
        }
        return pod.build();
    }

    private static McpPolicyStatusFactory.Update observe(McpPolicy policy, String servedHash, List<Pod> pods,
            WorkloadRestarter.Outcome restart, CounterStoreCheck.Result counters, Instant now) {
        return observe(policy, List.of(policy), servedHash, pods, restart, counters, now);
    }

    private static McpPolicyStatusFactory.Update observe(McpPolicy policy, List<McpPolicy> policiesInNamespace, String servedHash,
            List<Pod> pods, WorkloadRestarter.Outcome restart, CounterStoreCheck.Result counters, Instant now) {
        ProtectionReport report = ProtectionReport.of(policy, pods, List.of(), policiesInNamespace);
        return McpPolicyStatusFactory.of(new McpPolicyStatusFactory.Observation(policy, PolicyValidation.validate(policy.getSpec()),
                servedHash, report, restart, Boolean.TRUE.equals(policy.getSpec().getRestartUnprotected()), counters, null, List.of(), now));
    }

    @Test
    void anAcceptedPolicyIsReadyWithItsHashAndRaisesNothing() throws Exception {
        McpPolicy policy = policy(3);
        var update = observe(policy, null, List.of(pod("mcp-0", true)), null, null, T0);
        McpPolicyStatus status = update.status();
        assertThat(status.getObservedGeneration()).isEqualTo(3);
        assertThat(status.getPolicyHash()).isEqualTo(PolicyValidation.validate(policy.getSpec()).document().hash());
        assertThat(status.getConfigMapName()).isEqualTo("lockdown-toolgate-policy");
        assertThat(StatusConditions.find(status.getConditions(), "Accepted").getReason()).isEqualTo("Valid");
        assertThat(StatusConditions.find(status.getConditions(), "Ready").getStatus()).isEqualTo("True");
        assertThat(StatusConditions.find(status.getConditions(), "Ready").getReason()).isEqualTo("ConfigMapRendered");
        assertThat(status.getPodsWithSidecar()).isEqualTo(1);
        assertThat(status.getPodsWithoutSidecar()).isZero();
        assertThat(status.getPodsGovernedByOthers()).isZero();
        assertThat(StatusConditions.find(status.getConditions(), "Conflicted").getStatus()).isEqualTo("False");
        assertThat(StatusConditions.find(status.getConditions(), "Conflicted").getReason()).isEqualTo("NoConflict");
        assertThat(update.events()).isEmpty();
    }

    @Test
    void aPolicyThatLosesPodsToAnOlderOneIsConflictedAndNotReadyAndSaysSoOnce() throws Exception {
        McpPolicy policy = policy(1);
        policy.getMetadata().setCreationTimestamp("2026-12-02T09:00:00Z");
        McpPolicy older = policy(1);
        older.getMetadata().setName("baseline");
        older.getMetadata().setCreationTimestamp("2026-12-01T09:00:00Z");
        List<Pod> pods = List.of(injected("mcp-0", "baseline"), pod("mcp-1", false));

        var lost = observe(policy, List.of(older, policy), null, pods, null, null, T0);
        McpPolicyStatus status = lost.status();
        assertThat(status.getPodsGovernedByOthers()).isEqualTo(2);
        assertThat(status.getPodsWithSidecar()).as("pods baseline governs are not this policy's").isZero();
        assertThat(status.getPodsWithoutSidecar()).isZero();
        assertThat(status.getOverlappingPolicies()).containsExactly("baseline");
        var conflicted = StatusConditions.find(status.getConditions(), "Conflicted");
        assertThat(conflicted.getStatus()).isEqualTo("True");
        assertThat(conflicted.getReason()).isEqualTo("LostToOlderPolicy");
        assertThat(conflicted.getMessage()).startsWith("2 selected pod(s) are governed by other McpPolicies: baseline (mcp-0, mcp-1).");
        var ready = StatusConditions.find(status.getConditions(), "Ready");
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("Conflicted");
        assertThat(ready.getMessage()).contains("baseline (mcp-0, mcp-1)");
        assertThat(lost.events()).extracting(McpPolicyStatusFactory.Event::reason).containsExactly("Conflicted", "OverlappingPolicies");
        assertThat(lost.events().get(0).message()).isEqualTo(conflicted.getMessage());

        policy.setStatus(status);
        var again = observe(policy, List.of(older, policy), null, pods, null, null, T1);
        assertThat(again.events()).as("nothing new to report").isEmpty();
        assertThat(again.status()).isEqualTo(status);

        // the older policy is deleted: its pods keep its sidecar, so the conflict stays (with one pod fewer to lose)
        var stale = observe(policy, List.of(policy), null, pods, null, null, T1);
        assertThat(StatusConditions.find(stale.status().getConditions(), "Conflicted").getMessage())
                .startsWith("1 selected pod(s) are governed by other McpPolicies: baseline (mcp-0).");
        assertThat(stale.status().getPodsWithoutSidecar()).isEqualTo(1);
        assertThat(StatusConditions.find(stale.status().getConditions(), "Ready").getReason()).as("the conflict is said first")
                .isEqualTo("Conflicted");
        assertThat(stale.events()).extracting(McpPolicyStatusFactory.Event::reason).contains("Conflicted");

        // re-created, the pods are injected with this policy
        policy.setStatus(stale.status());
        var resolved = observe(policy, List.of(policy), null, List.of(injected("mcp-2", "lockdown"), injected("mcp-3", "lockdown")),
                null, null, T1);
        assertThat(StatusConditions.find(resolved.status().getConditions(), "Conflicted").getReason()).isEqualTo("NoConflict");
        assertThat(StatusConditions.find(resolved.status().getConditions(), "Conflicted").getLastTransitionTime()).isEqualTo("2026-12-02T10:05:00Z");
        assertThat(StatusConditions.find(resolved.status().getConditions(), "Ready").getReason()).isEqualTo("ConfigMapRendered");
        assertThat(resolved.status().getPodsGovernedByOthers()).isZero();
        assertThat(resolved.status().getPodsWithSidecar()).isEqualTo(2);
        assertThat(resolved.events()).isEmpty();
    }

    @Test
    void theOlderPolicyOfAnOverlapIsNotConflicted() throws Exception {
        McpPolicy policy = policy(1);
        policy.getMetadata().setCreationTimestamp("2026-12-01T09:00:00Z");
        McpPolicy newer = policy(1);
        newer.getMetadata().setName("strict");
        newer.getMetadata().setCreationTimestamp("2026-12-02T09:00:00Z");
        var update = observe(policy, List.of(policy, newer), null, List.of(injected("mcp-0", "lockdown")), null, null, T0);
        assertThat(StatusConditions.find(update.status().getConditions(), "Conflicted").getStatus()).isEqualTo("False");
        assertThat(StatusConditions.find(update.status().getConditions(), "Ready").getStatus()).isEqualTo("True");
        assertThat(update.status().getOverlappingPolicies()).containsExactly("strict");
        assertThat(update.events()).extracting(McpPolicyStatusFactory.Event::reason).containsExactly("OverlappingPolicies");
    }

    @Test
    void networkPoliciesReopeningTheMcpPortAreReportedOnceAndKeptAcrossAFailedReconcile() throws Exception {
        McpPolicy policy = policy(1);
        ProtectionReport report = ProtectionReport.of(policy, List.of(pod("mcp-0", true)), List.of(), List.of(policy));
        java.util.function.Function<List<String>, McpPolicyStatusFactory.Update> seen = reopening -> McpPolicyStatusFactory.of(
                new McpPolicyStatusFactory.Observation(policy, PolicyValidation.validate(policy.getSpec()), null, report, null, false,
                        null, "lockdown-toolgate-policy", reopening, T0));

        var closed = seen.apply(List.of());
        assertThat(closed.status().getNetworkPolicyName()).isEqualTo("lockdown-toolgate-policy");
        assertThat(closed.status().getReopeningNetworkPolicies()).isNull();
        assertThat(closed.events()).isEmpty();

        policy.setStatus(closed.status());
        var reopened = seen.apply(List.of("allow-all"));
        assertThat(reopened.status().getReopeningNetworkPolicies()).containsExactly("allow-all");
        assertThat(reopened.events()).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo("SidecarBypassed");
            assertThat(e.message()).isEqualTo("NetworkPolicy(s) allow-all let ingress reach MCP port " + policy.getSpec().getUpstream().getPort()
                    + " of selected pods, past lockdown-toolgate-policy");
        });

        policy.setStatus(reopened.status());
        assertThat(seen.apply(List.of("allow-all")).events()).as("unchanged: no new Event").isEmpty();
        McpPolicyStatus failed = McpPolicyStatusFactory.failed(policy, "the API server said no", T1);
        assertThat(failed.getNetworkPolicyName()).isEqualTo("lockdown-toolgate-policy");
        assertThat(failed.getReopeningNetworkPolicies()).containsExactly("allow-all");
    }

    private static Pod injected(String name, String policy) {
        Pod pod = pod(name, true);
        pod.getMetadata().setAnnotations(java.util.Map.of("toolgate.dev/policy", policy));
        return pod;
    }

    @Test
    void aPolicyThatSelectsNoPodIsReady() throws Exception {
        var update = observe(policy(1), null, List.of(), null, null, T0);
        assertThat(StatusConditions.find(update.status().getConditions(), "Ready").getReason()).isEqualTo("ConfigMapRendered");
        assertThat(update.status().getPodsWithSidecar()).isZero();
    }

    @Test
    void aRejectedSpecKeepsTheServedHashAndRaisesOneEventPerNewProblem() throws Exception {
        McpPolicy policy = invalid(policy(4));
        var first = observe(policy, "abc123", List.of(), null, null, T0);
        assertThat(first.status().getPolicyHash()).as("pods keep enforcing the last accepted policy").isEqualTo("abc123");
        assertThat(StatusConditions.find(first.status().getConditions(), "Accepted").getStatus()).isEqualTo("False");
        assertThat(StatusConditions.find(first.status().getConditions(), "Ready").getReason()).isEqualTo("LastAcceptedPolicyInEffect");
        assertThat(first.events()).extracting(McpPolicyStatusFactory.Event::reason).containsExactly("PolicyRejected");

        policy.setStatus(first.status());
        var again = observe(policy, "abc123", List.of(), null, null, T1);
        assertThat(again.events()).as("the same problem again").isEmpty();
        assertThat(StatusConditions.find(again.status().getConditions(), "Accepted").getLastTransitionTime())
                .isEqualTo(StatusConditions.find(first.status().getConditions(), "Accepted").getLastTransitionTime());
        assertThat(again.status()).isEqualTo(first.status());

        var never = observe(invalid(policy(1)), null, List.of(), null, null, T0);
        assertThat(StatusConditions.find(never.status().getConditions(), "Ready").getReason()).isEqualTo("NoAcceptedPolicy");
        assertThat(never.status().getPolicyHash()).isNull();
    }

    /** Two limits that disagree on one counter: the engine refuses the document. */
    private static McpPolicy invalid(McpPolicy policy) {
        policy.getSpec().setLimits(List.of(limit(10), limit(20)));
        assertThat(PolicyValidation.validate(policy.getSpec()).problems()).isNotEmpty();
        return policy;
    }

    private static Limit limit(long max) {
        Limit limit = new Limit();
        limit.setCounter("shared");
        limit.setMax(max);
        limit.setWindow(new io.fabric8.kubernetes.api.model.IntOrString("minute"));
        limit.setScope(Limit.Scope.GLOBAL);
        return limit;
    }

    @Test
    void unprotectedPodsAreCountedAndReportedOnceWithWhatTheRestarterDid() throws Exception {
        McpPolicy policy = policy(2);
        policy.getSpec().setRestartUnprotected(true);
        var restart = new WorkloadRestarter.Outcome(List.of("Deployment/mcp"), List.of(), List.of("mcp-bare (no owner)"));
        var update = observe(policy, null, List.of(pod("mcp-0", false), pod("mcp-bare", false), pod("mcp-1", true)), restart, null, T0);
        assertThat(update.status().getPodsWithoutSidecar()).isEqualTo(2);
        var ready = StatusConditions.find(update.status().getConditions(), "Ready");
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo("PodsWithoutSidecar");
        assertThat(ready.getMessage()).endsWith("but 2 selected pod(s) run without the sidecar: mcp-0, mcp-bare.");
        assertThat(update.status().getRestartedWorkloads()).containsExactly("Deployment/mcp");
        assertThat(update.events()).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo("UnprotectedPods");
            assertThat(e.message()).startsWith("2 selected pod(s) run without the sidecar: mcp-0, mcp-bare")
                    .contains("restarted for their current pod template: Deployment/mcp").contains("a restart would not protect: mcp-bare");
        });
        policy.setStatus(update.status());
        assertThat(observe(policy, null, List.of(pod("mcp-0", false), pod("mcp-bare", false), pod("mcp-1", true)), restart, null, T1)
                .events()).as("the same count again").isEmpty();
    }

    @Test
    void theRedisCheckIsAConditionAndAnEventPerNewReason() throws Exception {
        McpPolicy policy = policy(1);
        var down = observe(policy, null, List.of(), null, new CounterStoreCheck.Result(false, "AuthenticationFailed", "WRONGPASS"), T0);
        assertThat(StatusConditions.find(down.status().getConditions(), "CountersReachable").getReason()).isEqualTo("AuthenticationFailed");
        assertThat(down.events()).extracting(McpPolicyStatusFactory.Event::reason).containsExactly("CountersUnreachable");
        policy.setStatus(down.status());
        assertThat(observe(policy, null, List.of(), null, new CounterStoreCheck.Result(false, "AuthenticationFailed", "WRONGPASS"), T1)
                .events()).isEmpty();
        var local = observe(policy, null, List.of(), null, null, T1);
        assertThat(StatusConditions.find(local.status().getConditions(), "CountersReachable")).as("local counters: no condition").isNull();
    }

    @Test
    void aFailedReconcileSaysSoForTheCurrentGenerationAndKeepsTheRest() throws Exception {
        McpPolicy policy = policy(5);
        var accepted = observe(policy, null, List.of(pod("mcp-0", true)), null, null, T0);
        accepted.status().setObservedGeneration(4L);
        policy.setStatus(accepted.status());
        McpPolicyStatus failed = McpPolicyStatusFactory.failed(policy, "the API server said no", T1);
        assertThat(failed.getObservedGeneration()).as("not left stale").isEqualTo(5);
        assertThat(StatusConditions.find(failed.getConditions(), "Ready").getStatus()).isEqualTo("False");
        assertThat(StatusConditions.find(failed.getConditions(), "Ready").getReason()).isEqualTo("ReconcileError");
        assertThat(StatusConditions.find(failed.getConditions(), "Ready").getMessage()).isEqualTo("the API server said no");
        assertThat(StatusConditions.find(failed.getConditions(), "Accepted").getStatus()).isEqualTo("True");
        assertThat(failed.getPolicyHash()).isEqualTo(accepted.status().getPolicyHash());
        assertThat(failed.getPodsWithSidecar()).isEqualTo(1);
    }
}
