package dev.toolgate.operator.mcppolicy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * What an McpPolicy's status says, and which Warning Events go with it, from what one reconcile observed: the
 * validation, the ConfigMap's served hash, the protection report, what the restarter did and the Redis check. {@code Ready}
 * is true only when the ConfigMap holds the accepted policy and every selected pod is governed by this policy
 * ({@code Conflicted} false) and runs the sidecar (so it is true for a policy that selects no pod). Pure: the
 * reconciler writes the ConfigMap, restarts and checks before, and records the Events and patches the status after.
 * Conditions keep their {@code lastTransitionTime} unless their status changes ({@link StatusConditions}); an Event is
 * raised only when what it reports changed since {@code previous}.
 */
public final class McpPolicyStatusFactory {

    /** A Warning Event on the policy. */
    public record Event(String reason, String message) {
    }

    /** The status to write and the Events to record. */
    public record Update(McpPolicyStatus status, List<Event> events) {
    }

    /**
     * What one reconcile observed.
     *
     * @param servedHash    the policy hash of the ConfigMap pods read now, or null when there is none
     * @param restart       what the restarter did for the unprotected pods, or null when it did not run
     * @param restartWanted {@code spec.restartUnprotected}
     * @param counters      the Redis check of a policy counting in Redis, or null when its sidecars count locally
     * @param networkPolicy the policy's own NetworkPolicy, or null when it has none (network policies off)
     * @param reopening     the namespace's other NetworkPolicies that let ingress reach the MCP port of governed pods
     */
    public record Observation(McpPolicy policy, PolicyValidation.Result validation, String servedHash, ProtectionReport report,
            WorkloadRestarter.Outcome restart, boolean restartWanted, CounterStoreCheck.Result counters, String networkPolicy,
            List<String> reopening, Instant now) {
    }

    private McpPolicyStatusFactory() {
    }

