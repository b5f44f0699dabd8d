package dev.toolgate.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

class WebhookTlsMaterialTest {

    private static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    private static final Duration CA = Duration.ofDays(730);
    private static final Duration SERVING = Duration.ofDays(90);
    private static final Duration RENEW = Duration.ofDays(30);
    private static final List<String> NAMES = List.of("toolgate-operator.toolgate-system.svc", "127.0.0.1");

    @Test
    void issuesACaAndAServingCertificateSignedByIt() throws Exception {
        WebhookTlsMaterial material = WebhookTlsMaterial.renew(null, NAMES, NOW, RENEW, CA, SERVING);

        X509Certificate ca = WebhookCertificates.parseCertificates(material.caCertificatePem()).get(0);
        X509Certificate serving = WebhookCertificates.parseCertificates(material.servingCertificatePem()).get(0);
        serving.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isZero();
        assertThat(serving.getSubjectAlternativeNames().stream().map(e -> String.valueOf(e.get(1))).toList()).containsExactlyElementsOf(NAMES);
        assertThat(material.caBundlePem()).isEqualTo(material.caCertificatePem());
    }

    @Test
    void keepsEverythingWhileFarFromExpiry() {
        WebhookTlsMaterial first = WebhookTlsMaterial.renew(null, NAMES, NOW, RENEW, CA, SERVING);
        assertThat(WebhookTlsMaterial.renew(first, NAMES, NOW.plus(Duration.ofDays(59)), RENEW, CA, SERVING)).isEqualTo(first);
    }

    @Test
    void rotatesTheServingCertificateUnderTheSameCaBeforeExpiry() {
        WebhookTlsMaterial first = WebhookTlsMaterial.renew(null, NAMES, NOW, RENEW, CA, SERVING);
        WebhookTlsMaterial second = WebhookTlsMaterial.renew(first, NAMES, NOW.plus(Duration.ofDays(61)), RENEW, CA, SERVING);
        assertThat(second.servingCertificatePem()).isNotEqualTo(first.servingCertificatePem());
        assertThat(second.caCertificatePem()).isEqualTo(first.caCertificatePem());
        assertThat(second.caBundlePem()).isEqualTo(first.caBundlePem());
    }

    @Test
    void reissuesWhenANameIsMissing() {
        WebhookTlsMaterial first = WebhookTlsMaterial.renew(null, NAMES, NOW, RENEW, CA, SERVING);
        List<String> more = List.of("toolgate-operator.toolgate-system.svc", "127.0.0.1", "localhost");
        WebhookTlsMaterial second = WebhookTlsMaterial.renew(first, more, NOW, RENEW, CA, SERVING);
        assertThat(WebhookTlsMaterial.covers(second.servingCertificatePem(), more)).isTrue();
        assertThat(WebhookTlsMaterial.covers(first.servingCertificatePem(), more)).isFalse();
    }

    @Test
    void aNewCaIsBundledWithTheRetiringOneUntilItExpires() {
        WebhookTlsMaterial first = WebhookTlsMaterial.renew(null, NAMES, NOW, RENEW, CA, SERVING);
        Instant late = NOW.plus(CA).minus(Duration.ofDays(100));
        WebhookTlsMaterial second = WebhookTlsMaterial.renew(first, NAMES, late, RENEW, CA, SERVING);
        assertThat(second.caCertificatePem()).isNotEqualTo(first.caCertificatePem());
        assertThat(WebhookCertificates.parseCertificates(second.caBundlePem())).hasSize(2);
        WebhookTlsMaterial third = WebhookTlsMaterial.renew(second, NAMES, NOW.plus(CA).plus(Duration.ofDays(1)), RENEW, CA, SERVING);
        assertThat(WebhookCertificates.parseCertificates(third.caBundlePem())).hasSize(1);
    }
}
