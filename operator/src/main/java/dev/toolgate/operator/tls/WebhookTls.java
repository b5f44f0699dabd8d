package dev.toolgate.operator.tls;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;

import dev.toolgate.operator.OperatorConfig;
import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Keeps the webhook's certificates in the Secret {@code toolgate-webhook-tls} and the CA bundle of the
 * MutatingWebhookConfiguration {@code toolgate-injector} in step, issuing and rotating as needed.
 */
@ApplicationScoped
public class WebhookTls {

    private static final Logger LOG = Logger.getLogger(WebhookTls.class);
    static final String CA_CERT = "ca.crt";
    static final String CA_KEY = "ca.key";
    static final String CA_BUNDLE = "ca-bundle.crt";

    private final KubernetesClient client;
    private final OperatorConfig config;
    private final Clock clock = Clock.systemUTC();

    public WebhookTls(KubernetesClient client, OperatorConfig config) {
        this.client = client;
        this.config = config;
    }

    /** DNS names of the webhook Service plus configured extras. */
    public List<String> names() {
        String service = config.webhook().serviceName();
        String namespace = config.namespace();
        List<String> names = new ArrayList<>(List.of(service + "." + namespace + ".svc", service + "." + namespace + ".svc.cluster.local",
                service + "." + namespace, service));
        config.webhook().extraSans().ifPresent(names::addAll);
        return names;
    }

    /** Reads the Secret, renews what needs renewing, writes back changes and patches the CA bundle. */
    public WebhookTlsMaterial ensure() {
        Secret secret = client.secrets().inNamespace(config.namespace()).withName(ToolgateNames.WEBHOOK_TLS_SECRET).get();
        WebhookTlsMaterial current = secret == null ? null : fromSecret(secret);
        WebhookTlsMaterial renewed = WebhookTlsMaterial.renew(current, names(), clock.instant(), config.webhook().renewBefore(),
                config.webhook().caValidity(), config.webhook().certificateValidity());
        if (!renewed.equals(current)) {
            Secret desired = toSecret(renewed, secret);
            if (secret == null) {
                client.secrets().inNamespace(config.namespace()).resource(desired).create();
            } else {
                // Optimistic locking: a concurrent writer makes this fail and the next check starts over.
                client.secrets().inNamespace(config.namespace()).resource(desired).update();
            }
            LOG.infof("Issued webhook TLS material in Secret %s/%s", config.namespace(), ToolgateNames.WEBHOOK_TLS_SECRET);
        }
        patchCaBundle(renewed.caBundlePem());
        return renewed;
    }

    void patchCaBundle(String bundlePem) {
        String encoded = Base64.getEncoder().encodeToString(bundlePem.getBytes(StandardCharsets.UTF_8));
        try {
            MutatingWebhookConfiguration configuration = client.admissionRegistration().v1().mutatingWebhookConfigurations()
                    .withName(ToolgateNames.WEBHOOK_CONFIGURATION).get();
            if (configuration == null) {
                LOG.warnf("MutatingWebhookConfiguration %s not found: the API server cannot call the webhook until it is installed",
                        ToolgateNames.WEBHOOK_CONFIGURATION);
                return;
            }
            boolean stale = configuration.getWebhooks().stream().anyMatch(w -> !encoded.equals(w.getClientConfig().getCaBundle()));
            if (stale) {
                configuration.getWebhooks().forEach(w -> w.getClientConfig().setCaBundle(encoded));
                client.admissionRegistration().v1().mutatingWebhookConfigurations().resource(configuration).update();
                LOG.infof("Patched the CA bundle of MutatingWebhookConfiguration %s", ToolgateNames.WEBHOOK_CONFIGURATION);
            }
        } catch (KubernetesClientException e) {
            LOG.errorf("Could not patch the CA bundle of %s: %s", ToolgateNames.WEBHOOK_CONFIGURATION, e.getMessage());
        }
    }

    static WebhookTlsMaterial fromSecret(Secret secret) {
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        return new WebhookTlsMaterial(decode(data.get(CA_CERT)), decode(data.get(CA_KEY)), decode(data.get(CA_BUNDLE)),
                decode(data.get("tls.crt")), decode(data.get("tls.key")));
    }

    private Secret toSecret(WebhookTlsMaterial material, Secret existing) {
        SecretBuilder builder = existing == null ? new SecretBuilder().withNewMetadata().withName(ToolgateNames.WEBHOOK_TLS_SECRET)
                .withNamespace(config.namespace()).addToLabels(ToolgateNames.MANAGED_BY_LABEL, ToolgateNames.MANAGED_BY_VALUE)
                .endMetadata().withType("kubernetes.io/tls") : new SecretBuilder(existing);
        return builder.withData(Map.of(
                CA_CERT, encode(material.caCertificatePem()),
                CA_KEY, encode(material.caKeyPem()),
                CA_BUNDLE, encode(material.caBundlePem()),
                "tls.crt", encode(material.servingCertificatePem()),
                "tls.key", encode(material.servingKeyPem())))
                .build();
    }

    private static String decode(String base64) {
        return base64 == null ? null : new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private static String encode(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
