package dev.toolgate.e2e.it;

import dev.toolgate.helm.ExamplePolicies;
import dev.toolgate.testsupport.RealApiServer;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator (the built Quarkus app) runs as the chart's ServiceAccount (impersonated, so exactly the chart's RBAC)
 * with the environment of the chart's Deployment, against a real API server where the chart is installed. The API
 * server calls the webhook through the chart's Service (endpoint routing), so a pod created in the demo namespace
 * comes back with the sidecar. There is no kubelet: the pod is only admitted, never run.
 */
class OperatorInjectionIT {

    private static final String NAMESPACE = "toolgate-system";
    private static final String DEMO = "toolgate-demo";
    private static final Path PACKAGE = Path.of(System.getProperty("toolgate.chart.package", "target/toolgate.tgz"));
    private static final Path LOG = Path.of("target", "operator-injection", "operator.log").toAbsolutePath();
    private static final Path AUDIT_LOG = LOG.resolveSibling("audit.log");
    private static final String OPERATOR_USER = "system:serviceaccount:" + NAMESPACE + ":toolgate-operator";

    private static RealApiServer api;
    private static Process operator;

    @BeforeAll
    static void installChartAndStartOperator() throws Exception {
        Path operatorJar = Path.of(System.getProperty("toolgate.operator.app")).resolve("quarkus-run.jar");
        assertThat(operatorJar).as("the built operator (./mvnw package -pl operator -am)").isRegularFile();
        Files.createDirectories(LOG.getParent());
        Path auditPolicy = Files.writeString(LOG.resolveSibling("audit-policy.yaml"),
                "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n");
        Files.deleteIfExists(AUDIT_LOG);
        // Endpoint routing: the API server dials the webhook Service's endpoints instead of its ClusterIP (no kube-proxy
        // here). The audit log shows who made each request.
        api = RealApiServer.start("--enable-aggregator-routing=true", "--audit-policy-file=" + auditPolicy,
                "--audit-log-path=" + AUDIT_LOG);

        Helm.install(PACKAGE.toString()).withName("toolgate").withNamespace(NAMESPACE).createNamespace()
                .withKubeConfigContents(api.kubeConfigYaml())
                .set("sidecar.image.tag", "it")
                // a private registry's pull secret, and a platform that assigns the uid (OpenShift)
                .set("sidecar.imagePullSecrets[0].name", "toolgate-registry")
                .set("sidecar.runAsUser", "null")
                .call();

        int webhookPort = freePort();
        String hostAddress = nonLoopbackAddress();
        api.admin().endpoints().inNamespace(NAMESPACE).resource(new EndpointsBuilder()
                .withNewMetadata().withName("toolgate-operator").endMetadata()
                .addNewSubset().addNewAddress().withIp(hostAddress).endAddress()
                .addNewPort().withName("https-webhook").withPort(webhookPort).endPort().endSubset()
                .build()).create();
        api.admin().discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(new EndpointSliceBuilder()
                .withNewMetadata().withName("toolgate-operator-it").addToLabels("kubernetes.io/service-name", "toolgate-operator").endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(hostAddress).withNewConditions().withReady(true).endConditions().endEndpoint()
                .addNewPort().withName("https-webhook").withPort(webhookPort).withProtocol("TCP").endPort()
                .build()).create();

        // The operator's environment is the chart's Deployment's, with this machine's free ports.
        Deployment deployment = api.admin().apps().deployments().inNamespace(NAMESPACE).withName("toolgate-operator").get();
        Map<String, String> env = new HashMap<>();
        for (EnvVar var : deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()) {
            env.put(var.getName(), var.getValueFrom() != null ? NAMESPACE : var.getValue());
        }
        int managementPort = freePort();
        env.put("TOOLGATE_OPERATOR_WEBHOOK_PORT", Integer.toString(webhookPort));
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        env.put("QUARKUS_HTTP_PORT", Integer.toString(freePort()));
        env.put("KUBECONFIG", api.kubeConfigFile().toString());
        env.put("KUBERNETES_IMPERSONATE_USERNAME", "system:serviceaccount:" + NAMESPACE + ":toolgate-operator");
        env.put("KUBERNETES_IMPERSONATE_GROUP", "system:serviceaccounts,system:serviceaccounts:" + NAMESPACE + ",system:authenticated");
        Files.createDirectories(LOG.getParent());
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", operatorJar.toString()).redirectErrorStream(true).redirectOutput(LOG.toFile());
        builder.environment().putAll(env);
        operator = builder.start();

        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
            assertThat(operator.isAlive()).as("operator running; log:%n%s", log()).isTrue();
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (operator != null) {
            operator.destroy();
            if (!operator.waitFor(10, TimeUnit.SECONDS)) {
                operator.destroyForcibly();
            }
        }
        if (api != null) {
            api.close();
        }
    }

