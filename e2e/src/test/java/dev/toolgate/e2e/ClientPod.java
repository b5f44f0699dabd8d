package dev.toolgate.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * An MCP client inside the cluster: a pod (Node 22 from the server-everything image, non-root, read-only root)
 * running {@code mcp-client.mjs} against one or more URLs, in a namespace the webhook never sees.
 */
final class ClientPod {

    static final String NAMESPACE = "toolgate-kt-client";
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String SCRIPT;

    static {
        try (InputStream in = ClientPod.class.getResourceAsStream("/mcp-client.mjs")) {
            SCRIPT = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ClientPod() {
    }

    static void ensureNamespace(KubernetesClient client) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
                .serverSideApply();
    }

    /** Runs the calls against every target; returns the KT-RESULT lines, in order. */
    static List<JsonNode> run(KubernetesClient client, List<String> targets, List<Mcp.Call> calls) throws IOException {
        return run(client, Map.of("targets", targets, "calls", calls));
    }

    /**
     * Each call in an MCP session of its own, on a TCP connection of its own, so the Service behind {@code target}
     * balances the calls over its pods; returns one KT-RESULT line per call, in order.
     */
    static List<JsonNode> sessions(KubernetesClient client, String target, List<Mcp.Call> calls) throws IOException {
        return run(client, Map.of("sessions", Map.of("target", target, "calls", calls)));
    }

    /** GETs every URL from inside the cluster (metrics, health); returns one KT-RESULT line per URL, with its body. */
    static List<JsonNode> scrape(KubernetesClient client, List<String> urls) throws IOException {
        return run(client, Map.of("scrape", urls));
    }

    /**
     * Runs the calls against every target from inside an existing container ({@code kubectl exec}; the container needs
     * {@code env} and {@code node} on its PATH, as the server-everything image has); returns the KT-RESULT lines.
     */
    static List<JsonNode> execIn(KubernetesClient client, String namespace, String pod, String container, List<String> targets,
            List<Mcp.Call> calls) throws Exception {
        String spec = Mcp.JSON.writeValueAsString(Map.of("targets", targets, "calls", calls));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try (var exec = client.pods().inNamespace(namespace).withName(pod).inContainer(container).writingOutput(out).writingError(err)
                .exec("env", "KT_SPEC=" + spec, "node", "--input-type=module", "-e", SCRIPT)) {
            Integer code = exec.exitCode().get(120, java.util.concurrent.TimeUnit.SECONDS);
            String log = out.toString(StandardCharsets.UTF_8);
            Kind.log("exec in %s/%s (exit %s):%n%s%s", pod, container, code, Kind.indent(log, "  "), Kind.indent(err.toString(StandardCharsets.UTF_8), "  ! "));
            List<JsonNode> results = Mcp.results(log);
            if (results.isEmpty()) {
                throw new AssertionError("exec in " + pod + "/" + container + " printed no results (exit " + code + "):\n" + log + err);
            }
            return results;
        }
    }

    private static List<JsonNode> run(KubernetesClient client, Map<String, Object> specification) throws IOException {
        ensureNamespace(client);
        String spec = Mcp.JSON.writeValueAsString(specification);
        String name = "mcp-client-" + System.currentTimeMillis() % 100000 + "-" + SEQ.incrementAndGet();
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(NAMESPACE).addToLabels("app", "toolgate-kt-client")
                .endMetadata()
                .withNewSpec().withRestartPolicy("Never").withTerminationGracePeriodSeconds(0L)
                .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(1000L).withNewSeccompProfile().withType("RuntimeDefault")
                .endSeccompProfile().endSecurityContext()
                .addNewContainer().withName("client").withImage(Kind.SERVER_EVERYTHING_IMAGE).withImagePullPolicy("Never")
                .withCommand("node", "--input-type=module", "-e", SCRIPT)
                .addNewEnv().withName("KT_SPEC").withValue(spec).endEnv()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .endContainer().endSpec().build();
        client.pods().inNamespace(NAMESPACE).resource(pod).create();
        try {
            Kind.waitFor("client pod " + name + " to finish", Duration.ofSeconds(120), () -> {
                Pod p = client.pods().inNamespace(NAMESPACE).withName(name).get();
                String phase = p == null ? null : p.getStatus().getPhase();
                return "Succeeded".equals(phase) || "Failed".equals(phase);
            }, () -> Kind.describePod(client, client.pods().inNamespace(NAMESPACE).withName(name).get()));
            String log = client.pods().inNamespace(NAMESPACE).withName(name).getLog();
            Kind.log("client pod %s:%n%s", name, Kind.indent(log, "  "));
            List<JsonNode> results = Mcp.results(log);
            if (results.isEmpty()) {
                throw new AssertionError("client pod " + name + " printed no results:\n" + log);
            }
            return results;
        } finally {
            client.pods().inNamespace(NAMESPACE).withName(name).withGracePeriod(0).delete();
        }
    }
}