    public static Update of(Observation seen) {
        McpPolicy policy = seen.policy();
        McpPolicyStatus previous = policy.getStatus() == null ? new McpPolicyStatus() : policy.getStatus();
        Long generation = policy.getMetadata().getGeneration();
        Instant now = seen.now();
        List<Event> events = new ArrayList<>();
        McpPolicyStatus status = new McpPolicyStatus();
        status.setConditions(previous.getConditions());
        status.setObservedGeneration(generation);
        status.setConfigMapName(ToolgateNames.configMapName(policy.getMetadata().getName()));
        status.setToolCount(policy.getSpec().getTools() == null ? 0 : policy.getSpec().getTools().size());
        status.setIdentityMode(IdentityValidation.mode(policy.getSpec().getIdentity()));

        String conflict = conflict(seen.report());
        status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.CONFLICTED, conflict != null,
                conflict != null ? "LostToOlderPolicy" : "NoConflict",
                conflict != null ? conflict : "No selected pod is governed by another policy.", generation, now));
        if (conflict != null && !sameCondition(previous, status, StatusConditions.CONFLICTED)) {
            events.add(new Event("Conflicted", conflict));
        }

        List<String> problems = seen.validation().problems();
        if (problems.isEmpty()) {
            String hash = seen.validation().document().hash();
            status.setPolicyHash(hash);
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.ACCEPTED, true, "Valid",
                    "The policy is valid.", generation, now));
            String rendered = "ConfigMap " + status.getConfigMapName() + " holds policy " + hash;
            List<Pod> unprotected = seen.report().unprotectedPods();
            if (conflict != null) {
                status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.READY, false, "Conflicted",
                        rendered + ", but it does not govern every pod it selects: " + conflict, generation, now));
            } else if (!unprotected.isEmpty()) {
                status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.READY, false, "PodsWithoutSidecar",
                        rendered + ", but " + unprotected.size() + " selected pod(s) run without the sidecar: "
                                + unprotected.stream().map(p -> p.getMetadata().getName()).collect(Collectors.joining(", ")) + ".",
                        generation, now));
            } else {
                status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.READY, true, "ConfigMapRendered",
                        rendered + ".", generation, now));
            }
        } else {
            String message = String.join("; ", problems);
            String served = seen.servedHash();
            status.setPolicyHash(served);
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.ACCEPTED, false, "Invalid",
                    message, generation, now));
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.READY, false,
                    served == null ? "NoAcceptedPolicy" : "LastAcceptedPolicyInEffect",
                    served == null ? "No version of this policy has been accepted; selected pods cannot start their sidecar."
                            : "Pods keep enforcing the last accepted policy " + served + " from ConfigMap " + status.getConfigMapName() + ".",
                    generation, now));
            if (!sameCondition(previous, status, StatusConditions.ACCEPTED)) {
                events.add(new Event("PolicyRejected", message));
            }
        }

        protection(seen, previous, status, events);
        counters(seen, previous, status, generation, now, events);
        return new Update(status, List.copyOf(events));
    }

    /**
     * The status after a reconcile failed with {@code problem}: what it said before, with {@code Ready} false
     * ({@code ReconcileError}) for the current generation.
     */
    public static McpPolicyStatus failed(McpPolicy policy, String problem, Instant now) {
        McpPolicyStatus previous = policy.getStatus() == null ? new McpPolicyStatus() : policy.getStatus();
        McpPolicyStatus status = copy(previous);
        Long generation = policy.getMetadata().getGeneration();
        status.setObservedGeneration(generation);
        status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.READY, false, "ReconcileError",
                String.valueOf(problem), generation, now));
        return status;
    }

    /** What condition {@code Conflicted} says when the policy loses pods to others, or null when it loses none. */
    private static String conflict(ProtectionReport report) {
        if (report.lostPods().isEmpty()) {
            return null;
        }
        String winners = report.winningPolicies().entrySet().stream()
                .map(e -> e.getKey() + " (" + String.join(", ", e.getValue()) + ")")
                .collect(Collectors.joining(", "));
        return report.lostPods().size() + " selected pod(s) are governed by other McpPolicies: " + winners
                + ". A pod runs the policy it was injected with until it is re-created; the webhook injects the oldest"
                + " selecting policy (then the lowest name).";
    }

    private static void protection(Observation seen, McpPolicyStatus previous, McpPolicyStatus status, List<Event> events) {
        ProtectionReport report = seen.report();
        status.setPodsWithSidecar(report.protectedPods().size());
        status.setPodsWithoutSidecar(report.unprotectedPods().size());
        status.setPodsGovernedByOthers(report.lostPods().size());
        status.setBypassingServices(report.bypassingServices().isEmpty() ? null : report.bypassingServices());
        status.setOverlappingPolicies(report.overlappingPolicies().isEmpty() ? null : report.overlappingPolicies());
        String advice = seen.restartWanted() ? "; spec.restartUnprotected is set but workload restarts are off in this installation (chart"
                + " value workloadRestarts.enabled)" : "; restart them once the webhook would inject them (spec.restartUnprotected can do it)";
        WorkloadRestarter.Outcome outcome = seen.restart();
        if (outcome != null) {
            status.setRestartedWorkloads(outcome.restartedWorkloads().isEmpty() ? null : outcome.restartedWorkloads());
            advice = (outcome.restartedWorkloads().isEmpty() ? "" : "; restarted for their current pod template: "
                    + String.join(", ", outcome.restartedWorkloads()))
                    + (outcome.notRestartable().isEmpty() ? "" : "; a restart would not protect: " + String.join(", ", outcome.notRestartable()));
        }
        if (!report.unprotectedPods().isEmpty() && !status.getPodsWithoutSidecar().equals(previous.getPodsWithoutSidecar())) {
            events.add(new Event("UnprotectedPods", report.unprotectedPods().size() + " selected pod(s) run without the sidecar: "
                    + report.unprotectedPods().stream().map(p -> p.getMetadata().getName()).collect(Collectors.joining(", ")) + advice + "."));
        }
        if (status.getBypassingServices() != null && !status.getBypassingServices().equals(previous.getBypassingServices())) {
            events.add(new Event("SidecarBypassed", "Service(s) " + String.join(", ", status.getBypassingServices())
                    + " target the MCP port by number on pods without the sidecar's inbound redirect, and so bypass the sidecar there;"
                    + " target the port by name instead."));
        }
        status.setNetworkPolicyName(seen.networkPolicy());
        status.setReopeningNetworkPolicies(seen.reopening().isEmpty() ? null : seen.reopening());
        if (status.getReopeningNetworkPolicies() != null
                && !status.getReopeningNetworkPolicies().equals(previous.getReopeningNetworkPolicies())) {
            events.add(new Event("SidecarBypassed", "NetworkPolicy(s) " + String.join(", ", status.getReopeningNetworkPolicies())
                    + " let ingress reach MCP port " + seen.policy().getSpec().getUpstream().getPort() + " of selected pods, past "
                    + seen.networkPolicy()));
        }
        if (status.getOverlappingPolicies() != null && !status.getOverlappingPolicies().equals(previous.getOverlappingPolicies())) {
            events.add(new Event("OverlappingPolicies", "Pods selected by this policy are also selected by "
                    + String.join(", ", status.getOverlappingPolicies()) + "; the oldest policy (then by name) is injected."));
        }
    }

    /**
     * Condition {@code CountersReachable} for a policy whose sidecars count in Redis, from the operator's own check;
     * removed otherwise. Reporting only: the sidecars' fail mode decides calls, whatever this says.
     */
    private static void counters(Observation seen, McpPolicyStatus previous, McpPolicyStatus status, Long generation, Instant now,
            List<Event> events) {
        CounterStoreCheck.Result result = seen.counters();
        if (result == null) {
            status.setConditions(StatusConditions.remove(status.getConditions(), StatusConditions.COUNTERS_REACHABLE));
            return;
        }
        status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.COUNTERS_REACHABLE, result.reachable(),
                result.reason(), result.message(), generation, now));
        var before = StatusConditions.find(previous.getConditions(), StatusConditions.COUNTERS_REACHABLE);
        if (!result.reachable() && (before == null || !result.reason().equals(before.getReason()))) {
            events.add(new Event("CountersUnreachable", result.message()));
        }
    }

    private static boolean sameCondition(McpPolicyStatus previous, McpPolicyStatus current, String type) {
        var before = StatusConditions.find(previous.getConditions(), type);
        var after = StatusConditions.find(current.getConditions(), type);
        return before != null && after != null && before.getStatus().equals(after.getStatus())
                && Objects.equals(before.getMessage(), after.getMessage());
    }

    private static McpPolicyStatus copy(McpPolicyStatus from) {
        McpPolicyStatus to = new McpPolicyStatus();
        to.setObservedGeneration(from.getObservedGeneration());
        to.setConditions(from.getConditions());
        to.setPolicyHash(from.getPolicyHash());
        to.setConfigMapName(from.getConfigMapName());
        to.setToolCount(from.getToolCount());
        to.setIdentityMode(from.getIdentityMode());
        to.setPodsWithSidecar(from.getPodsWithSidecar());
        to.setPodsWithoutSidecar(from.getPodsWithoutSidecar());
        to.setPodsGovernedByOthers(from.getPodsGovernedByOthers());
        to.setBypassingServices(from.getBypassingServices());
        to.setOverlappingPolicies(from.getOverlappingPolicies());
        to.setRestartedWorkloads(from.getRestartedWorkloads());
        to.setBaselines(from.getBaselines());
        to.setNetworkPolicyName(from.getNetworkPolicyName());
        to.setReopeningNetworkPolicies(from.getReopeningNetworkPolicies());
        return to;
    }
}
