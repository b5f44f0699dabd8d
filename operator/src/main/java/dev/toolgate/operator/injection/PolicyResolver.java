package dev.toolgate.operator.injection;

import java.util.List;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** The McpPolicies of a namespace, from an informer cache so admission never waits on the API server. */
@ApplicationScoped
public class PolicyResolver {

    private final KubernetesClient client;
    private volatile SharedIndexInformer<McpPolicy> informer;

    public PolicyResolver(KubernetesClient client) {
        this.client = client;
    }

    /** Starts the informer and waits for its first list, so the webhook never answers from an empty cache. */
    public synchronized void start() {
        if (informer == null) {
            SharedIndexInformer<McpPolicy> started = client.resources(McpPolicy.class).inAnyNamespace().runnableInformer(0);
            started.start().toCompletableFuture().join();
            informer = started;
        }
    }

    public List<McpPolicy> policiesIn(String namespace) {
        SharedIndexInformer<McpPolicy> current = informer;
        if (current == null) {
            throw new IllegalStateException("McpPolicy informer is not running");
        }
        return current.getStore().list().stream().filter(p -> namespace.equals(p.getMetadata().getNamespace())).toList();
    }

    /** Every McpPolicy in the cache; empty before the informer's first list. */
    public List<McpPolicy> all() {
        SharedIndexInformer<McpPolicy> current = informer;
        return current == null ? List.of() : current.getStore().list();
    }

    void stop(@Observes ShutdownEvent event) {
        if (informer != null) {
            informer.close();
        }
    }
}
