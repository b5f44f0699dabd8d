package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.testsupport.GoldenFiles;
import dev.toolgate.operator.tls.WebhookCertificates;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * certManager mode against the real API server: the operator serves the certificate cert-manager stored (a stand-in CA
 * here), follows it when it is replaced, is unready while the Secret holds none, and never writes the Secret or the
 * webhook configuration — the API server, trusting only the caBundle we set, still gets pods mutated.
 */
@QuarkusTest
@WithTestResource(CertManagerOperatorUnderTest.class)
class CertManagerModeIT {

    private static final String NS = CertManagerOperatorUnderTest.APP_NAMESPACE;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static KubernetesClient admin;

    @BeforeAll
    static void connect() {
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
    }

    @AfterAll
    static void close() {
        admin.close();
    }

    @Test
    void servesCertManagersCertificateAndWritesNothing() throws Exception {
        Secret issued = secret();
        MutatingWebhookConfiguration webhookBefore = webhookConfiguration();
        int port = ConfigProvider.getConfig().getValue("toolgate.operator.webhook.port", Integer.class);

        assertThat(servedCertificate(port)).isEqualTo(firstCertificate(decoded(issued, "tls.crt")));
        await().atMost(WAIT).untilAsserted(() -> assertThat(readiness().statusCode()).isEqualTo(200));

        // The API server calls the webhook trusting only the caBundle "cert-manager" injected.
        McpPolicy policy = GoldenFiles.YAML.readValue(getClass().getResource("/golden/configmap/in-approval-and-denyif.yaml"), McpPolicy.class);
        policy.getMetadata().setUid(null);
        policy.getMetadata().setName("cm-policy");
        policy.getMetadata().setNamespace(NS);
        policy.getSpec().setPodSelector(new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().addToMatchLabels("app", "cm-app").build());
        admin.resource(policy).create();
        Pod admitted = await().atMost(WAIT).pollInterval(Duration.ofMillis(500)).until(() -> {
            String name = "cm-pod-" + System.nanoTime();
            admin.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(NS)
                    .addToLabels("app", "cm-app").endMetadata().withNewSpec().addNewContainer().withName("server").withImage("example/mcp:1")
                    .addNewPort().withName("mcp").withContainerPort(8080).endPort().endContainer().endSpec().build()).create();
            return admin.pods().inNamespace(NS).withName(name).get();
        }, pod -> containers(pod).contains(ToolgateNames.SIDECAR_CONTAINER));
        assertThat(admitted.getMetadata().getAnnotations()).containsEntry(ToolgateNames.POLICY_ANNOTATION, "cm-policy");

        // cert-manager renews: the new certificate is served without a restart.
        WebhookCertificates.Issued renewed = CertManagerOperatorUnderTest.servingCertificate();
        Secret afterRenewal = admin.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET)
                .edit(s -> CertManagerOperatorUnderTest.issuedSecret(renewed));
        X509Certificate renewedCertificate = firstCertificate(renewed.certificatePem());
        // ignoreExceptions: Vert.x (Quarkus 3.34) drops a connection accepted while the swap is in flight (see README).
        await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                .until(() -> servedCertificate(port), renewedCertificate::equals);

        // A Secret without a usable certificate: not ready, saying why; the last good certificate keeps being served.
        Secret emptied = admin.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET)
                .edit(s -> {
                    s.setData(Map.of("tls.crt", "", "tls.key", "")); // type kubernetes.io/tls requires the keys to exist
                    return s;
                });
        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> ready = readiness();
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("has no tls.crt and tls.key yet");
        });
        assertThat(servedCertificate(port)).isEqualTo(renewedCertificate);

        // The operator wrote neither the Secret nor the webhook configuration (ours are the only writes).
        assertThat(secret().getMetadata().getResourceVersion()).isEqualTo(emptied.getMetadata().getResourceVersion());
        assertThat(afterRenewal.getMetadata().getResourceVersion()).isNotEqualTo(issued.getMetadata().getResourceVersion());
        MutatingWebhookConfiguration webhookAfter = webhookConfiguration();
        assertThat(webhookAfter.getMetadata().getResourceVersion()).isEqualTo(webhookBefore.getMetadata().getResourceVersion());
        assertThat(webhookAfter.getWebhooks().get(0).getClientConfig().getCaBundle())
                .isEqualTo(CertManagerOperatorUnderTest.base64(CertManagerOperatorUnderTest.CA.certificatePem()));

        // Re-issued: ready again.
        admin.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET)
                .edit(s -> CertManagerOperatorUnderTest.issuedSecret(CertManagerOperatorUnderTest.servingCertificate()));
        await().atMost(WAIT).untilAsserted(() -> assertThat(readiness().statusCode()).isEqualTo(200));
    }

    private static Secret secret() {
        return admin.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.WEBHOOK_TLS_SECRET).get();
    }

    private static MutatingWebhookConfiguration webhookConfiguration() {
        return admin.admissionRegistration().v1().mutatingWebhookConfigurations().withName(ToolgateNames.WEBHOOK_CONFIGURATION).get();
    }

    private static List<String> containers(Pod pod) {
        List<Container> all = new java.util.ArrayList<>(pod.getSpec().getContainers());
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        return all.stream().map(Container::getName).toList();
    }

    private static HttpResponse<String> readiness() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:9001/q/health/ready")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String decoded(Secret secret, String key) {
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }

    private static X509Certificate firstCertificate(String pem) {
        return WebhookCertificates.parseCertificates(pem).get(0);
    }

    /** The certificate the webhook port presents in the TLS handshake (trust is not the point here, identity is). */
    private static X509Certificate servedCertificate(int port) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] { new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        } }, new SecureRandom());
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }
}