    @Test
    void operatorUnderTheChartsRbacRendersThePolicyAndInjectsTheSidecar() throws Exception {
        // The operator wrote its CA into the chart's webhook configuration (selfManaged certificates).
        await().atMost(Duration.ofSeconds(30)).until(() -> api.admin().admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName("toolgate-injector").get().getWebhooks().get(0).getClientConfig().getCaBundle() != null);
        assertThat(api.admin().secrets().inNamespace(NAMESPACE).withName("toolgate-webhook-tls").get().getData()).containsKey("tls.crt");

        api.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(DEMO)
                .addToLabels("toolgate.dev/injection", "enabled").endMetadata().build()).create();
        try (var in = Files.newInputStream(ExamplePolicies.examplesDir().resolve("demo/10-mcppolicy.yaml"))) {
            api.admin().load(in).create();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> api.admin().configMaps().inNamespace(DEMO).withName("server-everything-toolgate-policy").get() != null);

        // The demo Deployment's pod template, as a ReplicaSet would create it.
        Deployment demo;
        try (var in = Files.newInputStream(ExamplePolicies.examplesDir().resolve("demo/20-server-everything.yaml"))) {
            demo = api.admin().load(in).items().stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                    .findFirst().orElseThrow();
        }
        Pod pod = api.admin().pods().inNamespace(DEMO).resource(new PodBuilder()
                .withMetadata(demo.getSpec().getTemplate().getMetadata()).editMetadata().withName("server-everything-it").endMetadata()
                .withSpec(demo.getSpec().getTemplate().getSpec()).build()).create();

        List<io.fabric8.kubernetes.api.model.Container> all = Stream.concat(pod.getSpec().getContainers().stream(),
                pod.getSpec().getInitContainers().stream()).toList();
        assertThat(all).extracting(io.fabric8.kubernetes.api.model.Container::getName).contains("server", "toolgate-sidecar");
        assertThat(all).filteredOn(c -> c.getName().equals("toolgate-sidecar")).first()
                .satisfies(c -> {
                    assertThat(c.getImage()).isEqualTo("ghcr.io/toolgate-dev/sidecar:it");
                    assertThat(c.getSecurityContext().getRunAsUser()).as("runAsUser left to the pod or the platform").isNull();
                    assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
                });
        assertThat(pod.getSpec().getImagePullSecrets()).extracting(io.fabric8.kubernetes.api.model.LocalObjectReference::getName)
                .as("the chart's sidecar.imagePullSecrets reach the injected pod").containsExactly("toolgate-registry");
        assertThat(pod.getMetadata().getAnnotations()).containsEntry("toolgate.dev/policy", "server-everything");
        assertThat(log()).doesNotContain("Forbidden");
        assertOperatorActedOnlyAsItsServiceAccount();
    }

    /** The audit log proves the operator's writes were made as the chart's ServiceAccount, so the chart's RBAC applied. */
    private static void assertOperatorActedOnlyAsItsServiceAccount() throws IOException {
        List<com.fasterxml.jackson.databind.JsonNode> events = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(AUDIT_LOG)) {
            var event = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            if ("ResponseComplete".equals(event.path("stage").asText())) {
                events.add(event);
            }
        }
        List<String> operatorWrites = events.stream()
                .filter(e -> OPERATOR_USER.equals(e.at("/impersonatedUser/username").asText()))
                .filter(e -> List.of("create", "update", "patch").contains(e.path("verb").asText()))
                .filter(e -> e.at("/responseStatus/code").asInt() < 300)
                .map(e -> e.path("verb").asText() + " " + e.at("/objectRef/resource").asText())
                .distinct().toList();
        assertThat(operatorWrites).contains("update secrets", "update mutatingwebhookconfigurations", "create configmaps");
        assertThat(events).as("writes to the webhook Secret not made as the operator's ServiceAccount")
                .filteredOn(e -> "toolgate-webhook-tls".equals(e.at("/objectRef/name").asText()))
                .filteredOn(e -> "update".equals(e.path("verb").asText()))
                .allSatisfy(e -> assertThat(e.at("/impersonatedUser/username").asText()).isEqualTo(OPERATOR_USER));
    }

    private static String log() throws IOException {
        return Files.exists(LOG) ? Files.readString(LOG) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The API server refuses loopback endpoints; this machine's own address works as well. */
    private static String nonLoopbackAddress() throws IOException {
        for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress address : nic.inetAddresses().toList()) {
                    if (address instanceof Inet4Address) {
                        return address.getHostAddress();
                    }
                }
            }
        }
        throw new AssertionError("no non-loopback IPv4 address: the API server cannot route to a loopback webhook endpoint");
    }
}
