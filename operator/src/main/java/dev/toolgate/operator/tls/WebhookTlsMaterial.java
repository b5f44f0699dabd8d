package dev.toolgate.operator.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The webhook's TLS state as stored in its Secret: the current CA (key and certificate), the CA bundle the API server
 * trusts (current CA plus a retiring one during a CA rotation), and the serving certificate and key.
 */
public record WebhookTlsMaterial(String caCertificatePem, String caKeyPem, String caBundlePem, String servingCertificatePem,
        String servingKeyPem) {

    /**
     * Decides what to keep and what to re-issue: a serving certificate is replaced when it expires within
     * {@code renewBefore} or lacks a wanted name; a CA likewise, and the retiring CA stays in the bundle until it expires
     * so pods admitted during the switch are not refused. The CA must outlive the serving certificate it signs.
     */
    public static WebhookTlsMaterial renew(WebhookTlsMaterial current, List<String> names, Instant now, Duration renewBefore,
            Duration caValidity, Duration servingValidity) {
        WebhookCertificates.Issued ca;
        List<String> bundle = new ArrayList<>();
        if (current != null && current.caCertificatePem() != null && current.caKeyPem() != null
                && validBeyond(current.caCertificatePem(), now.plus(renewBefore).plus(servingValidity))) {
            ca = new WebhookCertificates.Issued(current.caCertificatePem(), current.caKeyPem());
        } else {
            ca = WebhookCertificates.certificateAuthority("toolgate-webhook-ca", now, caValidity);
            if (current != null && current.caCertificatePem() != null && validBeyond(current.caCertificatePem(), now)) {
                bundle.add(current.caCertificatePem());
            }
        }
        bundle.add(0, ca.certificatePem());
        boolean sameCa = current != null && ca.certificatePem().equals(current.caCertificatePem());
        if (sameCa && current.servingCertificatePem() != null && current.servingKeyPem() != null
                && validBeyond(current.servingCertificatePem(), now.plus(renewBefore))
                && covers(current.servingCertificatePem(), names)) {
            String keptBundle = current.caBundlePem() == null ? ca.certificatePem() : dropExpired(current.caBundlePem(), now);
            return new WebhookTlsMaterial(ca.certificatePem(), ca.privateKeyPem(), keptBundle, current.servingCertificatePem(),
                    current.servingKeyPem());
        }
        if (sameCa && current.caBundlePem() != null) {
            bundle = List.of(dropExpired(current.caBundlePem(), now));
        }
        WebhookCertificates.Issued serving = WebhookCertificates.servingCertificate(ca, names, now, servingValidity);
        return new WebhookTlsMaterial(ca.certificatePem(), ca.privateKeyPem(), String.join("", bundle), serving.certificatePem(),
                serving.privateKeyPem());
    }

    static boolean validBeyond(String certificatePem, Instant instant) {
        try {
            List<X509Certificate> certificates = WebhookCertificates.parseCertificates(certificatePem);
            return !certificates.isEmpty() && certificates.get(0).getNotAfter().toInstant().isAfter(instant);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static boolean covers(String certificatePem, Collection<String> names) {
        try {
            X509Certificate certificate = WebhookCertificates.parseCertificates(certificatePem).get(0);
            Set<String> present = new HashSet<>();
            if (certificate.getSubjectAlternativeNames() != null) {
                certificate.getSubjectAlternativeNames().forEach(entry -> present.add(String.valueOf(entry.get(1))));
            }
            return present.containsAll(names);
        } catch (CertificateParsingException | RuntimeException e) {
            return false;
        }
    }

    private static String dropExpired(String bundlePem, Instant now) {
        return WebhookCertificates.parseCertificates(bundlePem).stream()
                .filter(c -> c.getNotAfter().toInstant().isAfter(now))
                .map(WebhookCertificates::pem)
                .collect(Collectors.joining());
    }
}
