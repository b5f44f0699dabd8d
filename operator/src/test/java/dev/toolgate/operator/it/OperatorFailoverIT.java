package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.marcnuri.helm.Helm;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.StatusConditions;
import dev.toolgate.operator.mcppolicy.ToolRule;
import dev.toolgate.testsupport.GoldenFiles;
import dev.toolgate.testsupport.RealApiServer;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Two replicas of the packaged operator ({@code target/quarkus-app}, prod profile, so with leader election), each as the
 * chart's ServiceAccount under the chart's RBAC, behind the chart's webhook configurations and pod guard, against a
 * real API server of its own (so no other IT's operator reconciles here). The API server reaches the webhooks through
 * {@link WebhookService}, which stands in for the Service: each connection goes to a replica that accepts it.
 * <p>
 * The leader is killed (SIGKILL, its Lease not released) while policies change and pods are created: the standby
 * serves every webhook meanwhile, takes the Lease, and reconciles every policy; no selected pod is ever admitted
 * without the sidecar. With both replicas gone, pods no policy selects are created and selected ones are refused by
 * the API server's own guard.
 */
class OperatorFailoverIT {

    private static final String OPERATOR_NS = KubeApiServers.OPERATOR_NAMESPACE;
    private static final String NS = "failover";
    private static final Duration LEASE = Duration.ofSeconds(10);
    private static final Path LOGS = Path.of("target", "failover-it");

    private static RealApiServer server;
    private static KubernetesClient admin;
    private static Path kubeconfig;
    private static WebhookService service;
    private static final Map<String, Replica> replicas = new LinkedHashMap<>();

    /** One operator process and the ports it serves on. */
    record Replica(String identity, Process process, int webhookPort, int managementPort) {
    }

    @BeforeAll
    static void startApiServerChartAndTwoReplicas() throws Exception {
        server = RealApiServer.start();
        Files.createDirectories(LOGS);
        kubeconfig = Files.writeString(LOGS.resolve("kubeconfig.yaml"), server.kubeConfigYaml());
        admin = new KubernetesClientBuilder().withConfig(server.adminConfig()).build();
        KubeApiServers.applyCrds(admin);
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(OPERATOR_NS).endMetadata().build()).create();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS)
                .addToLabels(ToolgateNames.INJECTION_NAMESPACE_LABEL, "enabled").endMetadata().build()).create();
        admin.serviceAccounts().inNamespace(NS).resource(new ServiceAccountBuilder().withNewMetadata().withName("default").endMetadata()
                .build()).create();

        service = new WebhookService();
        applyChart(service.port());

        // Started together, the replicas race to fill the chart's empty certificate Secret.
        for (String identity : List.of("operator-a", "operator-b")) {
            replicas.put(identity, start(identity));
        }
        for (Replica replica : replicas.values()) {
            awaitReady(replica);
            service.add(replica.webhookPort());
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (Replica replica : replicas.values()) {
            replica.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (service != null) {
            service.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theStandbyServesTakesOverAndReconcilesEverythingAndNoSelectedPodStartsUnprotected() throws Exception {
        for (int i = 0; i < 3; i++) {
            McpPolicy initial = policy("p" + i, "app-" + i);
            createWithRetry(() -> initial);
        }
        for (int i = 0; i < 3; i++) {
            awaitReconciled("p" + i);
        }
        String leader = awaitLeader(null);
        assertThat(replicas).containsKey(leader);
        String standby = replicas.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
        // The replicas raced to fill the empty Secret: both serve the one certificate it holds.
        java.security.cert.Certificate stored = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(
                new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(admin.secrets().inNamespace(OPERATOR_NS)
                        .withName(ToolgateNames.WEBHOOK_TLS_SECRET).get().getData().get("tls.crt"))));
        for (Replica replica : replicas.values()) {
            assertThat(servedCertificate(replica.webhookPort())).as("the certificate %s serves", replica.identity()).isEqualTo(stored);
        }

        replicas.get(leader).process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        service.remove(replicas.get(leader).webhookPort());

        // Before the dead leader's Lease expires, the standby is not leading, yet it serves the pod webhook.
        Pod early = createPodWithRetry(pod("early", "app-0", Map.of()));
        assertThat(holder()).as("the Lease still names the killed leader").isEqualTo(leader);
        assertThat(hasSidecar(early)).as("injected by the standby while not leading").isTrue();

        // Policies change and pods are created while the leadership moves.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).ignoreException(KubernetesClientException.class)
                .until(() -> admin.resources(McpPolicy.class).inNamespace(NS).withName("p0").edit(p -> {
                    p.getSpec().getTools().put("added_during_failover", new ToolRule());
                    return p;
                }), edited -> edited != null);
        List<String> selectedPods = new ArrayList<>(List.of("early"));
        List<String> unselectedPods = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            if (i % 3 == 0) {
                McpPolicy added = policy("q" + i, "app-q" + i);
                createWithRetry(() -> added);
            }
            selectedPods.add(createPodWithRetry(pod("sel-" + i, "app-" + (i % 3), Map.of())).getMetadata().getName());
            unselectedPods.add(createPodWithRetry(pod("plain-" + i, "redis", Map.of())).getMetadata().getName());
            Thread.sleep(500);
        }

        assertThat(awaitLeader(leader)).as("the standby took the Lease").isEqualTo(standby);
        for (McpPolicy policy : admin.resources(McpPolicy.class).inNamespace(NS).list().getItems()) {
            awaitReconciled(policy.getMetadata().getName());
        }
        ConfigMap p0 = admin.configMaps().inNamespace(NS).withName(ToolgateNames.configMapName("p0")).get();
        assertThat(p0.getData().get(ToolgateNames.POLICY_FILE_KEY)).as("the edit made during the failover is rendered")
                .contains("added_during_failover");

        for (Pod pod : admin.pods().inNamespace(NS).list().getItems()) {
            boolean selected = pod.getMetadata().getLabels().get("app").startsWith("app-");
            assertThat(hasSidecar(pod)).as("pod %s (selected: %s)", pod.getMetadata().getName(), selected).isEqualTo(selected);
        }
        assertThat(admin.pods().inNamespace(NS).list().getItems()).extracting(p -> p.getMetadata().getName())
                .containsAll(selectedPods).containsAll(unselectedPods);

        // Both replicas gone: the API server's guard alone keeps selected pods out; every other pod is created.
        replicas.get(standby).process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        service.remove(replicas.get(standby).webhookPort());
        assertThat(admin.pods().inNamespace(NS).resource(pod("plain-outage", "redis", Map.of())).create().getMetadata().getName())
                .isEqualTo("plain-outage");
        KubernetesClientException refused = org.assertj.core.api.Assertions.catchThrowableOfType(KubernetesClientException.class,
                () -> admin.pods().inNamespace(NS).resource(pod("sel-outage", "app-1", Map.of())).create());
        assertThat(refused).as("a selected pod while no replica serves").isNotNull();
        assertThat(refused.getMessage()).contains("toolgate-selected-pods")
                .contains("toolgate: McpPolicy p1 selects this pod, but the Toolgate injection webhook did not add the toolgate-sidecar");
        Pod optedOut = admin.pods().inNamespace(NS).resource(pod("sel-opted-out", "app-1", Map.of(ToolgateNames.INJECT_ANNOTATION, "false")))
                .create();
        assertThat(hasSidecar(optedOut)).as("opted out: admitted unprotected, as with the operator up").isFalse();

        // A replica comes back, takes the free Lease and injects again.
        Replica back = start("operator-c");
        replicas.put("operator-c", back);
        awaitReady(back);
        service.add(back.webhookPort());
        assertThat(awaitLeader(standby)).isEqualTo("operator-c");
        assertThat(hasSidecar(createPodWithRetry(pod("sel-after", "app-1", Map.of())))).isTrue();
    }

    /** The chart, rendered by the real Helm engine: RBAC, ServiceAccount, pod guard and both webhook configurations, pointing at {@code port}. */
    private static void applyChart(int port) throws IOException {
        Path chart = Path.of(System.getProperty("toolgate.chart.manifests"), "chart", "toolgate");
        String manifests = new Helm(chart).template().withName("toolgate").withNamespace(OPERATOR_NS).withKubeVersion("1.32.0").call();
        Files.writeString(LOGS.resolve("chart.yaml"), manifests);
        int kept = 0;
        for (String doc : manifests.split("(?m)^---\\s*$")) {
            if (!List.of("rbac.yaml", "serviceaccount.yaml", "certificates.yaml", "podguard.yaml", "mutatingwebhookconfiguration.yaml",
                    "validatingwebhookconfiguration.yaml").stream().anyMatch(t -> doc.contains("# Source: toolgate/templates/" + t))) {
                continue;
            }
            for (HasMetadata object : admin.load(new java.io.ByteArrayInputStream(doc.getBytes(java.nio.charset.StandardCharsets.UTF_8))).items()) {
                if (object instanceof MutatingWebhookConfiguration mutating) {
                    mutating.getWebhooks().forEach(w -> w.setClientConfig(byUrl(w.getClientConfig(), port)));
                } else if (object instanceof ValidatingWebhookConfiguration validating) {
                    validating.getWebhooks().forEach(w -> w.setClientConfig(byUrl(w.getClientConfig(), port)));
                }
                admin.resource(object).create();
                kept++;
            }
        }
        assertThat(kept).as("objects applied from the chart").isGreaterThanOrEqualTo(10);
        await().atMost(Duration.ofSeconds(30)).until(() -> admin.resources(
                io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy.class).withName("toolgate-selected-pods")
                .get() != null);
    }

    private static WebhookClientConfig byUrl(WebhookClientConfig config, int port) {
        return new io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder()
                .withUrl("https://127.0.0.1:" + port + config.getService().getPath()).build();
    }

    private static Replica start(String identity) throws IOException {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        assertThat(jar).as("the packaged operator (the package phase builds it)").isRegularFile();
        int webhookPort = KubeApiServers.freePort();
        int managementPort = KubeApiServers.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("KUBECONFIG", kubeconfig.toAbsolutePath().toString());
        env.put("KUBERNETES_IMPERSONATE_USERNAME", KubeApiServers.OPERATOR_USER);
        env.put("KUBERNETES_IMPERSONATE_GROUP", "system:serviceaccounts,system:serviceaccounts:" + OPERATOR_NS + ",system:authenticated");
        env.put("TOOLGATE_OPERATOR_NAMESPACE", OPERATOR_NS);
        env.put("TOOLGATE_OPERATOR_WEBHOOK_PORT", Integer.toString(webhookPort));
        env.put("TOOLGATE_OPERATOR_WEBHOOK_EXTRA_SANS", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        env.put("QUARKUS_HTTP_PORT", Integer.toString(KubeApiServers.freePort()));
        env.put("TOOLGATE_OPERATOR_LEADER_ELECTION_IDENTITY", identity);
        env.put("TOOLGATE_OPERATOR_LEADER_ELECTION_LEASE_DURATION", "PT" + LEASE.toSeconds() + "S");
        env.put("TOOLGATE_OPERATOR_LEADER_ELECTION_RENEW_DEADLINE", "PT7S");
        env.put("TOOLGATE_OPERATOR_LEADER_ELECTION_RETRY_PERIOD", "PT1S");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
                jar.toString()).redirectErrorStream(true).redirectOutput(LOGS.resolve(identity + ".log").toFile());
        builder.environment().putAll(env);
        Replica replica = new Replica(identity, builder.start(), webhookPort, managementPort);
        return replica;
    }

    private static void awaitReady(Replica replica) {
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
            assertThat(replica.process().isAlive()).as("%s running; see %s", replica.identity(), LOGS.resolve(replica.identity() + ".log"))
                    .isTrue();
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + replica.managementPort() + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    private static String holder() {
        Lease lease = admin.resources(Lease.class).inNamespace(OPERATOR_NS).withName("toolgate-operator").get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** The Lease's holder once it is someone other than {@code previous} (null: anyone). */
    private static String awaitLeader(String previous) {
        return await().atMost(LEASE.multipliedBy(3)).pollInterval(Duration.ofMillis(200))
                .until(OperatorFailoverIT::holder, h -> h != null && !h.isBlank() && !h.equals(previous));
    }

    private static void awaitReconciled(String name) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            McpPolicy policy = admin.resources(McpPolicy.class).inNamespace(NS).withName(name).get();
            if (policy == null || policy.getStatus() == null || policy.getStatus().getObservedGeneration() == null
                    || policy.getStatus().getObservedGeneration() != policy.getMetadata().getGeneration().longValue()) {
                return false;
            }
            var accepted = StatusConditions.find(policy.getStatus().getConditions(), "Accepted");
            ConfigMap configMap = admin.configMaps().inNamespace(NS).withName(ToolgateNames.configMapName(name)).get();
            return accepted != null && "True".equals(accepted.getStatus()) && configMap != null
                    && policy.getStatus().getPolicyHash().equals(configMap.getMetadata().getAnnotations().get(ToolgateNames.POLICY_HASH_ANNOTATION));
        });
    }

    /** The leaf certificate a replica's webhook presents (read only, not trusted: the comparison is the check). */
    private static java.security.cert.Certificate servedCertificate(int port) throws Exception {
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String type) {
            }

            public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String type) {
            }

            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            return socket.getSession().getPeerCertificates()[0];
        }
    }

    /**
     * Creates as a client that retries would (a controller, a GitOps tool): a webhook call that met a replica as it died
     * is refused once (connection reset), never admitted unchecked.
     */
    private static <T extends HasMetadata> T createWithRetry(Supplier<T> object) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).ignoreException(KubernetesClientException.class)
                .until(() -> admin.resource(object.get()).create(), created -> created != null);
    }

    /** A pod created as a ReplicaSet would: refused pods (the guard, a webhook call cut off) are created again. */
    private static Pod createPodWithRetry(Pod pod) {
        List<String> refusals = new CopyOnWriteArrayList<>();
        Pod created = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
            try {
                return admin.pods().inNamespace(NS).resource(pod).create();
            } catch (KubernetesClientException e) {
                refusals.add(e.getMessage());
                return null;
            }
        }, p -> p != null);
        if (!refusals.isEmpty()) {
            System.out.printf("pod %s refused %d time(s) first: %s%n", pod.getMetadata().getName(), refusals.size(), refusals.get(0));
        }
        return created;
    }

    private static McpPolicy policy(String name, String app) {
        try {
            McpPolicy policy = GoldenFiles.YAML.readValue(OperatorFailoverIT.class.getResource("/golden/configmap/in-minimal-deny.yaml"),
                    McpPolicy.class);
            policy.getMetadata().setUid(null);
            policy.getMetadata().setName(name);
            policy.getMetadata().setNamespace(NS);
            policy.getSpec().setPodSelector(new io.fabric8.kubernetes.api.model.LabelSelectorBuilder().addToMatchLabels("app", app).build());
            policy.getSpec().setTools(new LinkedHashMap<>(Map.of("echo", new ToolRule())));
            return policy;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Pod pod(String name, String app, Map<String, String> annotations) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).addToLabels("app", app).withAnnotations(annotations)
                .endMetadata().withNewSpec().addNewContainer().withName("server").withImage("example/mcp:1")
                .addNewPort().withName("mcp").withContainerPort(8080).endPort().endContainer().endSpec().build();
    }

    private static boolean hasSidecar(Pod pod) {
        return pod.getSpec().getInitContainers().stream().anyMatch(c -> ToolgateNames.SIDECAR_CONTAINER.equals(c.getName()))
                || pod.getSpec().getContainers().stream().anyMatch(c -> ToolgateNames.SIDECAR_CONTAINER.equals(c.getName()));
    }

    /**
     * Stands in for the webhook Service (no kube-proxy here): each connection the API server opens goes to a replica
     * that accepts it, round robin, as a Service with those replicas' endpoints ready would route it.
     */
    static final class WebhookService implements AutoCloseable {
        private final ServerSocket listener;
        private final List<Integer> backends = new CopyOnWriteArrayList<>();
        private int next;

        WebhookService() throws IOException {
            listener = new ServerSocket();
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread acceptor = new Thread(this::accept, "webhook-service");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        void add(int port) {
            backends.add(port);
        }

        void remove(int port) {
            backends.remove(Integer.valueOf(port));
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    Socket backend = connect();
                    if (backend == null) {
                        client.close();
                        continue;
                    }
                    pipe(client, backend);
                    pipe(backend, client);
                } catch (IOException e) {
                    if (listener.isClosed()) {
                        return;
                    }
                }
            }
        }

        private synchronized Socket connect() {
            List<Integer> ports = new ArrayList<>(backends);
            for (int i = 0; i < ports.size(); i++) {
                int port = ports.get(Math.floorMod(next++, ports.size()));
                try {
                    Socket socket = new Socket();
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                    return socket;
                } catch (IOException refused) {
                    // not ready: the next one
                }
            }
            return null;
        }

        private static void pipe(Socket from, Socket to) {
            Thread thread = new Thread(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException closed) {
                    // either side went away
                } finally {
                    try {
                        from.close();
                        to.close();
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }, "webhook-service-pipe");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
