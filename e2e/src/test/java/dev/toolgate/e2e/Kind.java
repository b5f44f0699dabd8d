package dev.toolgate.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * The Kind cluster the tier runs against: a client from its kubeconfig, a preflight that fails loudly (never skips)
 * when the cluster or an image is missing, time-bound waits whose failure message carries pod status, events and
 * logs.
 */
final class Kind {

    static final Path ROOT = Path.of(System.getProperty("toolgate.repo.root", "..")).toAbsolutePath().normalize();
    static final String VERSION = System.getProperty("toolgate.project.version", "0.1.0-SNAPSHOT");
    static final Path KUBECONFIG = Path.of(System.getProperty("toolgate.kubeconfig",
            System.getProperty("user.home") + "/.cache/toolgate/kind/kubeconfig-toolgate"));
    static final Path CHART = Path.of(System.getProperty("toolgate.chart.package",
            ROOT.resolve("helm/target/toolgate-" + VERSION + ".tgz").toString()));
    static final Path OUT = Path.of("target", "kt").toAbsolutePath();
    /** The label the examples' MCP server pods are selected by. */
    static final String APP_LABEL = "app.kubernetes.io/name";

    static final String SIDECAR_IMAGE = "ghcr.io/toolgate-dev/sidecar:" + VERSION;
    static final String OPERATOR_IMAGE = "ghcr.io/toolgate-dev/operator:" + VERSION;
    static final String INIT_IMAGE = "ghcr.io/toolgate-dev/init:" + VERSION;
    static final String SERVER_EVERYTHING_IMAGE = "toolgate/server-everything:2026.8.31";
    static final String REDIS_IMAGE = "toolgate/redis:7.0";
    static final List<String> IMAGES = List.of(SIDECAR_IMAGE, OPERATOR_IMAGE, INIT_IMAGE, SERVER_EVERYTHING_IMAGE, REDIS_IMAGE);

    private Kind() {
    }

    /** A client for the Kind cluster; throws (with what to run) when there is none. */
    static KubernetesClient connect() throws IOException {
        if (!Files.isRegularFile(KUBECONFIG)) {
            throw new IllegalStateException("No Kind kubeconfig at " + KUBECONFIG
                    + ": bring the cluster up with scripts/kind/cluster.sh up (or run scripts/kind/kt.sh)");
        }
        Config config = Config.fromKubeconfig(Files.readString(KUBECONFIG));
        config.setRequestTimeout(30_000);
        config.setConnectionTimeout(10_000);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        try {
            String version = client.getKubernetesVersion().getGitVersion();
            log("cluster %s, Kubernetes %s", config.getMasterUrl(), version);
        } catch (RuntimeException e) {
            client.close();
            throw new IllegalStateException("The Kind cluster behind " + KUBECONFIG + " does not answer (" + e.getMessage()
                    + "): scripts/kind/cluster.sh up", e);
        }
        return client;
    }

    /** Every image the tier needs is on the node (kind load docker-image), else a failure naming the missing ones. */
    static void assertImagesLoaded(KubernetesClient client) {
        waitFor("images " + IMAGES + " on the node (scripts/kind/images.sh && scripts/kind/cluster.sh load)",
                Duration.ofSeconds(30), () -> missingImages(client).isEmpty(), () -> "missing: " + missingImages(client));
    }

    private static List<String> missingImages(KubernetesClient client) {
        List<String> present = client.nodes().list().getItems().stream()
                .flatMap(n -> n.getStatus().getImages() == null ? Stream.empty() : n.getStatus().getImages().stream())
                .flatMap(i -> i.getNames() == null ? Stream.empty() : i.getNames().stream()).toList(); // untagged images have none
        // the node's status lists only the kubelet's 50 largest images (nodeStatusMaxImages): ask the node's
        // containerd (the node is a Docker container of the same name) for any image it does not list
        List<String> nodes = client.nodes().list().getItems().stream().map(n -> n.getMetadata().getName()).toList();
        return IMAGES.stream().filter(img -> present.stream().noneMatch(p -> p.equals(img) || p.equals("docker.io/" + img)))
                .filter(img -> nodes.stream().noneMatch(node -> onNode(node, img))).toList();
    }

