package dev.toolgate.operator.mcppolicy;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import dev.toolgate.operator.KubernetesEvents;
import dev.toolgate.operator.OperatorConfig;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.injection.InjectionDecision;
import dev.toolgate.operator.injection.InjectionScope;
import dev.toolgate.operator.injection.SidecarSettings;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code spec.restartUnprotected}: rollout-restarts (a pod-template annotation, as {@code kubectl rollout restart}) the
 * Deployments and StatefulSets owning unprotected pods that the webhook would inject if they were created now
 * ({@link InjectionDecision#ofNewPod}, the webhook's own decision plus the installed webhook configuration's selectors),
 * once per pod template ({@link RestartOnce}). Off unless the installation enables workload restarts.
 */
@ApplicationScoped
public class WorkloadRestarter {

    private static final Logger LOG = Logger.getLogger(WorkloadRestarter.class);

    /** What happened to a policy's unprotected pods: workloads as {@code deployments/name}, pods as {@code name (reason)}. */
    public record Outcome(List<String> restarted, List<String> restartedBefore, List<String> notRestartable) {

        /** Restarted for their current template, now or before, and still owning unprotected pods. */
        public List<String> restartedWorkloads() {
            List<String> all = new ArrayList<>(restartedBefore);
            all.addAll(restarted);
            return all.stream().sorted().toList();
        }
    }

    private final KubernetesClient client;
    private final KubernetesEvents events;
    private final boolean enabled;
    private final SidecarSettings settings;
    private final Clock clock = Clock.systemUTC();
    /** Workload uid + template hash already reported as not protected by its restart, so the Event is sent once. */
    private final Set<String> reportedIneffective = ConcurrentHashMap.newKeySet();

    public WorkloadRestarter(KubernetesClient client, KubernetesEvents events, OperatorConfig config) {
        this.client = client;
        this.events = events;
        this.enabled = config.workloadRestarts().enabled();
        // Whether the sidecar runs as a native sidecar, and where it reaches the approval API, play no part in whether a
        // pod is injected or refused.
        this.settings = SidecarSettings.from(config.sidecar(), true, "");
    }

    public boolean enabled() {
        return enabled;
    }

    public Outcome restartOwners(McpPolicy policy, List<Pod> unprotectedPods, Collection<McpPolicy> policiesInNamespace) {
        String namespace = policy.getMetadata().getNamespace();
        InjectionScope scope;
        Map<String, String> namespaceLabels;
        try {
            scope = InjectionScope.of(client.admissionRegistration().v1().mutatingWebhookConfigurations()
                    .withName(ToolgateNames.WEBHOOK_CONFIGURATION).get());
            Namespace ns = client.namespaces().withName(namespace).get();
            namespaceLabels = ns == null || ns.getMetadata().getLabels() == null ? Map.of() : ns.getMetadata().getLabels();
        } catch (KubernetesClientException e) {
            // Without the webhook's selectors nobody can say a restart would help: restart nothing.
            LOG.warnf("Not restarting workloads for McpPolicy %s/%s: %s", namespace, policy.getMetadata().getName(), e.getMessage());
            return new Outcome(List.of(), List.of(), unprotectedPods.stream()
                    .map(p -> p.getMetadata().getName() + " (webhook_configuration_unreadable)").toList());
        }

        List<String> notRestartable = new ArrayList<>();
        Map<String, List<Pod>> podsByWorkload = new LinkedHashMap<>();
        for (Pod pod : unprotectedPods) {
            InjectionDecision decision = InjectionDecision.ofNewPod(scope, namespaceLabels, pod, policiesInNamespace, settings);
            String workload = decision.inject() ? workloadOf(namespace, pod) : null;
            if (!decision.inject()) {
                notRestartable.add(pod.getMetadata().getName() + " (" + decision.reason().label() + ")");
            } else if (workload == null) {
                notRestartable.add(pod.getMetadata().getName() + " (no_deployment_or_statefulset)");
            } else {
                podsByWorkload.computeIfAbsent(workload, w -> new ArrayList<>()).add(pod);
            }
        }
        List<String> restarted = new ArrayList<>();
        List<String> restartedBefore = new ArrayList<>();
        podsByWorkload.forEach((workload, pods) -> {
            try {
                if (restartOnce(policy, namespace, workload, pods)) {
                    restarted.add(workload);
                } else {
                    restartedBefore.add(workload);
                }
            } catch (KubernetesClientException e) {
                LOG.warnf("Could not restart %s/%s: %s", namespace, workload, e.getMessage());
            }
        });
        return new Outcome(restarted, restartedBefore, notRestartable);
    }

    /** Restarts the workload unless it was restarted for its current template already; true when it restarted it. */
    private boolean restartOnce(McpPolicy policy, String namespace, String workload, List<Pod> pods) {
        boolean deployment = workload.startsWith("deployments/");
        String name = workload.substring(workload.indexOf('/') + 1);
        HasMetadata object = deployment ? client.apps().deployments().inNamespace(namespace).withName(name).get()
                : client.apps().statefulSets().inNamespace(namespace).withName(name).get();
        if (object == null) {
            throw new KubernetesClientException(workload + " not found");
        }
        PodTemplateSpec template = object instanceof Deployment d ? d.getSpec().getTemplate() : ((StatefulSet) object).getSpec().getTemplate();
        if (RestartOnce.alreadyRestarted(object.getMetadata().getAnnotations(), template)) {
            List<String> fromRestart = pods.stream().filter(p -> RestartOnce.createdByTheRestart(p, template))
                    .map(p -> p.getMetadata().getName()).toList();
            if (!fromRestart.isEmpty() && reportedIneffective.add(object.getMetadata().getUid() + "/" + RestartOnce.templateHash(template))) {
                events.warning(policy, "RestartDidNotProtect", workload + " was restarted for its current pod template, yet its new pod(s) "
                        + String.join(", ", fromRestart) + " run without the sidecar; it is not restarted again until its pod template"
                        + " changes. Check the webhook (operator logs, toolgate_operator_admission_requests_total) and the pods' Events.");
            }
            return false;
        }
        String patch = RestartOnce.patch(template, clock.instant().truncatedTo(ChronoUnit.SECONDS));
        PatchContext merge = PatchContext.of(PatchType.JSON_MERGE);
        if (deployment) {
            client.apps().deployments().inNamespace(namespace).withName(name).patch(merge, patch);
        } else {
            client.apps().statefulSets().inNamespace(namespace).withName(name).patch(merge, patch);
        }
        events.normal(policy, "RestartedUnprotected", "Restarted " + workload + " so its pods come back with the sidecar (once for this"
                + " pod template).");
        LOG.infof("Restarted %s/%s for McpPolicy %s", namespace, workload, policy.getMetadata().getName());
        return true;
    }

    /** deployments/name or statefulsets/name of the pod's controlling workload, or null. */
    private String workloadOf(String namespace, Pod pod) {
        OwnerReference owner = controller(pod.getMetadata().getOwnerReferences());
        if (owner == null) {
            return null;
        }
        if ("StatefulSet".equals(owner.getKind())) {
            return "statefulsets/" + owner.getName();
        }
        if (!"ReplicaSet".equals(owner.getKind())) {
            return null;
        }
        ReplicaSet rs = client.apps().replicaSets().inNamespace(namespace).withName(owner.getName()).get();
        OwnerReference deployment = rs == null ? null : controller(rs.getMetadata().getOwnerReferences());
        return deployment != null && "Deployment".equals(deployment.getKind()) ? "deployments/" + deployment.getName() : null;
    }

    private static OwnerReference controller(List<OwnerReference> owners) {
        return owners == null ? null : owners.stream().filter(o -> Boolean.TRUE.equals(o.getController())).findFirst().orElse(null);
    }
}
