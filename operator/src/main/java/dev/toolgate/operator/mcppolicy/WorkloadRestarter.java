package dev.toolgate.operator.mcppolicy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.jboss.logging.Logger;

import dev.toolgate.operator.KubernetesEvents;
import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Rollout-restarts the Deployments and StatefulSets owning unprotected pods, as {@code kubectl rollout restart} does:
 * a pod-template annotation change. A workload restarted recently is left alone so an injection that keeps failing
 * cannot turn into a restart loop.
 */
@ApplicationScoped
public class WorkloadRestarter {

    private static final Logger LOG = Logger.getLogger(WorkloadRestarter.class);
    static final Duration MIN_INTERVAL = Duration.ofMinutes(10);

    private final KubernetesClient client;
    private final KubernetesEvents events;
    private final Clock clock = Clock.systemUTC();

    public WorkloadRestarter(KubernetesClient client, KubernetesEvents events) {
        this.client = client;
        this.events = events;
    }

    public void restartOwners(McpPolicy policy, List<Pod> unprotectedPods) {
        String namespace = policy.getMetadata().getNamespace();
        Set<String> workloads = new LinkedHashSet<>();
        for (Pod pod : unprotectedPods) {
            if ("false".equals(annotation(pod, ToolgateNames.INJECT_ANNOTATION))) {
                continue;
            }
            OwnerReference owner = controller(pod.getMetadata().getOwnerReferences());
            if (owner == null) {
                continue;
            }
            if ("ReplicaSet".equals(owner.getKind())) {
                ReplicaSet rs = client.apps().replicaSets().inNamespace(namespace).withName(owner.getName()).get();
                OwnerReference deployment = rs == null ? null : controller(rs.getMetadata().getOwnerReferences());
                if (deployment != null && "Deployment".equals(deployment.getKind())) {
                    workloads.add("deployments/" + deployment.getName());
                }
            } else if ("StatefulSet".equals(owner.getKind())) {
                workloads.add("statefulsets/" + owner.getName());
            }
        }
        for (String workload : workloads) {
            restart(policy, namespace, workload);
        }
    }

    private void restart(McpPolicy policy, String namespace, String workload) {
        String[] kindAndName = workload.split("/", 2);
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        try {
            var template = kindAndName[0].equals("deployments")
                    ? client.apps().deployments().inNamespace(namespace).withName(kindAndName[1]).get().getSpec().getTemplate()
                    : client.apps().statefulSets().inNamespace(namespace).withName(kindAndName[1]).get().getSpec().getTemplate();
            String last = template.getMetadata() == null || template.getMetadata().getAnnotations() == null ? null
                    : template.getMetadata().getAnnotations().get(ToolgateNames.RESTARTED_AT_ANNOTATION);
            if (last != null && Instant.parse(last).plus(MIN_INTERVAL).isAfter(now)) {
                return;
            }
            String patch = "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"" + ToolgateNames.RESTARTED_AT_ANNOTATION
                    + "\":\"" + now + "\"}}}}}";
            PatchContext merge = PatchContext.of(PatchType.JSON_MERGE);
            if (kindAndName[0].equals("deployments")) {
                client.apps().deployments().inNamespace(namespace).withName(kindAndName[1]).patch(merge, patch);
            } else {
                client.apps().statefulSets().inNamespace(namespace).withName(kindAndName[1]).patch(merge, patch);
            }
            events.normal(policy, "RestartedUnprotected", "Restarted " + workload + " so its pods come back with the sidecar.");
            LOG.infof("Restarted %s/%s for McpPolicy %s", namespace, workload, policy.getMetadata().getName());
        } catch (KubernetesClientException | NullPointerException e) {
            LOG.warnf("Could not restart %s/%s: %s", namespace, workload, e.getMessage());
        }
    }

    private static OwnerReference controller(List<OwnerReference> owners) {
        return owners == null ? null : owners.stream().filter(o -> Boolean.TRUE.equals(o.getController())).findFirst().orElse(null);
    }

    private static String annotation(Pod pod, String key) {
        return pod.getMetadata().getAnnotations() == null ? null : pod.getMetadata().getAnnotations().get(key);
    }
}
