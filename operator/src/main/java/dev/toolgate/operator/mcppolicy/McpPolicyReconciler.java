package dev.toolgate.operator.mcppolicy;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;


import dev.toolgate.operator.KubernetesEvents;
import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.policy.PolicyDocument;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Validates each McpPolicy with the policy engine, renders the accepted document into its ConfigMap and reports
 * how well the selected pods are protected. A rejected update leaves the last accepted ConfigMap in place.
 */
@ControllerConfiguration(name = "mcppolicy")
public class McpPolicyReconciler implements Reconciler<McpPolicy> {

    private static final Logger LOG = Logger.getLogger(McpPolicyReconciler.class);

    private final KubernetesClient client;
    private final KubernetesEvents events;
    private final WorkloadRestarter restarter;
    private final MeterRegistry meters;
    private final Clock clock = Clock.systemUTC();
    private final dev.toolgate.operator.injection.WebhookServer webhook;
    private final CounterStoreChecks counterChecks;

    private InformerEventSource<ConfigMap, McpPolicy> configMaps;
    private InformerEventSource<Pod, McpPolicy> pods;
    private InformerEventSource<Service, McpPolicy> services;

    public McpPolicyReconciler(KubernetesClient client, KubernetesEvents events, WorkloadRestarter restarter, MeterRegistry meters,
            dev.toolgate.operator.injection.WebhookServer webhook, CounterStoreChecks counterChecks) {
        this.webhook = webhook;
        this.counterChecks = counterChecks;
        this.client = client;
        this.events = events;
        this.restarter = restarter;
        this.meters = meters;
    }