    private static boolean onNode(String node, String image) {
        try {
            Process inspect = new ProcessBuilder("docker", "exec", node, "crictl", "inspecti", image).redirectErrorStream(true).start();
            inspect.getInputStream().readAllBytes();
            return inspect.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static Node node(KubernetesClient client) {
        return client.nodes().list().getItems().get(0);
    }

    /** Polls {@code condition} every 500 ms; on timeout fails with {@code what} and {@code diagnostics}. */
    static void waitFor(String what, Duration timeout, Callable<Boolean> condition, Supplier<String> diagnostics) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (Boolean.TRUE.equals(condition.call())) {
                    return;
                }
                last = null;
            } catch (Exception | AssertionError e) {
                last = e;
            }
            sleep(500);
        }
        String diag;
        try {
            diag = diagnostics.get();
        } catch (RuntimeException e) {
            diag = "(diagnostics failed: " + e + ")";
        }
        throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting for " + what
                + (last != null ? "\nlast error: " + last : "") + "\n" + diag, last);
    }

    /** Status, events and container logs of every pod in the namespace (or of those whose name starts with a prefix). */
    static String describePods(KubernetesClient client, String namespace) {
        StringBuilder out = new StringBuilder("--- pods in ").append(namespace).append(" ---\n");
        for (Pod pod : client.pods().inNamespace(namespace).list().getItems()) {
            out.append(describePod(client, pod));
        }
        out.append(events(client, namespace));
        return out.toString();
    }

    static String describePod(KubernetesClient client, Pod pod) {
        StringBuilder out = new StringBuilder();
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        out.append("pod ").append(name).append(" phase=").append(pod.getStatus().getPhase()).append(" ip=")
                .append(pod.getStatus().getPodIP()).append('\n');
        Stream.concat(
                pod.getStatus().getInitContainerStatuses() == null ? Stream.empty() : pod.getStatus().getInitContainerStatuses().stream(),
                pod.getStatus().getContainerStatuses() == null ? Stream.empty() : pod.getStatus().getContainerStatuses().stream())
                .forEach(cs -> out.append("  ").append(containerStatus(cs)).append('\n'));
        if (pod.getStatus().getConditions() != null) {
            pod.getStatus().getConditions().forEach(c -> out.append("  condition ").append(c.getType()).append('=').append(c.getStatus())
                    .append(c.getMessage() != null ? " " + c.getMessage() : "").append('\n'));
        }
        Stream.concat(pod.getSpec().getInitContainers() == null ? Stream.empty() : pod.getSpec().getInitContainers().stream(),
                pod.getSpec().getContainers().stream()).forEach(c -> {
                    String log;
                    try {
                        log = client.pods().inNamespace(ns).withName(name).inContainer(c.getName()).tailingLines(25).getLog();
                    } catch (RuntimeException e) {
                        log = "(no log: " + e.getMessage() + ")";
                    }
                    out.append("  log ").append(c.getName()).append(":\n")
                            .append(indent(log == null ? "" : log, "    ")).append('\n');
                });
        return out.toString();
    }

    private static String containerStatus(ContainerStatus cs) {
        String state = cs.getState() == null ? "?" : cs.getState().getRunning() != null ? "running"
                : cs.getState().getWaiting() != null ? "waiting(" + cs.getState().getWaiting().getReason() + ": "
                        + cs.getState().getWaiting().getMessage() + ")"
                        : cs.getState().getTerminated() != null ? "terminated(" + cs.getState().getTerminated().getReason() + ", exit "
                                + cs.getState().getTerminated().getExitCode() + ")" : "?";
        return cs.getName() + " ready=" + cs.getReady() + " restarts=" + cs.getRestartCount() + " " + state;
    }

    static String events(KubernetesClient client, String namespace) {
        List<Event> events = client.v1().events().inNamespace(namespace).list().getItems();
        return "--- events in " + namespace + " ---\n" + events.stream()
                .sorted(Comparator.comparing(e -> String.valueOf(e.getLastTimestamp() != null ? e.getLastTimestamp() : e.getEventTime())))
                .map(e -> "  " + e.getType() + " " + e.getReason() + " " + e.getInvolvedObject().getKind() + "/"
                        + e.getInvolvedObject().getName() + ": " + e.getMessage())
                .collect(Collectors.joining("\n")) + "\n";
    }

    static String indent(String text, String prefix) {
        return text.lines().map(l -> prefix + l).collect(Collectors.joining("\n"));
    }

    /** The live pods of {@code namespace} labelled {@code app.kubernetes.io/name=app} (those being deleted left out). */
    static List<Pod> pods(KubernetesClient client, String namespace, String app) {
        return client.pods().inNamespace(namespace).withLabel(APP_LABEL, app).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** Waits until exactly {@code count} such pods run with every container Ready, and returns them. */
    static List<Pod> awaitReadyPods(KubernetesClient client, String namespace, String app, int count, Duration timeout) {
        waitFor(count + " Ready pods of " + app + " in " + namespace, timeout, () -> {
            List<Pod> pods = pods(client, namespace, app);
            return pods.size() == count && pods.stream().allMatch(Kind::allContainersReady);
        }, () -> describePods(client, namespace));
        return pods(client, namespace, app);
    }

    static boolean allContainersReady(Pod pod) {
        if (pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase()) || pod.getStatus().getContainerStatuses() == null) {
            return false;
        }
        boolean main = pod.getStatus().getContainerStatuses().stream().allMatch(cs -> Boolean.TRUE.equals(cs.getReady()));
        boolean sidecars = pod.getSpec().getInitContainers() == null || pod.getSpec().getInitContainers().stream()
                .filter(c -> "Always".equals(c.getRestartPolicy()))
                .allMatch(c -> pod.getStatus().getInitContainerStatuses().stream()
                        .anyMatch(cs -> cs.getName().equals(c.getName()) && Boolean.TRUE.equals(cs.getReady())));
        return main && sidecars;
    }

    static void log(String format, Object... args) {
        System.out.printf("[kt] " + format + "%n", args);
        System.out.flush();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
