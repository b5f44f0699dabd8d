package dev.toolgate.testsupport;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real kube-apiserver + etcd (kube-api-test) from the binaries {@code scripts/kube-binaries.sh} builds, for every
 * module's tests. Offline: missing binaries fail the test with kube-api-test's "Binaries cannot be found" instead of a
 * download attempt. There is no controller-manager or kubelet: Deployments create no pods, namespaces are never
 * finalized. kube-api-test runs the server with {@code --service-account-issuer=https://localhost}.
 */
public final class RealApiServer implements AutoCloseable {

    /**
     * The one Kubernetes version of the build's tests: the parent pom's {@code toolgate.kube.version}, which it passes to
     * every module's surefire and failsafe as the system property {@code test.kube.version} (outside {@code toolgate.*},
     * which the Quarkus apps' config validation owns) and to scripts/kube-binaries.sh (docs/kube-binaries.md).
     */
    public static final String KUBE_VERSION = kubeVersion();

    private static String kubeVersion() {
        String version = System.getProperty("test.kube.version");
        if (version == null || version.isBlank()) {
            throw new IllegalStateException("system property test.kube.version is not set (the parent pom passes its toolgate.kube.version to surefire and failsafe)");
        }
        return version;
    }

    private final KubeAPIServer server;
    private final String kubeConfigYaml;
    private final Path kubeConfigFile;
    private final KubernetesClient admin;

    private RealApiServer(KubeAPIServer server) {
        this.server = server;
        this.kubeConfigYaml = server.getKubeConfigYaml();
        try {
            this.kubeConfigFile = Files.createTempFile("toolgate-kubeconfig-", ".yaml");
            Files.writeString(kubeConfigFile, kubeConfigYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.admin = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeConfigYaml)).build();
    }

    public static RealApiServer start(String... apiServerFlags) {
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withOfflineMode(true)
                .withApiServerVersion(KUBE_VERSION)
                .withApiServerFlags(List.of(apiServerFlags))
                .build());
        server.start();
        return new RealApiServer(server);
    }

    public KubernetesClient admin() {
        return admin;
    }

    public String kubeConfigYaml() {
        return kubeConfigYaml;
    }

    public Path kubeConfigFile() {
        return kubeConfigFile;
    }

    /** The admin config (a client certificate in system:masters). */
    public Config adminConfig() {
        return Config.fromKubeconfig(kubeConfigYaml);
    }

    /** A binary scripts/kube-binaries.sh built for {@link #KUBE_VERSION}, where kube-api-test finds its own. */
    public static Path binary(String name) {
        String testDir = System.getenv().getOrDefault("KUBE_API_TEST_DIR", System.getProperty("user.home") + "/.kubeapitest");
        return Path.of(testDir, "k8s", KUBE_VERSION + "-linux-" + arch(), name);
    }

    /** {@code base} impersonating a ServiceAccount, with the groups a real token of it would carry. */
    public static Config asServiceAccount(Config base, String namespace, String serviceAccount) {
        return new ConfigBuilder(base)
                .withImpersonateUsername("system:serviceaccount:" + namespace + ":" + serviceAccount)
                .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated")
                .build();
    }

    /** A client acting as a ServiceAccount, with the groups its token would carry. */
    public KubernetesClient as(String namespace, String serviceAccount) {
        return new KubernetesClientBuilder().withConfig(asServiceAccount(adminConfig(), namespace, serviceAccount)).build();
    }

    /** Applies the generated CRDs from crds/ and waits until they are served. */
    public void applyCrds(Path crdsDir) throws IOException {
        try (var files = Files.list(crdsDir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().load(in).item();
                    admin.resource(crd).serverSideApply();
                    await().atMost(Duration.ofSeconds(30)).until(() -> established(crd.getMetadata().getName()));
                }
            }
        }
    }

    public boolean established(String crdName) {
        CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().withName(crdName).get();
        return crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
                .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Runs the kubectl that kube-api-test uses (same version as the server) against this server. */
    public KubectlResult kubectl(String... args) throws IOException, InterruptedException {
        Path kubectl = binary("kubectl");
        List<String> command = new ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeConfigFile.toString()));
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile("kubectl-", ".err");
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("kubectl timed out: " + command);
        }
        String errors = Files.readString(stderr);
        Files.delete(stderr);
        return new KubectlResult(process.exitValue(), output, errors);
    }

    /** stdout and stderr apart: kubectl prints deprecation warnings on stderr. */
    public record KubectlResult(int exitCode, String output, String errors) {
        public String all() {
            return output + errors;
        }
    }

    private static String arch() {
        return System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
    }

    @Override
    public void close() {
        admin.close();
        server.stop();
        try {
            Files.deleteIfExists(kubeConfigFile);
        } catch (IOException ignored) {
            // a temp file; the OS cleans up
        }
    }
}