    @Override
    public List<EventSource<?, McpPolicy>> prepareEventSources(EventSourceContext<McpPolicy> context) {
        configMaps = new InformerEventSource<>(InformerEventSourceConfiguration.from(ConfigMap.class, McpPolicy.class)
                .withName("policy-configmaps")
                .withLabelSelector(ToolgateNames.MANAGED_BY_LABEL + "=" + ToolgateNames.MANAGED_BY_VALUE)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(McpPolicy.class))
                .build(), context);
        // Pods and Services map to every policy of their namespace that could care; the reconciler filters by selector.
        pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, McpPolicy.class)
                .withName("selected-pods")
                .withSecondaryToPrimaryMapper((Pod pod) -> policiesSelecting(context, pod))
                .build(), context);
        services = new InformerEventSource<>(InformerEventSourceConfiguration.from(Service.class, McpPolicy.class)
                .withName("namespace-services")
                .withSecondaryToPrimaryMapper((Service service) -> context.getPrimaryCache()
                        .list(service.getMetadata().getNamespace())
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
        return List.of(configMaps, pods, services);
    }

    private static java.util.Set<ResourceID> policiesSelecting(EventSourceContext<McpPolicy> context, Pod pod) {
        return context.getPrimaryCache().list(pod.getMetadata().getNamespace())
                .filter(p -> p.getSpec() != null && LabelSelectors.matches(p.getSpec().getPodSelector(), pod.getMetadata().getLabels()))
                .map(ResourceID::fromResource)
                .collect(Collectors.toSet());
    }

    @Override
    public UpdateControl<McpPolicy> reconcile(McpPolicy policy, Context<McpPolicy> context) {
        String namespace = policy.getMetadata().getNamespace();
        String name = policy.getMetadata().getName();
        McpPolicyStatus previous = policy.getStatus() == null ? new McpPolicyStatus() : policy.getStatus();
        McpPolicyStatus status = new McpPolicyStatus();
        status.setConditions(previous.getConditions());
        status.setObservedGeneration(policy.getMetadata().getGeneration());
        status.setConfigMapName(ToolgateNames.configMapName(name));
        status.setToolCount(policy.getSpec().getTools() == null ? 0 : policy.getSpec().getTools().size());
        Instant now = clock.instant();
        Long generation = policy.getMetadata().getGeneration();

        ConfigMap existing = configMaps.get(new ResourceID(ToolgateNames.configMapName(name), namespace)).orElse(null);
        String servedHash = existing == null || existing.getMetadata().getAnnotations() == null ? null
                : existing.getMetadata().getAnnotations().get(ToolgateNames.POLICY_HASH_ANNOTATION);

        status.setIdentityMode(IdentityValidation.mode(policy.getSpec().getIdentity()));
        PolicyValidation.Result validation = PolicyValidation.validate(policy.getSpec());
        List<String> problems = validation.problems();
        PolicyDocument document = validation.document();
        if (problems.isEmpty()) {
            ConfigMap desired = PolicyConfigMapFactory.create(policy, document.canonicalJson(), document.hash(), webhook.caBundlePem());
            if (!PolicyConfigMapFactory.matches(existing, desired)) {
                client.configMaps().inNamespace(namespace).resource(desired).createOr(op -> op.update());
                LOG.infof("Rendered policy %s/%s into ConfigMap %s (hash %s)", namespace, name, desired.getMetadata().getName(),
                        document.hash());
            }
            status.setPolicyHash(document.hash());
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.ACCEPTED, true, "Valid",
                    "The policy is valid.", generation, now));
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.READY, true, "ConfigMapRendered",
                    "ConfigMap " + desired.getMetadata().getName() + " holds policy " + document.hash() + ".", generation, now));
            meters.counter("toolgate.operator.reconciles", "result", "accepted").increment();
        } else {
            String message = String.join("; ", problems);
            status.setPolicyHash(servedHash);
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.ACCEPTED, false, "Invalid",
                    message, generation, now));
            status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.READY, false,
                    servedHash == null ? "NoAcceptedPolicy" : "LastAcceptedPolicyInEffect",
                    servedHash == null ? "No version of this policy has been accepted; selected pods cannot start their sidecar."
                            : "Pods keep enforcing the last accepted policy " + servedHash + " from ConfigMap "
                                    + status.getConfigMapName() + ".",
                    generation, now));
            if (!sameCondition(previous, status, StatusConditions.ACCEPTED)) {
                events.warning(policy, "PolicyRejected", message);
            }
            meters.counter("toolgate.operator.reconciles", "result", "rejected").increment();
        }

        List<McpPolicy> policiesInNamespace = context.getPrimaryCache().list(namespace).toList();
        ProtectionReport report = ProtectionReport.of(policy,
                pods.list(namespace, p -> true).toList(),
                services.list(namespace, s -> true).toList(),
                policiesInNamespace);
        status.setPodsWithSidecar(report.protectedPods().size());
        status.setPodsWithoutSidecar(report.unprotectedPods().size());
        status.setBypassingServices(report.bypassingServices().isEmpty() ? null : report.bypassingServices());
        status.setOverlappingPolicies(report.overlappingPolicies().isEmpty() ? null : report.overlappingPolicies());
        reportProtection(policy, previous, status, report, policiesInNamespace);
        boolean redis = reportCounters(policy, previous, status, generation, now);

        UpdateControl<McpPolicy> control;
        if (status.equals(policy.getStatus())) {
            control = UpdateControl.noUpdate();
        } else {
            policy.setStatus(status);
            control = UpdateControl.patchStatus(policy);
        }
        // a Redis that breaks (or heals) while nothing else changes is still seen: each such policy is checked again
        return redis ? control.rescheduleAfter(counterChecks.interval()) : control;
    }

    private void reportProtection(McpPolicy policy, McpPolicyStatus previous, McpPolicyStatus status, ProtectionReport report,
            List<McpPolicy> policiesInNamespace) {
        boolean restartWanted = Boolean.TRUE.equals(policy.getSpec().getRestartUnprotected());
        String advice = restartWanted ? "; spec.restartUnprotected is set but workload restarts are off in this installation (chart"
                + " value workloadRestarts.enabled)" : "; restart them once the webhook would inject them (spec.restartUnprotected can do it)";
        if (restartWanted && restarter.enabled() && !report.unprotectedPods().isEmpty()) {
            WorkloadRestarter.Outcome outcome = restarter.restartOwners(policy, report.unprotectedPods(), policiesInNamespace);
            status.setRestartedWorkloads(outcome.restartedWorkloads().isEmpty() ? null : outcome.restartedWorkloads());
            advice = (outcome.restartedWorkloads().isEmpty() ? "" : "; restarted for their current pod template: "
                    + String.join(", ", outcome.restartedWorkloads()))
                    + (outcome.notRestartable().isEmpty() ? "" : "; a restart would not protect: " + String.join(", ", outcome.notRestartable()));
        }
        if (!report.unprotectedPods().isEmpty() && !status.getPodsWithoutSidecar().equals(previous.getPodsWithoutSidecar())) {
            events.warning(policy, "UnprotectedPods", report.unprotectedPods().size() + " selected pod(s) run without the sidecar: "
                    + report.unprotectedPods().stream().map(p -> p.getMetadata().getName()).collect(Collectors.joining(", ")) + advice + ".");
        }
        if (status.getBypassingServices() != null && !status.getBypassingServices().equals(previous.getBypassingServices())) {
            events.warning(policy, "SidecarBypassed", "Service(s) " + String.join(", ", status.getBypassingServices())
                    + " target the MCP port by number and bypass the sidecar; target the port by name instead.");
        }
        if (status.getOverlappingPolicies() != null && !status.getOverlappingPolicies().equals(previous.getOverlappingPolicies())) {
            events.warning(policy, "OverlappingPolicies", "Pods selected by this policy are also selected by "
                    + String.join(", ", status.getOverlappingPolicies()) + "; the oldest policy (then by name) is injected.");
        }
    }

    /**
     * Condition {@code CountersReachable} for a policy whose sidecars count in Redis (its {@code spec.rateLimits}, else the
     * operator's default), from the operator's own check; removed otherwise. Reporting only: the sidecars' fail mode
     * decides calls, whatever this says. Returns whether the policy counts in Redis.
     */
    private boolean reportCounters(McpPolicy policy, McpPolicyStatus previous, McpPolicyStatus status, Long generation, Instant now) {
        RedisCounters redis = counterChecks.redisOf(policy.getSpec());
        if (redis == null) {
            status.setConditions(StatusConditions.remove(status.getConditions(), StatusConditions.COUNTERS_REACHABLE));
            return false;
        }
        CounterStoreCheck.Result result = counterChecks.latest(policy, redis, now);
        status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.COUNTERS_REACHABLE, result.reachable(),
                result.reason(), result.message(), generation, now));
        var before = StatusConditions.find(previous.getConditions(), StatusConditions.COUNTERS_REACHABLE);
        if (!result.reachable() && (before == null || !result.reason().equals(before.getReason()))) {
            events.warning(policy, "CountersUnreachable", result.message());
            LOG.warnf("McpPolicy %s/%s: %s", policy.getMetadata().getNamespace(), policy.getMetadata().getName(), result.message());
        }
        return true;
    }

    private static boolean sameCondition(McpPolicyStatus previous, McpPolicyStatus current, String type) {
        var before = StatusConditions.find(previous.getConditions(), type);
        var after = StatusConditions.find(current.getConditions(), type);
        return before != null && after != null && before.getStatus().equals(after.getStatus())
                && java.util.Objects.equals(before.getMessage(), after.getMessage());
    }

    @Override
    public ErrorStatusUpdateControl<McpPolicy> updateErrorStatus(McpPolicy policy, Context<McpPolicy> context, Exception e) {
        LOG.errorf(e, "Reconciling McpPolicy %s/%s failed", policy.getMetadata().getNamespace(), policy.getMetadata().getName());
        meters.counter("toolgate.operator.reconciles", "result", "error").increment();
        McpPolicyStatus status = policy.getStatus() == null ? new McpPolicyStatus() : policy.getStatus();
        status.setConditions(StatusConditions.set(status.getConditions(), StatusConditions.READY, false, "ReconcileError",
                String.valueOf(e.getMessage()), policy.getMetadata().getGeneration(), clock.instant()));
        policy.setStatus(status);
        return ErrorStatusUpdateControl.patchStatus(policy);
    }


}
