package dev.toolgate.operator.it;



import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Prepares the real API server for the operator under test, as the Helm chart would: the operator namespace, the
 * RBAC the chart renders with {@code workloadRestarts.enabled=true} (and this operator told so), an injection-enabled namespace, the MutatingWebhookConfiguration and the McpPolicy validator (for
 * namespaces labelled {@link KubeApiServers#POLICY_VALIDATION_LABEL} only, so other ITs can store invalid policies and
 * watch the status report them) — pointing by URL at the webhook
 * of the operator running in this JVM, with no caBundle yet (the operator must patch it in).
 */
public class OperatorUnderTest implements QuarkusTestResourceLifecycleManager {

    public static final String APP_NAMESPACE = "mcp-it";

    @Override
    public Map<String, String> start() {
        Config admin = KubeApiServers.admin();
        int webhookPort = KubeApiServers.freePort();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(admin).build()) {
            KubeApiServers.prepareForOperator(client, APP_NAMESPACE, "restarts");
            client.admissionRegistration().v1().mutatingWebhookConfigurations()
                    .resource(KubeApiServers.webhookConfiguration(webhookPort, null)).createOr(op -> op.update());
            client.admissionRegistration().v1().validatingWebhookConfigurations()
                    .resource(KubeApiServers.policyValidatorConfiguration(webhookPort, null)).createOr(op -> op.update());
        }
        return Map.of(
                "toolgate.it.kubeconfig", Base64.getEncoder().encodeToString(
                        KubeApiServers.kubeconfigYaml().getBytes(StandardCharsets.UTF_8)),
                "toolgate.operator.namespace", KubeApiServers.OPERATOR_NAMESPACE,
                "toolgate.operator.webhook.port", String.valueOf(webhookPort),
                // As the chart's workloadRestarts.enabled=true passes it, with the RBAC of that setting (above).
                "toolgate.operator.workload-restarts.enabled", "true",
                // as the chart's networkPolicies.enabled=true passes it (same RBAC setting)
                "toolgate.operator.network-policies.enabled", "true",
                // as the chart's redisChecks.readSecrets=true (same RBAC setting); checked again every 2 s for the IT
                "toolgate.operator.redis-checks.read-secrets", "true",
                "toolgate.operator.redis-checks.interval", "2s",
                "toolgate.operator.webhook.extra-sans", "127.0.0.1");
    }

    @Override
    public void stop() {
        // The API server is shared by every IT in this JVM and stopped by a shutdown hook.
    }
}
