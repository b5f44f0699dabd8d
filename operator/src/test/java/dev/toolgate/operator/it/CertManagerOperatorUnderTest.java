package dev.toolgate.operator.it;



import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.tls.WebhookCertificates;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The API server as the chart leaves it in certManager mode once cert-manager has done its part: Secret
 * {@code toolgate-webhook-tls} holds a serving certificate issued by a CA we generate here (standing in for cert-manager's
 * issuer), and {@code toolgate-injector}'s caBundle already holds that CA (cert-manager's CA injector's job).
 */
public class CertManagerOperatorUnderTest implements QuarkusTestResourceLifecycleManager {

    public static final String APP_NAMESPACE = "mcp-cm-it";
    static final WebhookCertificates.Issued CA = WebhookCertificates.certificateAuthority("stand-in-for-cert-manager", Instant.now(),
            Duration.ofDays(30));

    @Override
    public Map<String, String> start() {
        int webhookPort = KubeApiServers.freePort();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build()) {
            KubeApiServers.prepareForOperator(client, APP_NAMESPACE, "cert-manager");
            // Another IT in this JVM may have left a Secret issued by the self-managed operator: start from cert-manager's.
            client.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET).withGracePeriod(0)
                    .delete();
            client.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET)
                    .waitUntilCondition(s -> s == null, 30, TimeUnit.SECONDS);
            client.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).resource(issuedSecret(servingCertificate())).create();
            client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(ToolgateNames.WEBHOOK_CONFIGURATION).delete();
            client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(ToolgateNames.WEBHOOK_CONFIGURATION)
                    .waitUntilCondition(w -> w == null, 30, TimeUnit.SECONDS);
            client.admissionRegistration().v1().mutatingWebhookConfigurations()
                    .resource(KubeApiServers.webhookConfiguration(webhookPort, base64(CA.certificatePem()))).create();
        }
        return Map.of(
                "toolgate.it.kubeconfig", base64(KubeApiServers.kubeconfigYaml()),
                "toolgate.operator.namespace", KubeApiServers.OPERATOR_NAMESPACE,
                "toolgate.operator.webhook.port", String.valueOf(webhookPort),
                "toolgate.operator.webhook.certificate-mode", "certManager",
                "toolgate.operator.webhook.certificate-reload-interval", "PT1S");
    }

    /** A serving certificate for the address the API server calls, signed by the stand-in CA. */
    static WebhookCertificates.Issued servingCertificate() {
        return WebhookCertificates.servingCertificate(CA, List.of("127.0.0.1"), Instant.now(), Duration.ofDays(7));
    }

    /** The Secret as cert-manager writes it: type kubernetes.io/tls with tls.crt, tls.key and ca.crt. */
    static Secret issuedSecret(WebhookCertificates.Issued serving) {
        return new SecretBuilder().withNewMetadata().withName(ToolgateNames.WEBHOOK_TLS_SECRET).withNamespace(KubeApiServers.OPERATOR_NAMESPACE)
                .endMetadata().withType("kubernetes.io/tls")
                .addToData("tls.crt", base64(serving.certificatePem()))
                .addToData("tls.key", base64(serving.privateKeyPem()))
                .addToData("ca.crt", base64(CA.certificatePem()))
                .build();
    }

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void stop() {
        // The API server is shared by every IT in this JVM and stopped by a shutdown hook.
    }
}
