package dev.toolgate.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

/** certManager mode: what the operator accepts from the Secret cert-manager writes, and the reason when it cannot serve it. */
class CertManagerSecretTest {

    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    private static final List<String> NAMES = List.of("toolgate-operator.toolgate-system.svc");
    private static final WebhookCertificates.Issued CA = WebhookCertificates.certificateAuthority("cert-manager-ca", NOW, Duration.ofDays(365));
    private static final WebhookCertificates.Issued SERVING = WebhookCertificates.servingCertificate(CA, NAMES, NOW, Duration.ofDays(90));

    @Test
    void servesTheCertificateAndKeyCertManagerStored() {
        WebhookTlsMaterial material = WebhookTls.fromCertManagerSecret("ns", secret(SERVING.certificatePem(), SERVING.privateKeyPem()), NOW);
        assertThat(material.servingCertificatePem()).isEqualTo(SERVING.certificatePem());
        assertThat(material.servingKeyPem()).isEqualTo(SERVING.privateKeyPem());
        assertThat(material.caCertificatePem()).as("the operator holds no CA in this mode").isNull();
    }

    @Test
    void explainsAMissingSecret() {
        assertThatThrownBy(() -> WebhookTls.fromCertManagerSecret("ns", null, NOW))
                .isInstanceOf(WebhookTls.UnusableCertificateException.class)
                .hasMessage("Secret ns/toolgate-webhook-tls does not exist yet (cert-manager creates it from Certificate toolgate-webhook)");
    }

    @Test
    void explainsASecretNotYetIssued() {
        assertThatThrownBy(() -> WebhookTls.fromCertManagerSecret("ns", secret(null, null), NOW))
                .hasMessage("Secret ns/toolgate-webhook-tls has no tls.crt and tls.key yet (cert-manager has not issued the certificate)");
        assertThatThrownBy(() -> WebhookTls.fromCertManagerSecret("ns", secret("", ""), NOW))
                .hasMessageContaining("has no tls.crt and tls.key yet");
    }

    @Test
    void refusesGarbage() {
        assertThatThrownBy(() -> WebhookTls.fromCertManagerSecret("ns", secret("not a certificate", SERVING.privateKeyPem()), NOW))
                .hasMessageStartingWith("Secret ns/toolgate-webhook-tls: tls.crt is not a PEM certificate");
        assertThatThrownBy(() -> WebhookTls.fromCertManagerSecret("ns", secret(SERVING.certificatePem(), "not a key"), NOW))
                .hasMessageStartingWith("Secret ns/toolgate-webhook-tls: tls.key is not a PEM private key");
    }

    @Test
    void refusesAKeyOfAnotherCertificate() {
        WebhookCertificates.Issued other = WebhookCertificates.servingCertificate(CA, NAMES, NOW, Duration.ofDays(90));
        assertThatThrownBy(() -> WebhookTls.fromCertManagerSecret("ns", secret(SERVING.certificatePem(), other.privateKeyPem()), NOW))
                .hasMessage("Secret ns/toolgate-webhook-tls: tls.key does not belong to the certificate in tls.crt");
    }

    @Test
    void refusesAnExpiredCertificate() {
        assertThatThrownBy(() -> WebhookTls.fromCertManagerSecret("ns", secret(SERVING.certificatePem(), SERVING.privateKeyPem()),
                NOW.plus(Duration.ofDays(91))))
                .hasMessageStartingWith("Secret ns/toolgate-webhook-tls: tls.crt expired at ");
    }

    @Test
    void certificateModeIsSelfManagedOrCertManager() {
        assertThat(WebhookTls.isCertManager("certManager")).isTrue();
        assertThat(WebhookTls.isCertManager("selfManaged")).isFalse();
        assertThatThrownBy(() -> WebhookTls.isCertManager("certmanager"))
                .hasMessage("toolgate.operator.webhook.certificate-mode must be selfManaged or certManager, not 'certmanager'");
    }

    private static Secret secret(String certificatePem, String keyPem) {
        Map<String, String> data = new LinkedHashMap<>();
        if (certificatePem != null) {
            data.put("tls.crt", Base64.getEncoder().encodeToString(certificatePem.getBytes(StandardCharsets.UTF_8)));
        }
        if (keyPem != null) {
            data.put("tls.key", Base64.getEncoder().encodeToString(keyPem.getBytes(StandardCharsets.UTF_8)));
        }
        return new SecretBuilder().withNewMetadata().withName("toolgate-webhook-tls").withNamespace("ns").endMetadata()
                .withType("kubernetes.io/tls").withData(data).build();
    }
}
