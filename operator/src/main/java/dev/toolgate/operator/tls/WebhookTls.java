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

    /** certManager mode: cert-manager owns the Secret and the caBundle; the operator only reads the serving pair. */
    public boolean certManagerMode() {
        return isCertManager(config.webhook().certificateMode());
    }

    static boolean isCertManager(String mode) {
        return switch (mode) {
            case "certManager" -> true;
            case "selfManaged" -> false;
            default -> throw new IllegalArgumentException(
                    "toolgate.operator.webhook.certificate-mode must be selfManaged or certManager, not '" + mode + "'");
        };
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

    /**
     * selfManaged: reads the Secret, renews what needs renewing, writes back changes and patches the CA bundle.
     * certManager: reads the serving pair cert-manager stored, writing nothing; {@link UnusableCertificateException} while
     * there is none that can be served.
     */
    public WebhookTlsMaterial ensure() {
        if (certManagerMode()) {
            Secret issued = client.secrets().inNamespace(config.namespace()).withName(ToolgateNames.WEBHOOK_TLS_SECRET).get();
            return fromCertManagerSecret(config.namespace(), issued, clock.instant());
        }
        WebhookTlsMaterial renewed = renewStored();
        patchCaBundle(renewed.caBundlePem());
        return renewed;
    }

    /**
     * Reads the Secret and writes back what needs renewing. Every replica does this at start and on each check: when
     * another replica wrote first (409 on the optimistic update, or the Secret created meanwhile), the stored material is
     * read again and served, so all replicas serve certificates of the CA in the bundle.
     */
    private WebhookTlsMaterial renewStored() {
        for (int attempt = 1;; attempt++) {
            Secret secret = client.secrets().inNamespace(config.namespace()).withName(ToolgateNames.WEBHOOK_TLS_SECRET).get();
            WebhookTlsMaterial current = secret == null ? null : fromSecret(secret);
            WebhookTlsMaterial renewed = WebhookTlsMaterial.renew(current, names(), clock.instant(), config.webhook().renewBefore(),
                    config.webhook().caValidity(), config.webhook().certificateValidity());
            if (renewed.equals(current)) {
                return renewed;
            }
            Secret desired = toSecret(renewed, secret);
            try {
                if (secret == null) {
                    client.secrets().inNamespace(config.namespace()).resource(desired).create();
                } else {
                    client.secrets().inNamespace(config.namespace()).resource(desired).update(); // optimistic locking
                }
                LOG.infof("Issued webhook TLS material in Secret %s/%s", config.namespace(), ToolgateNames.WEBHOOK_TLS_SECRET);
                return renewed;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 5) {
                    throw e;
                }
                LOG.infof("Secret %s/%s was written by another replica; reading it again", config.namespace(),
                        ToolgateNames.WEBHOOK_TLS_SECRET);
            }
        }
    }

    /** Writes the CA bundle into both webhook configurations where it differs (the API server trusts the webhook by it): the
     * validator's first, so a caBundle on the injector (what scripts wait for) means both are set. */
    void patchCaBundle(String bundlePem) {
        String encoded = Base64.getEncoder().encodeToString(bundlePem.getBytes(StandardCharsets.UTF_8));
        var api = client.admissionRegistration().v1();
        patchCaBundle(encoded, "ValidatingWebhookConfiguration", ToolgateNames.POLICY_VALIDATION_CONFIGURATION,
                "McpPolicies are validated only after they are stored",
                api.validatingWebhookConfigurations(),
                c -> c.getWebhooks().stream().map(w -> w.getClientConfig()).toList());
        patchCaBundle(encoded, "MutatingWebhookConfiguration", ToolgateNames.WEBHOOK_CONFIGURATION,
                "the API server cannot call the webhook until it is installed",
                api.mutatingWebhookConfigurations(),
                c -> c.getWebhooks().stream().map(w -> w.getClientConfig()).toList());
    }

    private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> void patchCaBundle(String encoded, String kind, String name,
            String whenMissing,
            io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<T, ?, io.fabric8.kubernetes.client.dsl.Resource<T>> configurations,
            java.util.function.Function<T, List<io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig>> clientConfigs) {
        try {
            T configuration = configurations.withName(name).get();
            if (configuration == null) {
                LOG.warnf("%s %s not found: %s", kind, name, whenMissing);
            } else if (clientConfigs.apply(configuration).stream().anyMatch(c -> !encoded.equals(c.getCaBundle()))) {
                clientConfigs.apply(configuration).forEach(c -> c.setCaBundle(encoded));
                configurations.resource(configuration).update();
                LOG.infof("Patched the CA bundle of %s %s", kind, name);
            }
        } catch (KubernetesClientException e) {
            LOG.errorf("Could not patch the CA bundle of %s: %s", name, e.getMessage());
        }
    }

    /** Thrown while cert-manager's Secret holds no certificate the webhook can serve; the message says what is wrong. */
    public static final class UnusableCertificateException extends IllegalStateException {
        UnusableCertificateException(String message) {
            super(message);
        }
    }

    /** The serving pair of a cert-manager Secret, checked: present, parseable, not expired, key matching the certificate. */
    static WebhookTlsMaterial fromCertManagerSecret(String namespace, Secret secret, java.time.Instant now) {
        String where = "Secret " + namespace + "/" + ToolgateNames.WEBHOOK_TLS_SECRET;
        if (secret == null) {
            throw new UnusableCertificateException(where + " does not exist yet (cert-manager creates it from Certificate toolgate-webhook)");
        }
        WebhookTlsMaterial stored = fromSecret(secret);
        String certificatePem = stored.servingCertificatePem();
        String keyPem = stored.servingKeyPem();
        if (certificatePem == null || certificatePem.isBlank() || keyPem == null || keyPem.isBlank()) {
            throw new UnusableCertificateException(where + " has no tls.crt and tls.key yet (cert-manager has not issued the certificate)");
        }
        java.security.cert.X509Certificate certificate;
        java.security.PrivateKey key;
        try {
            List<java.security.cert.X509Certificate> chain = WebhookCertificates.parseCertificates(certificatePem);
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("no certificate in PEM");
            }
            certificate = chain.get(0);
        } catch (RuntimeException e) {
            throw new UnusableCertificateException(where + ": tls.crt is not a PEM certificate: " + e.getMessage());
        }
        try {
            key = WebhookCertificates.parsePrivateKey(keyPem);
        } catch (RuntimeException e) {
            throw new UnusableCertificateException(where + ": tls.key is not a PEM private key: " + e.getMessage());
        }
        if (!certificate.getNotAfter().toInstant().isAfter(now)) {
            throw new UnusableCertificateException(where + ": tls.crt expired at " + certificate.getNotAfter().toInstant());
        }
        if (!WebhookCertificates.matches(certificate.getPublicKey(), key)) {
            throw new UnusableCertificateException(where + ": tls.key does not belong to the certificate in tls.crt");
        }
        return new WebhookTlsMaterial(null, null, null, certificatePem, keyPem);
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
