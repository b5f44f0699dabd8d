package dev.toolgate.operator.mcppolicy;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import org.jboss.logging.Logger;


import dev.toolgate.operator.KubernetesEvents;
import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.OperatorConfig;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.baseline.Baselines;
import dev.toolgate.operator.baseline.McpClusterPolicy;
import dev.toolgate.operator.baseline.McpNamespacePolicy;
import dev.toolgate.policy.PolicyDocument;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
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
    private final boolean networkPoliciesEnabled;
    private final int proxyPort;

    private InformerEventSource<ConfigMap, McpPolicy> configMaps;
    private InformerEventSource<Pod, McpPolicy> pods;
    private InformerEventSource<Service, McpPolicy> services;
    private InformerEventSource<McpClusterPolicy, McpPolicy> clusterBaselines;
    private InformerEventSource<McpNamespacePolicy, McpPolicy> namespaceBaselines;
    private InformerEventSource<Namespace, McpPolicy> namespaces;
    private InformerEventSource<McpPolicy, McpPolicy> peers;
    /** Only with {@code network-policies.enabled}: without it the operator has no RBAC on NetworkPolicies. */
    private InformerEventSource<NetworkPolicy, McpPolicy> networkPolicies;

    public McpPolicyReconciler(KubernetesClient client, KubernetesEvents events, WorkloadRestarter restarter, MeterRegistry meters,
            dev.toolgate.operator.injection.WebhookServer webhook, CounterStoreChecks counterChecks, OperatorConfig config) {
        this.networkPoliciesEnabled = config.networkPolicies().enabled();
        this.proxyPort = config.sidecar().proxyPort();
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
        // Baselines: a cluster one may apply to any namespace (its selector decides, and namespace labels change), a
        // namespace one to the policies of its namespace; each change re-renders the policies it could touch.
        clusterBaselines = new InformerEventSource<>(InformerEventSourceConfiguration.from(McpClusterPolicy.class, McpPolicy.class)
                .withName("cluster-baselines")
                .withSecondaryToPrimaryMapper((McpClusterPolicy baseline) -> context.getPrimaryCache().list()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
        namespaceBaselines = new InformerEventSource<>(InformerEventSourceConfiguration.from(McpNamespacePolicy.class, McpPolicy.class)
                .withName("namespace-baselines")
                .withSecondaryToPrimaryMapper((McpNamespacePolicy baseline) -> context.getPrimaryCache()
                        .list(baseline.getMetadata().getNamespace())
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
        namespaces = new InformerEventSource<>(InformerEventSourceConfiguration.from(Namespace.class, McpPolicy.class)
                .withName("policy-namespaces")
                .withSecondaryToPrimaryMapper((Namespace namespace) -> context.getPrimaryCache()
                        .list(namespace.getMetadata().getName())
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
        // Which policy governs a pod depends on the other policies of its namespace: a policy created, edited or deleted
        // re-reconciles the others there (status changes do not, so two policies cannot wake each other forever).
        peers = new InformerEventSource<>(InformerEventSourceConfiguration.from(McpPolicy.class, McpPolicy.class)
                .withName("namespace-policies")
                .withOnUpdateFilter((newer, older) -> !java.util.Objects.equals(newer.getMetadata().getGeneration(),
                        older.getMetadata().getGeneration()))
                .withSecondaryToPrimaryMapper((McpPolicy changed) -> context.getPrimaryCache()
                        .list(changed.getMetadata().getNamespace())
                        .filter(p -> !p.getMetadata().getName().equals(changed.getMetadata().getName()))
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
        if (!networkPoliciesEnabled) {
            return List.of(configMaps, pods, services, clusterBaselines, namespaceBaselines, namespaces, peers);
        }
        // every NetworkPolicy: the policy's own (written back when edited), and others that would reopen its MCP port
        networkPolicies = new InformerEventSource<>(InformerEventSourceConfiguration.from(NetworkPolicy.class, McpPolicy.class)
                .withName("namespace-networkpolicies")
                .withSecondaryToPrimaryMapper((NetworkPolicy np) -> context.getPrimaryCache()
                        .list(np.getMetadata().getNamespace())
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .build(), context);
        return List.of(configMaps, pods, services, clusterBaselines, namespaceBaselines, namespaces, peers, networkPolicies);
    }

    /** The baselines this policy is layered under, in the order they are combined. */
    private List<Baselines.Applicable> baselinesOf(McpPolicy policy) {
        String namespace = policy.getMetadata().getNamespace();
        Namespace ns = namespaces.get(new ResourceID(namespace)).orElse(null);
        java.util.Map<String, String> labels = ns == null || ns.getMetadata().getLabels() == null ? java.util.Map.of()
                : ns.getMetadata().getLabels();
        return Baselines.applicableTo(namespace, labels, clusterBaselines.list(b -> true).toList(),
                namespaceBaselines.list(namespace, b -> true).toList());
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
        Instant now = clock.instant();

        // 1. render (pure): the engine's validation, layered under the baselines that apply, and the document when it passes
        List<Baselines.Applicable> baselines = baselinesOf(policy);
        PolicyValidation.Result validation = PolicyValidation.validate(policy.getSpec(), baselines);
        ConfigMap existing = configMaps.get(new ResourceID(ToolgateNames.configMapName(name), namespace)).orElse(null);
        String servedHash = existing == null || existing.getMetadata().getAnnotations() == null ? null
                : existing.getMetadata().getAnnotations().get(ToolgateNames.POLICY_HASH_ANNOTATION);

        // 2. write the ConfigMap, by hand: a JOSDK dependent would reconcile it to "absent" on a rejected spec, deleting
        //    the last good policy that running sidecars still enforce.
        if (validation.problems().isEmpty()) {
            PolicyDocument document = validation.document();
            ConfigMap desired = PolicyConfigMapFactory.create(policy, document.canonicalJson(), document.hash(), webhook.caBundlePem());
            if (!PolicyConfigMapFactory.matches(existing, desired)) {
                client.configMaps().inNamespace(namespace).resource(desired).createOr(op -> op.update());
                LOG.infof("Rendered policy %s/%s into ConfigMap %s (hash %s)", namespace, name, desired.getMetadata().getName(),
                        document.hash());
            }
            meters.counter("toolgate.operator.reconciles", "result", "accepted").increment();
        } else {
            meters.counter("toolgate.operator.reconciles", "result", "rejected").increment();
        }

        // 3. observe the selected pods this policy governs (and restart their workloads where asked and allowed; pods another
        //    policy governs are never this policy's to restart) and the policy's Redis
        // from the informer whose events re-reconcile a policy's peers: when one wakes this reconcile, its cache already
        // holds the change (the primary cache may not yet)
        List<McpPolicy> policiesInNamespace = peers.list(namespace, p -> true).toList();
        ProtectionReport report = ProtectionReport.of(policy, pods.list(namespace, p -> true).toList(),
                services.list(namespace, s -> true).toList(), policiesInNamespace);
        boolean restartWanted = Boolean.TRUE.equals(policy.getSpec().getRestartUnprotected());
        WorkloadRestarter.Outcome restart = restartWanted && restarter.enabled() && !report.unprotectedPods().isEmpty()
                ? restarter.restartOwners(policy, report.unprotectedPods(), policiesInNamespace) : null;
        // with network policies on, the selected pods' ingress is closed to all but their declared ports (not the MCP
        // port); like the ConfigMap, a rejected spec leaves the last one in place
        List<Pod> governed = new java.util.ArrayList<>(report.protectedPods());
        governed.addAll(report.unprotectedPods());
        String networkPolicy = networkPoliciesEnabled ? writeNetworkPolicy(policy, governed, validation.problems().isEmpty()) : null;
        List<String> reopening = networkPolicy == null ? List.of() : PolicyNetworkPolicyFactory.reopening(policy, governed,
                networkPolicies.list(namespace, np -> true).toList());
        RedisCounters redis = counterChecks.redisOf(policy.getSpec());
        CounterStoreCheck.Result counters = redis == null ? null : counterChecks.latest(policy, redis, now);

        // 4. the status and its Events (pure), then record them
        McpPolicyStatusFactory.Update update = McpPolicyStatusFactory.of(new McpPolicyStatusFactory.Observation(policy, validation,
                servedHash, report, restart, restartWanted, counters, networkPolicy, reopening, now));
        for (McpPolicyStatusFactory.Event event : update.events()) {
            events.warning(policy, event.reason(), event.message());
            if (event.reason().equals("CountersUnreachable")) {
                LOG.warnf("McpPolicy %s/%s: %s", namespace, name, event.message());
            }
        }
        update.status().setBaselines(baselines.isEmpty() ? null : baselines.stream().map(Baselines.Applicable::source).toList());
        UpdateControl<McpPolicy> control;
        if (update.status().equals(policy.getStatus())) {
            control = UpdateControl.noUpdate();
        } else {
            policy.setStatus(update.status());
            control = UpdateControl.patchStatus(policy);
        }
        // a Redis that breaks (or heals) while nothing else changes is still seen: each such policy is checked again
        return redis != null ? control.rescheduleAfter(counterChecks.interval()) : control;
    }

    /**
     * Creates or updates the policy's NetworkPolicy over the pods it governs when its spec is accepted; its name, or null
     * when there is none.
     */
    private String writeNetworkPolicy(McpPolicy policy, List<Pod> governed, boolean accepted) {
        String namespace = policy.getMetadata().getNamespace();
        String name = ToolgateNames.networkPolicyName(policy.getMetadata().getName());
        NetworkPolicy existing = networkPolicies.get(new ResourceID(name, namespace)).orElse(null);
        if (!accepted) {
            return existing == null ? null : name;
        }
        NetworkPolicy desired = PolicyNetworkPolicyFactory.create(policy, governed, proxyPort);
        if (!PolicyNetworkPolicyFactory.matches(existing, desired)) {
            client.network().v1().networkPolicies().inNamespace(namespace).resource(desired).createOr(op -> op.update());
            LOG.infof("NetworkPolicy %s/%s: ingress only on %s", namespace, name, desired.getSpec().getIngress().get(0).getPorts().stream()
                    .map(p -> p.getPort().getIntVal() + "/" + p.getProtocol()).collect(Collectors.joining(", ")));
        }
        return name;
    }

    @Override
    public ErrorStatusUpdateControl<McpPolicy> updateErrorStatus(McpPolicy policy, Context<McpPolicy> context, Exception e) {
        LOG.errorf(e, "Reconciling McpPolicy %s/%s failed", policy.getMetadata().getNamespace(), policy.getMetadata().getName());
        meters.counter("toolgate.operator.reconciles", "result", "error").increment();
        policy.setStatus(McpPolicyStatusFactory.failed(policy, e.getMessage(), clock.instant()));
        return ErrorStatusUpdateControl.patchStatus(policy);
    }


}
