package dev.toolgate.operator.mcppolicy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.toolgate.operator.injection.PolicyResolver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * {@code toolgate_operator_unprotected_pods{policy_namespace, policy}}: the pods each McpPolicy selects that run without the
 * sidecar, as its status reports them ({@code podsWithoutSidecar}). Read from the webhook's McpPolicy cache, which every
 * replica fills, so every replica exports the same series whichever of them leads, and a deleted policy's series goes
 * at the next refresh. The label is {@code policy_namespace}, not {@code namespace}: a scrape gives the operator's own
 * series the operator pod's namespace.
 */
@ApplicationScoped
public class UnprotectedPodsGauge {

    static final Duration REFRESH = Duration.ofSeconds(10);

    private final PolicyResolver policies;
    private final Vertx vertx;
    private final MultiGauge gauge;
    private long timer = -1;

    public UnprotectedPodsGauge(PolicyResolver policies, Vertx vertx, MeterRegistry meters) {
        this.policies = policies;
        this.vertx = vertx;
        this.gauge = MultiGauge.builder("toolgate.operator.unprotected.pods")
                .description("Pods an McpPolicy selects that run without the Toolgate sidecar (its status.podsWithoutSidecar)")
                .register(meters);
    }

    void start(@Observes StartupEvent event) {
        timer = vertx.setPeriodic(REFRESH.toMillis(), id -> refresh());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    void refresh() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (McpPolicy policy : policies.all()) {
            Integer unprotected = policy.getStatus() == null ? null : policy.getStatus().getPodsWithoutSidecar();
            if (unprotected != null) {
                rows.add(MultiGauge.Row.of(Tags.of("policy_namespace", policy.getMetadata().getNamespace(), "policy", policy.getMetadata().getName()),
                        unprotected));
            }
        }
        gauge.register(rows, true);
    }
}
