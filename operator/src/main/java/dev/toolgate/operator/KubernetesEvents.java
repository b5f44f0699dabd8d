package dev.toolgate.operator;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.UUID;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;

/** Records Kubernetes Events about a resource; failing to record one is logged, never fatal. */
@ApplicationScoped
public class KubernetesEvents {

    private static final Logger LOG = Logger.getLogger(KubernetesEvents.class);

    private final KubernetesClient client;

    public KubernetesEvents(KubernetesClient client) {
        this.client = client;
    }

    public void warning(HasMetadata about, String reason, String message) {
        record(about, "Warning", reason, message);
    }

    public void normal(HasMetadata about, String reason, String message) {
        record(about, "Normal", reason, message);
    }

    private void record(HasMetadata about, String type, String reason, String message) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        // a cluster-scoped object's Events go to "default", as kubectl describe looks for them
        String namespace = about.getMetadata().getNamespace() == null ? "default" : about.getMetadata().getNamespace();
        try {
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata()
                    .withName(about.getMetadata().getName() + "." + UUID.randomUUID().toString().replace("-", "").substring(0, 16))
                    .withNamespace(namespace)
                    .endMetadata()
                    .withNewInvolvedObject()
                    .withApiVersion(about.getApiVersion())
                    .withKind(about.getKind())
                    .withName(about.getMetadata().getName())
                    .withNamespace(about.getMetadata().getNamespace())
                    .withUid(about.getMetadata().getUid())
                    .withResourceVersion(about.getMetadata().getResourceVersion())
                    .endInvolvedObject()
                    .withType(type)
                    .withReason(reason)
                    .withMessage(message.length() > 1024 ? message.substring(0, 1021) + "..." : message)
                    .withCount(1)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withNewSource(ToolgateNames.MANAGED_BY_VALUE, null)
                    .withReportingComponent(ToolgateNames.MANAGED_BY_VALUE)
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("Could not record %s event %s on %s %s/%s: %s", type.toLowerCase(Locale.ROOT), reason, about.getKind(),
                    about.getMetadata().getNamespace(), about.getMetadata().getName(), e.getMessage());
        }
    }
}
