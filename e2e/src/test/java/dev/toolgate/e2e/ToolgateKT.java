package dev.toolgate.e2e;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import dev.toolgate.testsupport.ElicitClient;
import com.marcnuri.helm.Release;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Toolgate on a real cluster, one install shared by ordered tests: the packaged chart installed with helm-java, the
 * webhook injecting real pods, MCP calls through the Service from inside and outside the cluster, and finally the
 * uninstall. Every wait is time-bound and fails with the pods' status, events and logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ToolgateKT {

    static final String SYSTEM = ToolgateRelease.SYSTEM;
    static final String RELEASE = ToolgateRelease.NAME;
    static final String NS = "toolgate-kt";
    static final String SELECTOR_KEY = Kind.APP_LABEL;
    static final String SERVER = "server-everything";
    static final String POLICY_CONFIGMAP = "server-everything-toolgate-policy";
    static final String SIDECAR = "toolgate-sidecar";

    static KubernetesClient client;

    @BeforeAll
    static void preflight() throws Exception {
        Files.createDirectories(Kind.OUT);
        client = Kind.connect(); // fails (never skips) without a cluster
        Kind.assertImagesLoaded(client);
        assertThat(Kind.CHART).as("the packaged chart (./mvnw package -pl helm -am)").isRegularFile();
        cleanUp();
    }

    @AfterAll
    static void close() {
        if (client != null) {
            client.close();
        }
    }

    /** Leaves the cluster as a previous (maybe interrupted) run may not have: no release, no test namespaces. */
    static void cleanUp() {
        ToolgateRelease.cleanUp(client, List.of(NS, ClientPod.NAMESPACE));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. Install

    @Test
    @Order(1)
    void helmInstallBringsTheOperatorUpAndItIssuesTheWebhookCa() throws Exception {
        ToolgateRelease.install(client);
        Deployment operator = client.apps().deployments().inNamespace(SYSTEM).withName("toolgate-operator").get();
        assertThat(operator.getStatus().getReadyReplicas()).as("the chart's default: two operator replicas").isEqualTo(2);
        Kind.waitFor("one replica to hold the leader Lease", Duration.ofSeconds(60), () -> {
            var lease = client.resources(io.fabric8.kubernetes.api.model.coordination.v1.Lease.class).inNamespace(SYSTEM)
                    .withName("toolgate-operator").get();
            return lease != null && lease.getSpec().getHolderIdentity() != null
                    && lease.getSpec().getHolderIdentity().startsWith("toolgate-operator-");
        }, () -> Kind.describePods(client, SYSTEM));

        Kind.waitFor("the operator to write the webhook's caBundle", Duration.ofSeconds(60), () -> caBundle() != null,
                () -> Kind.describePods(client, SYSTEM));
        Map<String, String> tls = client.secrets().inNamespace(SYSTEM).withName("toolgate-webhook-tls").get().getData();
        assertThat(tls).containsKeys("ca.crt", "tls.crt", "tls.key");
        byte[] bundle = caBundle();
        assertThat(new String(bundle, StandardCharsets.US_ASCII).strip())
                .isEqualTo(new String(Base64.getDecoder().decode(tls.get("ca.crt")), StandardCharsets.US_ASCII).strip());
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        X509Certificate ca = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(bundle));
        X509Certificate serving = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(tls.get("tls.crt"))));
        serving.verify(ca.getPublicKey()); // the serving certificate the operator presents is signed by that CA
        assertThat(serving.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList())
                .contains("toolgate-operator." + SYSTEM + ".svc");
        Kind.log("caBundle: CA %s signs the serving certificate %s", ca.getSubjectX500Principal(), serving.getSubjectX500Principal());
    }

    private static byte[] caBundle() {
        MutatingWebhookConfiguration config = client.admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName("toolgate-injector").get();
        if (config == null || config.getWebhooks().isEmpty() || config.getWebhooks().get(0).getClientConfig().getCaBundle() == null) {
            return null;
        }
        String b64 = config.getWebhooks().get(0).getClientConfig().getCaBundle();
        return b64.isEmpty() ? null : Base64.getDecoder().decode(b64);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. Injection on real pods

    @Test
    @Order(2)
    void webhookInjectsTheSidecarIntoRealPodsAndThePolicyCountsThem() throws Exception {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS)
                .addToLabels("toolgate.dev/injection", "enabled").endMetadata().build()).serverSideApply();
        apply("kt/20-mcppolicy.yaml");
        Kind.waitFor("the operator to render the policy ConfigMap", Duration.ofSeconds(60),
                () -> client.configMaps().inNamespace(NS).withName(POLICY_CONFIGMAP).get() != null,
                () -> Kind.events(client, NS) + Kind.describePods(client, SYSTEM));
        long t0 = System.nanoTime();
        apply("kt/10-server-everything.yaml");
        List<Pod> pods = Kind.awaitReadyPods(client, NS, SERVER, 2, Duration.ofSeconds(240));
        Kind.log("2 injected pods Ready in %d ms", (System.nanoTime() - t0) / 1_000_000);
        for (Pod pod : pods) {
            List<String> running = appContainers(pod).stream().map(Container::getName).toList();
            assertThat(running).as("app containers of %s (sidecar injected)", pod.getMetadata().getName())
                    .containsExactlyInAnyOrder("server", SIDECAR);
            assertThat(pod.getMetadata().getAnnotations()).containsEntry("toolgate.dev/policy", SERVER);
        }
        Kind.waitFor("McpPolicy status to report 2 protected pods", Duration.ofSeconds(90),
                () -> Integer.valueOf(2).equals(policyStatus().get("podsWithSidecar"))
                        && Integer.valueOf(0).equals(policyStatus().get("podsWithoutSidecar")),
                () -> "status: " + policyStatus());
        Kind.log("McpPolicy status: %s", policyStatus());
    }

    /** App containers: regular containers plus native sidecars (init containers with restartPolicy Always). */
    static List<Container> appContainers(Pod pod) {
        return Stream.concat(pod.getSpec().getContainers().stream(), pod.getSpec().getInitContainers() == null ? Stream.empty()
                : pod.getSpec().getInitContainers().stream().filter(c -> "Always".equals(c.getRestartPolicy()))).toList();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> policyStatus() {
        return status(SERVER);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> status(String policyName) {
        GenericKubernetesResource policy = client.genericKubernetesResources("toolgate.dev/v1alpha1", "McpPolicy").inNamespace(NS)
                .withName(policyName).get();
        Object status = policy == null ? null : policy.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static void apply(String resource) throws IOException {
        try (InputStream in = ToolgateKT.class.getResourceAsStream("/" + resource)) {
            client.load(in).forceConflicts().serverSideApply();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. Calls through the Service

    /** The demo policy's cases, with per-run agent ids so the identity-scoped limits start at zero. */
    static List<Mcp.Call> policyCases(String agent) {
        List<Mcp.Call> calls = new ArrayList<>();
        calls.add(new Mcp.Call("get-sum", Map.of("a", 1, "b", 2), agent + "-sum"));           // 0 allowed
        calls.add(new Mcp.Call("get-env", Map.of(), agent + "-env"));                        // 1 denied (rule)
        calls.add(new Mcp.Call("get-sum", Map.of("a", 5000, "b", 1), agent + "-sum"));        // 2 denied (deny_if)
        calls.add(new Mcp.Call("get-sum", Map.of("a", "one", "b", 2), agent + "-sum"));       // 3 invalid arguments
        calls.add(new Mcp.Call("trigger-long-running-operation", Map.of("duration", 1, "steps", 1), agent + "-lr")); // 4 approval
        calls.add(new Mcp.Call("get-tiny-image", Map.of(), agent + "-tiny"));                // 5 default deny
        for (int i = 0; i < 6; i++) {
            calls.add(new Mcp.Call("echo", Map.of("message", "hello " + i), agent + "-echo")); // 6..10 allowed, 11 rate limited
        }
        return calls;
    }

    static void assertPolicyCases(List<Mcp.Answer> answers) {
        assertThat(answers).hasSize(12);
        assertThat(answers.get(0).isResult()).as("get-sum 1+2 allowed: %s", answers.get(0)).isTrue();
        assertThat(answers.get(0).resultText()).contains("3");
        assertThat(answers.get(1).errorCode()).as("get-env denied: %s", answers.get(1)).isEqualTo(-31001);
        assertThat(answers.get(2).errorCode()).as("get-sum a=5000 denied by deny_if: %s", answers.get(2)).isEqualTo(-31001);
        assertThat(answers.get(2).response().path("error").path("message").asText()).contains("Sums above 1000 need a human.");
        assertThat(answers.get(3).errorCode()).as("get-sum a=\"one\" invalid arguments: %s", answers.get(3)).isEqualTo(-31003);
        assertThat(answers.get(4).errorCode()).as("trigger-long-running-operation approval: %s", answers.get(4)).isEqualTo(-31004);
        assertThat(answers.get(5).errorCode()).as("get-tiny-image default deny: %s", answers.get(5)).isEqualTo(-31001);
        for (int i = 6; i < 11; i++) {
            assertThat(answers.get(i).isResult()).as("echo %d allowed: %s", i - 6, answers.get(i)).isTrue();
            assertThat(answers.get(i).resultText()).contains("hello " + (i - 6));
        }
        assertThat(answers.get(11).errorCode()).as("6th echo in a minute rate limited: %s", answers.get(11)).isEqualTo(-31002);
    }

    @Test
    @Order(3)
    void callsThroughTheServiceFromInsideAndOutsideTheCluster() throws Exception {
        String url = "http://" + SERVER + "." + NS + ".svc.cluster.local/mcp";
        List<JsonNode> inside = ClientPod.run(client, List.of(url), policyCases("inside-" + System.currentTimeMillis()));
        assertThat(inside).allSatisfy(r -> assertThat(r.path("stage").asText()).as("%s", r).isEqualTo("call"));
        assertPolicyCases(inside.stream().map(Mcp::answer).toList());

        try (LocalPortForward forward = portForwardToService(SERVER, "mcp")) {
            URI uri = URI.create("http://127.0.0.1:" + forward.getLocalPort() + "/mcp");
            Mcp mcp = new Mcp(uri).initialize();
            List<Mcp.Answer> outside = new ArrayList<>();
            for (Mcp.Call call : policyCases("outside-" + System.currentTimeMillis())) {
                outside.add(mcp.call(call.name(), call.arguments(), call.agent()));
            }
            Kind.log("outside answers: %s", outside);
            assertPolicyCases(outside);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3b. Human approval: the sidecar files an McpApproval through the operator, a human decides with the kubectl plugin

    static final String LONG_RUNNING = "trigger-long-running-operation";

    @Test
    @Order(4)
    void aCallNeedingApprovalRunsOnceAfterAHumanApprovesIt() throws Exception {
        String agent = "approval-" + System.currentTimeMillis();
        try (LocalPortForward forward = portForwardToService(SERVER, "mcp")) {
            Mcp mcp = new Mcp(URI.create("http://127.0.0.1:" + forward.getLocalPort() + "/mcp")).initialize();
            Map<String, Object> arguments = Map.of("duration", 1, "steps", 1);

            Mcp.Answer asked = mcp.call(LONG_RUNNING, arguments, agent);
            Kind.log("needs approval: %s", asked);
            assertThat(asked.errorCode()).as("%s", asked).isEqualTo(-31004);
            JsonNode approval = asked.response().path("error").path("data").path("approval");
            String name = approval.path("name").asText();
            assertThat(approval.path("state").asText()).isEqualTo("Pending");
            assertThat(approval.path("approve").asText()).isEqualTo("kubectl toolgate approve " + name + " -n " + NS);
            assertThat(asked.response().path("error").path("message").asText()).contains("retry the same call once a human approved it");
            assertThat(mcp.call(LONG_RUNNING, arguments, agent).response().path("error").path("data").path("approval").path("name").asText())
                    .as("asking again names the same approval").isEqualTo(name);

            String shown = plugin("show", name, "-n", NS);
            assertThat(shown).contains("tool:       " + LONG_RUNNING).contains("requester:  " + agent).contains("duration:1");
            plugin("approve", name, "-n", NS, "--reason", "one run, \"checked\"");
            var stored = client.genericKubernetesResources("toolgate.dev/v1alpha1", "McpApproval").inNamespace(NS).withName(name).get();
            @SuppressWarnings("unchecked")
            Map<String, Object> decision = (Map<String, Object>) ((Map<String, Object>) stored.getAdditionalProperties().get("spec")).get("decision");
            assertThat(decision).containsEntry("verdict", "Approved").containsEntry("reason", "one run, \"checked\"")
                    .containsEntry("approver", "kubernetes-admin");

            // the same call, its numbers spelt otherwise: the same digest, so the same approval; it runs once
            Mcp.Answer ran = mcp.call(LONG_RUNNING, Map.of("duration", 1.0, "steps", 1), agent);
            Kind.log("approved call: %s", ran);
            assertThat(ran.isResult()).as("the approved call runs: %s", ran).isTrue();
            Mcp.Answer replay = mcp.call(LONG_RUNNING, arguments, agent);
            assertThat(replay.errorCode()).as("a replay of the approved call: %s", replay).isEqualTo(-31004);
            assertThat(replay.response().path("error").path("data").path("approval").path("name").asText()).isNotEqualTo(name);

            Mcp.Answer other = mcp.call(LONG_RUNNING, Map.of("duration", 2, "steps", 1), agent);
            assertThat(other.errorCode()).as("other arguments: %s", other).isEqualTo(-31004);
            Mcp.Answer otherAgent = mcp.call(LONG_RUNNING, arguments, agent + "-other");
            assertThat(otherAgent.errorCode()).as("another identity: %s", otherAgent).isEqualTo(-31004);
            String rejected = otherAgent.response().path("error").path("data").path("approval").path("name").asText();
            plugin("reject", rejected, "-n", NS, "--reason", "not during the sale");
            Mcp.Answer refused = mcp.call(LONG_RUNNING, arguments, agent + "-other");
            assertThat(refused.errorCode()).as("rejected: %s", refused).isEqualTo(-31001);
            assertThat(refused.response().path("error").path("message").asText())
                    .contains("rejected by kubernetes-admin: not during the sale");
        }
    }

    /**
     * Hold mode on real pods: the call is kept open (a Streamable HTTP event stream with notifications/progress) while
     * the McpApproval waits; a human approves with the plugin and the same request then runs, once.
     */
    @Test
    @Order(5)
    void aHeldCallWaitsForTheHumanAndThenRunsOnce() throws Exception {
        String agent = "hold-" + System.currentTimeMillis();
        String tool = "get-annotated-message";
        Map<String, Object> arguments = Map.of("messageType", "success");
        try (LocalPortForward forward = portForwardToService(SERVER, "mcp")) {
            Mcp mcp = new Mcp(URI.create("http://127.0.0.1:" + forward.getLocalPort() + "/mcp")).initialize();
            long t0 = System.nanoTime();
            var held = mcp.callHeld(tool, arguments, agent, "kt-hold-1", Duration.ofSeconds(100));

            java.util.concurrent.atomic.AtomicReference<String> pending = new java.util.concurrent.atomic.AtomicReference<>();
            Kind.waitFor("a pending McpApproval for " + agent, Duration.ofSeconds(30), () -> {
                approvalsOf(agent, tool).stream().findFirst().ifPresent(pending::set);
                return pending.get() != null;
            }, () -> Kind.describePods(client, NS));
            String name = pending.get();
            Thread.sleep(7_000); // longer than the sidecar's progress interval (5 s): the agent hears from it while it waits
            assertThat(held).as("still held while the approval is pending").isNotDone();
            plugin("approve", name, "-n", NS, "--reason", "held and checked");

            Mcp.Answer ran = held.get(60, java.util.concurrent.TimeUnit.SECONDS);
            long heldMs = (System.nanoTime() - t0) / 1_000_000;
            Kind.log("held call answered after %d ms: %s", heldMs, ran);
            assertThat(ran.isResult()).as("the held call runs once approved: %s", ran).isTrue();
            assertThat(ran.text()).as("progress while held").contains("notifications/progress").contains("kt-hold-1");
            assertThat(heldMs).isGreaterThanOrEqualTo(7_000);

            // the approval is used up: the same call again is held anew, under an approval of its own
            var replay = mcp.callHeld(tool, arguments, agent, "kt-hold-2", Duration.ofSeconds(100));
            Kind.waitFor("a second McpApproval for " + agent, Duration.ofSeconds(30), () -> approvalsOf(agent, tool).size() == 2,
                    () -> approvalsOf(agent, tool).toString());
            assertThat(replay).as("the replay is held, not run").isNotDone();
            String second = approvalsOf(agent, tool).stream().filter(n -> !n.equals(name)).findFirst().orElseThrow();
            plugin("reject", second, "-n", NS, "--reason", "once is enough");
            Mcp.Answer refused = replay.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(refused.errorCode()).as("rejected while held: %s", refused).isEqualTo(-31001);
            assertThat(refused.response().path("error").path("message").asText()).contains("rejected by kubernetes-admin: once is enough");
        }
    }

    /**
     * Elicit mode on the 2026-07-28 revision, across the two replicas of a payments server on the TypeScript SDK v2: the
     * SDK v2 client (from this machine, through a port-forward to each pod's sidecar) gets "input required" with a
     * sealed requestState on pod A and on pod B alike; a human approves with the kubectl plugin; the call re-sent to pod
     * B with the state pod A sealed runs once. Both sidecars sign with the policy's key from the operator (kept in the
     * chart's Secret toolgate-approval-state-key). Then the 2025 revisions: the SDK 1.x client, against a payments server
     * that keeps sessions, is asked on its call's own stream ({@code elicitation/create} from the sidecar); approved
     * with the plugin, its accept runs the call once.
     */
    @Test
    @Order(6)
    void anElicitedCallRunsOnceApprovedOnEitherPodAndOnEitherRevision() throws Exception {
        apply("kt/40-modern-payments.yaml");
        List<Pod> pods = Kind.awaitReadyPods(client, NS, "modern-payments", 2, Duration.ofSeconds(180));
        // Ready comes before the policy's state key: a sidecar asks the operator for it at start and every 10 s until it
        // has it (meanwhile it seals with a key of its own, which the other replica refuses), so wait for both to have it
        for (Pod pod : pods) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> client.pods()
                    .inNamespace(NS).withName(pod.getMetadata().getName()).inContainer(SIDECAR).getLog()
                    .contains("seals requestState with McpPolicy modern-payments's key from the operator"));
        }
        String agent = "elicit-" + System.currentTimeMillis();
        String payment = "pay_" + System.currentTimeMillis() % 100_000;
        try (LocalPortForward toA = client.pods().inNamespace(NS).withName(pods.get(0).getMetadata().getName())
                .portForward(8090, InetAddress.getLoopbackAddress(), 0);
                LocalPortForward toB = client.pods().inNamespace(NS).withName(pods.get(1).getMetadata().getName())
                        .portForward(8090, InetAddress.getLoopbackAddress(), 0);
                ElicitClient onA = new ElicitClient("http://127.0.0.1:" + toA.getLocalPort(), agent, payment, "modern", "manual");
                ElicitClient onB = new ElicitClient("http://127.0.0.1:" + toB.getLocalPort(), agent, payment, "modern", "manual")) {
            assertThat(onA.next().path("protocolVersion").asText()).isEqualTo("2026-07-28");
            JsonNode askedOnA = onA.next();
            String sealedByA = askedOnA.path("inputRequired").path("requestState").asText();
            assertThat(sealedByA).as("pod A answers input required: %s", askedOnA).startsWith("tg1.");
            onB.next();
            JsonNode askedOnB = onB.next();
            assertThat(askedOnB.path("inputRequired").path("requestState").asText()).as("pod B too: %s", askedOnB).startsWith("tg1.");
            List<String> filed = approvalsOf(agent, "update_amount");
            assertThat(filed).as("both pods wait for the same McpApproval").hasSize(1);
            plugin("approve", filed.get(0), "-n", NS, "--reason", "checked on Kind");

            onB.resend(sealedByA, "accept"); // the Service sent the re-sent call to the other pod
            JsonNode ran = onB.next();
            assertThat(ran.path("result").asText()).as("the state pod A sealed opens on pod B: %s", ran)
                    .isEqualTo("payment " + payment + ": amount set to 100 (run 1)");
        }
        Map<String, String> key = client.secrets().inNamespace(SYSTEM).withName("toolgate-approval-state-key").get().getData();
        assertThat(key).as("the master key the operator generated").containsKey("master-key");
        client.apps().deployments().inNamespace(NS).withName("modern-payments").delete();

        apply("kt/41-session-payments.yaml");
        Pod sessionPod = Kind.awaitReadyPods(client, NS, "session-payments", 1, Duration.ofSeconds(180)).get(0);
        String onStream = payment + "_stream";
        List<String> before = approvalsOf(agent, "update_amount");
        try (LocalPortForward toPod = client.pods().inNamespace(NS).withName(sessionPod.getMetadata().getName())
                .portForward(8090, InetAddress.getLoopbackAddress(), 0);
                ElicitClient v1 = new ElicitClient("http://127.0.0.1:" + toPod.getLocalPort(), agent, onStream, "v1", "auto")) {
            assertThat(v1.next().path("event").asText()).isEqualTo("connected");
            JsonNode asked = v1.next();
            assertThat(asked.path("event").asText()).as("asked on the call's stream: %s", asked).isEqualTo("elicited");
            assertThat(asked.path("id").asText()).startsWith("toolgate.dev/approval-");
            String name = org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> approvalsOf(agent, "update_amount")
                    .stream().filter(n -> !before.contains(n)).findFirst().orElse(null), java.util.Objects::nonNull);
            assertThat(asked.path("params").path("message").asText()).contains("kubectl toolgate approve " + name + " -n " + NS);
            plugin("approve", name, "-n", NS, "--reason", "checked on Kind");
            v1.send("accept");
            JsonNode ran = v1.next();
            assertThat(ran.path("result").asText()).as("run once accepted: %s", ran).isEqualTo("payment " + onStream + ": amount set to 100 (run 1)");
        }
        client.apps().deployments().inNamespace(NS).withName("session-payments").delete();
    }

    /** Names of the McpApprovals filed for this requester and tool. */
    static List<String> approvalsOf(String requester, String tool) {
        return client.genericKubernetesResources("toolgate.dev/v1alpha1", "McpApproval").inNamespace(NS).list().getItems().stream()
                .filter(a -> requester.equals(spec(a, "requester", "subject")) && tool.equals(spec(a, "tool")))
                .map(a -> a.getMetadata().getName()).toList();
    }

    @SuppressWarnings("unchecked")
    static String spec(GenericKubernetesResource resource, String... path) {
        Object node = resource.getAdditionalProperties().get("spec");
        for (String key : path) {
            node = node instanceof Map<?, ?> map ? map.get(key) : null;
        }
        return node == null ? null : node.toString();
    }

    /** {@code kubectl toolgate ...}: the project's plugin, run with the host's kubectl against the Kind cluster. */
    static String plugin(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", Kind.ROOT.resolve("scripts/kubectl-toolgate").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("KUBECONFIG", Kind.KUBECONFIG.toString());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("kubectl toolgate %s: %s", String.join(" ", args), output).isZero();
        Kind.log("kubectl toolgate %s: %s", String.join(" ", args), output.trim());
        return output;
    }

    /**
     * What {@code kubectl port-forward svc/NAME} does: the Service's target port resolved through its EndpointSlices
     * to a pod and port number, forwarded from 127.0.0.1.
     */
    static LocalPortForward portForwardToService(String service, String portName) throws IOException {
        EndpointSlice slice = client.discovery().v1().endpointSlices().inNamespace(NS).withLabel("kubernetes.io/service-name", service)
                .list().getItems().stream().filter(s -> s.getEndpoints() != null && !s.getEndpoints().isEmpty()).findFirst()
                .orElseThrow(() -> new AssertionError("no endpoints for Service " + service + "\n" + Kind.describePods(client, NS)));
        int port = slice.getPorts().stream().filter(p -> portName.equals(p.getName())).findFirst().orElseThrow().getPort();
        String pod = slice.getEndpoints().stream().filter(e -> Boolean.TRUE.equals(e.getConditions().getReady())).findFirst()
                .orElseThrow().getTargetRef().getName();
        Kind.log("port-forward 127.0.0.1 -> pod %s port %d (Service %s port %s)", pod, port, service, portName);
        return client.pods().inNamespace(NS).withName(pod).portForward(port, InetAddress.getLoopbackAddress(), 0);
    }

    @Test
    @Order(7)
    void metricsAndHealthAreScrapedFromInsideTheCluster() throws Exception {
        List<String> urls = new ArrayList<>();
        for (Pod pod : Kind.pods(client, NS, SERVER)) {
            String base = "http://" + pod.getStatus().getPodIP() + ":9000";
            urls.add(base + "/q/metrics");
            urls.add(base + "/q/health/ready");
        }
        List<JsonNode> scraped = ClientPod.scrape(client, urls);
        assertThat(scraped).hasSize(urls.size())
                .allSatisfy(r -> assertThat(r.path("stage").asText()).as("%s", r).isEqualTo("scrape"))
                .allSatisfy(r -> assertThat(r.path("status").asInt()).as("%s", r.path("target").asText()).isEqualTo(200));
        double denied = 0;
        double allowed = 0;
        for (JsonNode r : scraped) {
            String body = r.path("body").asText();
            if (r.path("target").asText().endsWith("/q/health/ready")) {
                assertThat(body).as("readiness of %s", r.path("target").asText()).containsPattern("\"status\"\\s*:\\s*\"UP\"");
                continue;
            }
            assertThat(body).contains("toolgate_policy_info{", "toolgate_refused_total{");
            for (String line : body.split("\n")) {
                if (line.startsWith("toolgate_tool_calls_total{") && line.contains("decision=\"denied\"")) {
                    denied += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                } else if (line.startsWith("toolgate_tool_calls_total{") && line.contains("decision=\"allowed\"")) {
                    allowed += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        }
        Kind.log("scraped from inside the cluster: %.0f allowed, %.0f denied calls over %d pods", allowed, denied, urls.size() / 2);
        // test 3 made denied and allowed calls through these pods
        assertThat(denied).as("denied calls counted by the sidecars").isGreaterThan(0);
        assertThat(allowed).as("allowed calls counted by the sidecars").isGreaterThan(0);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. No route around the sidecar

    @Test
    @Order(8)
    void noPortOfTheInjectedPodExecutesADeniedCall() throws Exception {
        List<String> targets = new ArrayList<>();
        Map<String, String> mcpTargets = new java.util.LinkedHashMap<>();
        for (Pod pod : Kind.pods(client, NS, SERVER)) {
            assertThat(pod.getSpec().getInitContainers()).extracting(Container::getName).as("init containers of %s",
                    pod.getMetadata().getName()).contains("toolgate-init");
            String ip = pod.getStatus().getPodIP();
            List<Integer> ports = listeningPorts(pod);
            Kind.log("pod %s (%s) listens on %s", pod.getMetadata().getName(), ip, ports);
            assertThat(ports).as("the MCP server listens on all addresses").contains(3001);
            for (int port : ports) {
                targets.add("http://" + ip + ":" + port + "/mcp");
            }
            mcpTargets.put("http://" + ip + ":3001/mcp", pod.getMetadata().getName());
        }
        // Control: the same server opted out of injection - the same direct call DOES execute there, so the check
        // below can see a bypass (this is what every injected pod answered before the inbound redirect).
        Pod control = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("unguarded-control").withNamespace(NS)
                .addToLabels(SELECTOR_KEY, "unguarded-control").addToLabels("toolgate.dev/inject", "false").endMetadata()
                .withSpec(client.apps().deployments().inNamespace(NS).withName(SERVER).get().getSpec().getTemplate().getSpec())
                .build();
        client.pods().inNamespace(NS).resource(control).create();
        Pod controlPod = Kind.awaitReadyPods(client, NS, "unguarded-control", 1, Duration.ofSeconds(120)).get(0);
        assertThat(appContainers(controlPod)).extracting(Container::getName).containsExactly("server");
        String controlTarget = "http://" + controlPod.getStatus().getPodIP() + ":3001/mcp";

        String agent = "direct-" + System.currentTimeMillis();
        List<String> all = new ArrayList<>(targets);
        all.add(controlTarget);
        List<JsonNode> everything = ClientPod.run(client, all, List.of(new Mcp.Call("get-env", Map.of(), agent)));
        client.pods().inNamespace(NS).withName("unguarded-control").withGracePeriod(0).delete();
        JsonNode controlResult = everything.stream().filter(r -> r.path("target").asText().equals(controlTarget)).findFirst().orElseThrow();
        assertThat(Mcp.answer(controlResult).isResult()).as("control: get-env executes on the pod without the sidecar: %s", controlResult)
                .isTrue();
        List<JsonNode> results = everything.stream().filter(r -> !r.path("target").asText().equals(controlTarget)).toList();
        assertThat(results).extracting(r -> r.path("target").asText()).containsAll(targets);
        for (JsonNode r : results) {
            Mcp.Answer answer = Mcp.answer(r);
            assertThat(answer.isResult()).as("a denied tools/call executed through %s: %s", r.path("target").asText(), r).isFalse();
            assertThat(answer.text()).doesNotContain("PATH=").doesNotContain("\"PATH\"");
        }
        for (String mcp : mcpTargets.keySet()) {
            JsonNode r = results.stream().filter(x -> x.path("target").asText().equals(mcp)).findFirst().orElseThrow();
            assertThat(Mcp.answer(r).errorCode()).as("the pod IP's MCP port answers with the sidecar's denial (redirected): %s", r)
                    .isEqualTo(-31001);
        }
    }

    /**
     * The routes that start inside the pod's network namespace: {@code kubectl port-forward pod/NAME 3001} (the container
     * runtime dials localhost in the pod) and the pod's own containers dialling 127.0.0.1 or the pod IP. The init
     * container's nat OUTPUT rules send every uid but the sidecar's to the sidecar; an opted-out control pod shows the
     * same routes DO execute the call without them.
     */
    @Test
    @Order(9)
    void portForwardAndThePodsOwnContainersGoThroughTheSidecar() throws Exception {
        Pod pod = Kind.pods(client, NS, SERVER).get(0);
        String name = pod.getMetadata().getName();
        String initLog = client.pods().inNamespace(NS).withName(name).inContainer("toolgate-init").getLog();
        assertThat(initLog).as("toolgate-init of %s", name).contains("in-pod for every uid but 65532").contains("TOOLGATE_LOCAL");

        Pod control = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("unguarded-local").withNamespace(NS)
                .addToLabels(SELECTOR_KEY, "unguarded-local").addToLabels("toolgate.dev/inject", "false").endMetadata()
                .withSpec(client.apps().deployments().inNamespace(NS).withName(SERVER).get().getSpec().getTemplate().getSpec())
                .build();
        client.pods().inNamespace(NS).resource(control).create();
        try {
            Pod controlPod = Kind.awaitReadyPods(client, NS, "unguarded-local", 1, Duration.ofSeconds(120)).get(0);
            String agent = "local-" + System.currentTimeMillis();
            List<Mcp.Call> getEnv = List.of(new Mcp.Call("get-env", Map.of(), agent));

            // kubectl port-forward pod/NAME 3001: the MCP container's own port
            Mcp.Answer forwarded = viaPodPortForward(name, 3001, agent);
            Mcp.Answer forwardedControl = viaPodPortForward("unguarded-local", 3001, agent);
            assertThat(forwardedControl.isResult()).as("control: get-env executes through a port-forward to the unguarded pod: %s",
                    forwardedControl).isTrue();
            assertThat(forwarded.errorCode()).as("port-forward to the MCP port of %s answers with the sidecar's denial: %s", name, forwarded)
                    .isEqualTo(-31001);
            assertThat(forwarded.text()).doesNotContain("PATH=");

            // the pod's own container (the MCP server's, uid 1000) dialling loopback and the pod IP
            List<String> inside = List.of("http://127.0.0.1:3001/mcp", "http://" + pod.getStatus().getPodIP() + ":3001/mcp");
            List<JsonNode> controlAnswers = ClientPod.execIn(client, NS, "unguarded-local", "server",
                    List.of("http://127.0.0.1:3001/mcp"), getEnv);
            assertThat(Mcp.answer(controlAnswers.get(controlAnswers.size() - 1)).isResult())
                    .as("control: get-env executes from inside the unguarded pod: %s", controlAnswers).isTrue();
            List<JsonNode> answers = ClientPod.execIn(client, NS, name, "server", inside, getEnv);
            List<JsonNode> calls = answers.stream().filter(r -> r.path("stage").asText().equals("call")).toList();
            assertThat(calls).extracting(r -> r.path("target").asText()).containsExactlyElementsOf(inside);
            for (JsonNode r : calls) {
                assertThat(Mcp.answer(r).errorCode()).as("from inside %s to %s: the sidecar's denial: %s", name, r.path("target").asText(), r)
                        .isEqualTo(-31001);
                assertThat(r.toString()).doesNotContain("PATH=");
            }
        } finally {
            client.pods().inNamespace(NS).withName("unguarded-local").withGracePeriod(0).delete();
        }
    }

    static Mcp.Answer viaPodPortForward(String pod, int port, String agent) throws Exception {
        try (LocalPortForward forward = client.pods().inNamespace(NS).withName(pod).portForward(port, InetAddress.getLoopbackAddress(), 0)) {
            Kind.log("port-forward 127.0.0.1:%d -> pod %s port %d", forward.getLocalPort(), pod, port);
            return new Mcp(URI.create("http://127.0.0.1:" + forward.getLocalPort() + "/mcp")).initialize().call("get-env", Map.of(), agent);
        }
    }

    /** TCP ports listening on a non-loopback address in the pod's network namespace (/proc/net/tcp{,6}). */
    static List<Integer> listeningPorts(Pod pod) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (var exec = client.pods().inNamespace(NS).withName(pod.getMetadata().getName()).inContainer(SIDECAR)
                .writingOutput(out).exec("cat", "/proc/net/tcp", "/proc/net/tcp6")) {
            exec.exitCode().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        java.util.TreeSet<Integer> ports = new java.util.TreeSet<>();
        for (String line : out.toString(StandardCharsets.US_ASCII).lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !f[3].equals("0A")) { // 0A = LISTEN
                continue;
            }
            String[] local = f[1].split(":");
            String addr = local[0];
            boolean loopback = addr.equals("0100007F") || addr.equals("00000000000000000000000001000000");
            if (!loopback) {
                ports.add(Integer.parseInt(local[1], 16));
            }
        }
        return List.copyOf(ports);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5. Probes on the named port

    @Test
    @Order(10)
    void probesOnTheTakenOverPortNameStillWork() throws Exception {
        long t0 = System.nanoTime();
        apply("kt/30-probe-test.yaml");
        Pod pod = Kind.awaitReadyPods(client, NS, "probe-test", 1, Duration.ofSeconds(180)).get(0);
        Kind.log("probe-test Ready in %d ms", (System.nanoTime() - t0) / 1_000_000);
        Container server = pod.getSpec().getContainers().stream().filter(c -> c.getName().equals("server")).findFirst().orElseThrow();
        assertThat(server.getReadinessProbe().getHttpGet().getPort().getIntVal()).as("readiness httpGet port: http -> 8080").isEqualTo(8080);
        assertThat(server.getLivenessProbe().getTcpSocket().getPort().getIntVal()).as("liveness tcpSocket port: http -> 8080").isEqualTo(8080);
        assertThat(server.getStartupProbe().getHttpGet().getPort().getIntVal()).isEqualTo(8080);
        // a few liveness periods: never restarted, still Ready
        Kind.sleep(8000);
        Pod now = client.pods().inNamespace(NS).withName(pod.getMetadata().getName()).get();
        assertThat(Kind.allContainersReady(now)).as("still Ready:%n%s", Kind.describePod(client, now)).isTrue();
        // never restarted by a probe; a start the node's runtime failed (runc on this cgroup v1 host, "unable to
        // freeze", seen under load) is the node's, not a probe's, and is told apart by its StartError
        assertThat(now.getStatus().getContainerStatuses()).allSatisfy(cs -> assertThat(cs.getRestartCount() == 0
                || (cs.getLastState() != null && cs.getLastState().getTerminated() != null
                        && "StartError".equals(cs.getLastState().getTerminated().getReason())))
                .as("%s restarted: %s", cs.getName(), cs.getLastState()).isTrue());
        assertThat(client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> pod.getMetadata().getName().equals(e.getInvolvedObject().getName())).map(e -> e.getMessage()).toList())
                .as("no liveness probe of the pod failed").noneMatch(m -> m != null && m.contains("Liveness probe failed"));
        String log = client.pods().inNamespace(NS).withName(pod.getMetadata().getName()).inContainer("server").getLog();
        // the kubelet's GETs reached the server from the sidecar (127.0.0.1), i.e. through the redirect and the proxy
        assertThat(log).as("server log").contains("probe GET /healthz from 127.0.0.1");
        assertThat(Kind.events(client, NS)).doesNotContain("port \"http\" not found");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5b. Pods the sidecar cannot go into

    /**
     * Two pods the probe-test policy selects: one on the node's network is admitted without the sidecar, with a warning
     * naming the policy and why, and runs; one whose second container declares the sidecar's proxy port (8090) is
     * refused by the webhook with a message naming the container, the port and the way out. Both through the host's
     * kubectl, as a user meets them.
     */
    @Test
    @Order(11)
    void aHostNetworkPodRunsWithoutTheSidecarAndAPortClashIsRefused() throws Exception {
        String hostNet = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: host-network-server
                  namespace: %s
                  labels: { app.kubernetes.io/name: probe-test }
                spec:
                  hostNetwork: true
                  terminationGracePeriodSeconds: 0
                  securityContext: { runAsNonRoot: true, runAsUser: 1000 }
                  containers:
                    - name: server
                      image: %s
                      imagePullPolicy: Never
                      command: ["node", "-e", "setInterval(() => {}, 60000)"]
                """.formatted(NS, Kind.SERVER_EVERYTHING_IMAGE);
        Kubectl created = kubectl(hostNet, "apply", "-f", "-");
        assertThat(created.exit()).as("kubectl apply of a hostNetwork pod: %s", created.output()).isZero();
        assertThat(created.output()).as("kubectl shows the webhook's warning")
                .contains("Warning: toolgate: not injected although McpPolicy probe-test selects this pod")
                .contains("hostNetwork: true");
        Pod running = Kind.awaitReadyPods(client, NS, "probe-test", 2, Duration.ofSeconds(120)).stream()
                .filter(p -> p.getMetadata().getName().equals("host-network-server")).findFirst().orElseThrow();
        assertThat(appContainers(running)).extracting(Container::getName).containsExactly("server");
        Kind.waitFor("the probe-test policy to count the hostNetwork pod as unprotected", Duration.ofSeconds(60),
                () -> Integer.valueOf(1).equals(status("probe-test").get("podsWithoutSidecar")), () -> String.valueOf(status("probe-test")));
        client.pods().inNamespace(NS).withName("host-network-server").withGracePeriod(0).delete();

        String clash = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: port-clash-server
                  namespace: %s
                  labels: { app.kubernetes.io/name: probe-test }
                spec:
                  securityContext: { runAsNonRoot: true, runAsUser: 1000 }
                  containers:
                    - name: server
                      image: %s
                      imagePullPolicy: Never
                      ports: [{ name: http, containerPort: 8080 }]
                    - name: admin
                      image: %s
                      imagePullPolicy: Never
                      ports: [{ name: admin, containerPort: 8090 }]
                """.formatted(NS, Kind.SERVER_EVERYTHING_IMAGE, Kind.SERVER_EVERYTHING_IMAGE);
        Kubectl refused = kubectl(clash, "apply", "-f", "-");
        assertThat(refused.exit()).as("kubectl apply of a pod holding the sidecar's port: %s", refused.output()).isNotZero();
        assertThat(refused.output()).contains("admission webhook").contains("denied the request")
                .contains("toolgate: container \"admin\" declares port 8090, the toolgate sidecar's proxy port for McpPolicy probe-test")
                .contains("toolgate.dev/inject");
        assertThat(client.pods().inNamespace(NS).withName("port-clash-server").get()).isNull();
        Kind.waitFor("the hostNetwork pod to go", Duration.ofSeconds(60),
                () -> client.pods().inNamespace(NS).withName("host-network-server").get() == null, () -> Kind.describePods(client, NS));
    }

    record Kubectl(int exit, String output) {
    }

    /**
     * A pod a service mesh injected first keeps working and enforcing, with the mesh's data path played by stand-ins
     * (50-mesh-first.yaml: Istio's kind of iptables rules from an "istio-init", a Node.js "istio-proxy" as uid 1337
     * passing connections on to the MCP port, as Envoy's inbound passthrough does). The webhook puts toolgate-init after
     * istio-init, so a call from another pod to the MCP port goes to the mesh's proxy first, and the proxy's connection
     * to the MCP port then meets Toolgate's in-pod redirect: the denied call is refused by the sidecar, the allowed one
     * runs.
     */
    @Test
    @Order(12)
    void aPodAMeshInjectedFirstGoesThroughTheMeshThenTheSidecar() throws Exception {
        String yaml;
        try (InputStream in = ToolgateKT.class.getResourceAsStream("/kt/50-mesh-first.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${INIT_IMAGE}", Kind.INIT_IMAGE);
        }
        client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).forceConflicts().serverSideApply();
        Pod pod = Kind.awaitReadyPods(client, NS, "mesh-first", 1, Duration.ofSeconds(180)).get(0);
        assertThat(pod.getSpec().getInitContainers()).extracting(Container::getName).as("Toolgate's init containers after the mesh's")
                .startsWith("istio-init", "toolgate-init");
        String target = "http://" + pod.getStatus().getPodIP() + ":3001/mcp";
        String agent = "mesh-" + System.currentTimeMillis();
        List<JsonNode> results = ClientPod.run(client, List.of(target), List.of(new Mcp.Call("echo", Map.of("message", "through the mesh"), agent),
                new Mcp.Call("get-env", Map.of(), agent)));
        assertThat(results).hasSize(2);
        Mcp.Answer echo = Mcp.answer(results.get(0));
        assertThat(echo.isResult()).as("the allowed call runs: %s", echo).isTrue();
        assertThat(echo.resultText()).contains("through the mesh");
        Mcp.Answer env = Mcp.answer(results.get(1));
        assertThat(env.errorCode()).as("the denied call is refused by the sidecar: %s", env).isEqualTo(-31001);
        assertThat(env.response().path("error").path("message").asText()).startsWith("Toolgate: tool \"get-env\" denied");
        String proxied = client.pods().inNamespace(NS).withName("mesh-first").inContainer("istio-proxy").getLog();
        assertThat(proxied).as("the mesh's proxy saw the calls first").contains("passed a connection on to " + pod.getStatus().getPodIP() + ":3001");
        String audit = client.pods().inNamespace(NS).withName("mesh-first").inContainer(SIDECAR).getLog();
        assertThat(audit).as("the sidecar decided them").contains("\"identity\":\"" + agent + "\"");
        client.pods().inNamespace(NS).withName("mesh-first").withGracePeriod(0).delete();
    }

    /** The host's kubectl against the Kind cluster, {@code stdin} on its input; stdout and stderr (warnings) together. */
    static Kubectl kubectl(String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", Kind.KUBECONFIG.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = process.waitFor();
        Kind.log("kubectl %s (exit %d): %s", String.join(" ", args), exit, output.trim());
        return new Kubectl(exit, output);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 6. Hot policy change

    @Test
    @Order(13)
    void aChangedPolicyIsEnforcedWithoutARestartAndNoAllowedCallFails() throws Exception {
        List<Pod> pods = Kind.pods(client, NS, SERVER);
        List<LocalPortForward> forwards = new ArrayList<>();
        List<Mcp> sessions = new ArrayList<>();
        try {
            for (Pod pod : pods) {
                LocalPortForward f = client.pods().inNamespace(NS).withName(pod.getMetadata().getName())
                        .portForward(8090, InetAddress.getLoopbackAddress(), 0);
                forwards.add(f);
                sessions.add(new Mcp(URI.create("http://127.0.0.1:" + f.getLocalPort() + "/mcp")).initialize());
            }
            String run = "hot-" + System.currentTimeMillis();
            int n = 0;
            for (Mcp mcp : sessions) {
                assertThat(mcp.call("get-sum", Map.of("a", 500, "b", 1), run + "-" + n++).isResult()).as("a=500 allowed before").isTrue();
            }
            Object hashBefore = policyStatus().get("policyHash");
            long t0 = System.nanoTime();
            apply("kt/21-mcppolicy-changed.yaml"); // kubectl apply of the changed policy: get-sum's deny_if now above 100
            boolean[] switched = new boolean[sessions.size()];
            long[] switchedAt = new long[sessions.size()];
            List<String> allowedFailures = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            int calls = 0;
            while (System.nanoTime() < deadline && !(allTrue(switched))) {
                for (int i = 0; i < sessions.size(); i++) {
                    Mcp.Answer allowed = sessions.get(i).call("get-sum", Map.of("a", 1, "b", 2), run + "-" + n++);
                    calls++;
                    if (!allowed.isResult()) {
                        allowedFailures.add(allowed.toString());
                    }
                    if (!switched[i]) {
                        Mcp.Answer probe = sessions.get(i).call("get-sum", Map.of("a", 500, "b", 1), run + "-" + n++);
                        if (probe.errorCode() == -31001 && probe.response().path("error").path("message").asText().contains("above 100")) {
                            switched[i] = true;
                            switchedAt[i] = System.nanoTime() - t0;
                        } else if (!probe.isResult()) {
                            allowedFailures.add("a=500 before the switch: " + probe);
                        }
                    }
                }
                Kind.sleep(250);
            }
            assertThat(switched).as("every pod enforces the new rule within 180 s; status %s; %s", policyStatus(),
                    Kind.describePods(client, NS)).containsOnly(true);
            assertThat(allowedFailures).as("allowed calls that failed during the swap (%d calls)", calls).isEmpty();
            assertThat(policyStatus().get("policyHash")).isNotEqualTo(hashBefore);
            Kind.log("hot policy change: enforced by the pods after %s ms (kubelet ConfigMap sync + file watch), %d allowed calls, none failed",
                    java.util.Arrays.stream(switchedAt).mapToObj(t -> String.valueOf(t / 1_000_000)).toList(), calls);
        } finally {
            for (LocalPortForward f : forwards) {
                f.close();
            }
        }
    }

    private static boolean allTrue(boolean[] values) {
        for (boolean v : values) {
            if (!v) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 7. Operator down

    @Test
    @Order(14)
    void withTheOperatorDownNewPodsAreRefusedAndRunningPodsKeepEnforcing() throws Exception {
        var operator = client.apps().deployments().inNamespace(SYSTEM).withName("toolgate-operator");
        operator.scale(0);
        Kind.waitFor("the operator's pods to go", Duration.ofSeconds(90),
                () -> client.pods().inNamespace(SYSTEM).list().getItems().isEmpty(),
                () -> Kind.describePods(client, SYSTEM));
        Pod extra = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("server-everything-extra").withNamespace(NS)
                .addToLabels(SELECTOR_KEY, SERVER).endMetadata()
                .withSpec(client.apps().deployments().inNamespace(NS).withName(SERVER).get().getSpec().getTemplate().getSpec())
                .build();
        String refusal = null;
        try {
            client.pods().inNamespace(NS).resource(extra).create();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            refusal = e.getMessage();
        }
        Kind.log("pod creation with the operator down: %s", refusal);
        assertThat(refusal).as("a new MCP pod is refused while the webhook is down, by the API server's pod guard").isNotNull()
                .contains("toolgate-selected-pods").contains("McpPolicy " + SERVER + " selects this pod");
        assertThat(client.pods().inNamespace(NS).withName("server-everything-extra").get()).isNull();
        // A pod no McpPolicy selects does not wait for the operator.
        Pod plain = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("not-an-mcp-server").withNamespace(NS)
                .addToLabels(SELECTOR_KEY, "redis").endMetadata()
                .withSpec(client.apps().deployments().inNamespace(NS).withName(SERVER).get().getSpec().getTemplate().getSpec())
                .build();
        assertThat(appContainers(client.pods().inNamespace(NS).resource(plain).create())).extracting(Container::getName)
                .doesNotContain(SIDECAR);
        client.pods().inNamespace(NS).withName("not-an-mcp-server").withGracePeriod(0).delete();

        // the running pods keep enforcing the last policy they loaded
        try (LocalPortForward forward = portForwardToService(SERVER, "mcp")) {
            Mcp mcp = new Mcp(URI.create("http://127.0.0.1:" + forward.getLocalPort() + "/mcp")).initialize();
            String agent = "down-" + System.currentTimeMillis();
            assertThat(mcp.call("get-env", Map.of(), agent).errorCode()).isEqualTo(-31001);
            assertThat(mcp.call("get-sum", Map.of("a", 1, "b", 2), agent).isResult()).isTrue();
            Mcp.Answer approval = mcp.call(LONG_RUNNING, Map.of("duration", 1, "steps", 1), agent);
            assertThat(approval.errorCode()).as("approval needed, operator down: %s", approval).isEqualTo(-31004);
            assertThat(approval.response().path("error").path("message").asText()).contains("approval service unavailable");
        }

        operator.scale(2);
        Kind.waitFor("the operator to be Ready again", Duration.ofSeconds(180), () -> {
            Deployment d = operator.get();
            return d.getStatus() != null && Integer.valueOf(2).equals(d.getStatus().getReadyReplicas());
        }, () -> Kind.describePods(client, SYSTEM));
        String[] lastError = {null};
        Kind.waitFor("the new MCP pod to be admitted once the operator is back", Duration.ofSeconds(60), () -> {
            try {
                client.pods().inNamespace(NS).resource(extra).create();
                return true;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                lastError[0] = e.getMessage();
                return false;
            }
        }, () -> "last refusal: " + lastError[0] + "\n" + Kind.describePods(client, SYSTEM));
        Pod admitted = client.pods().inNamespace(NS).withName("server-everything-extra").get();
        assertThat(appContainers(admitted)).extracting(Container::getName).contains(SIDECAR);
        client.pods().inNamespace(NS).withName("server-everything-extra").withGracePeriod(0).delete();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 7b. The operator's NetworkPolicies, enforced by the cluster's CNI (kube-router's network policy controller here)

    /**
     * {@code helm upgrade} with {@code networkPolicies.enabled=true} and {@code sidecar.redirectInbound=false} (what a
     * namespace enforcing the restricted Pod Security Standard needs): the re-created pods have no {@code toolgate-init},
     * so only the McpPolicy's NetworkPolicy stands between another pod and the MCP port on the pod IP. A pod the policy
     * does not select, with the same server, shows the same direct call executes where no NetworkPolicy applies.
     */
    @Test
    @Order(15)
    void withNetworkPoliciesTheMcpPortIsClosedOnThePodIpWithoutTheRedirect() throws Exception {
        ToolgateRelease.upgrade(client, Map.of("networkPolicies.enabled", "true", "sidecar.redirectInbound", "false"));
        String name = SERVER + "-toolgate-policy";
        Kind.waitFor("the McpPolicy's NetworkPolicy", Duration.ofSeconds(60),
                () -> client.network().v1().networkPolicies().inNamespace(NS).withName(name).get() != null, () -> Kind.describePods(client, SYSTEM));
        Kind.waitFor("status.networkPolicyName", Duration.ofSeconds(60), () -> name.equals(
                client.resources(dev.toolgate.operator.mcppolicy.McpPolicy.class).inNamespace(NS).withName(SERVER).get().getStatus()
                        .getNetworkPolicyName()), () -> "");

        client.apps().deployments().inNamespace(NS).withName(SERVER).rolling().restart();
        Kind.waitFor("the server's pods re-created without toolgate-init", Duration.ofSeconds(240), () -> {
            List<Pod> pods = Kind.pods(client, NS, SERVER);
            return pods.size() == 2 && pods.stream().allMatch(Kind::allContainersReady) && pods.stream().noneMatch(p -> p.getSpec()
                    .getInitContainers().stream().anyMatch(c -> c.getName().equals("toolgate-init")));
        }, () -> Kind.describePods(client, NS));
        List<Pod> pods = Kind.pods(client, NS, SERVER);
        var networkPolicy = client.network().v1().networkPolicies().inNamespace(NS).withName(name).get();
        List<Integer> allowed = networkPolicy.getSpec().getIngress().get(0).getPorts().stream().map(p -> p.getPort().getIntVal()).toList();
        Kind.log("NetworkPolicy %s allows ingress on %s", name, allowed);
        assertThat(allowed).doesNotContain(3001).contains(9000);
        int proxyPort = appContainers(pods.get(0)).stream().filter(c -> c.getName().equals(SIDECAR)).findFirst().orElseThrow()
                .getPorts().stream().map(p -> p.getContainerPort()).filter(p -> p != 9000).findFirst().orElseThrow();
        assertThat(allowed).contains(proxyPort);

        Pod control = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("unselected-control").withNamespace(NS)
                .addToLabels(SELECTOR_KEY, "unselected-control").endMetadata()
                .withSpec(client.apps().deployments().inNamespace(NS).withName(SERVER).get().getSpec().getTemplate().getSpec())
                .build();
        client.pods().inNamespace(NS).resource(control).create();
        Pod controlPod = Kind.awaitReadyPods(client, NS, "unselected-control", 1, Duration.ofSeconds(120)).get(0);
        String controlTarget = "http://" + controlPod.getStatus().getPodIP() + ":3001/mcp";
        List<String> direct = pods.stream().map(p -> "http://" + p.getStatus().getPodIP() + ":3001/mcp").toList();
        List<String> sidecars = pods.stream().map(p -> "http://" + p.getStatus().getPodIP() + ":" + proxyPort + "/mcp").toList();
        String service = "http://" + SERVER + "." + NS + ".svc.cluster.local/mcp";
        List<String> all = new ArrayList<>(direct);
        all.addAll(sidecars);
        all.add(service);
        all.add(controlTarget);
        List<JsonNode> results = ClientPod.run(client, all, List.of(new Mcp.Call("get-env", Map.of(), "netpol-" + System.currentTimeMillis())));
        client.pods().inNamespace(NS).withName("unselected-control").withGracePeriod(0).delete();
        java.util.function.Function<String, JsonNode> at = t -> results.stream().filter(r -> r.path("target").asText().equals(t))
                .findFirst().orElseThrow(() -> new AssertionError("no result for " + t + ": " + results));
        assertThat(Mcp.answer(at.apply(controlTarget)).isResult()).as("control: a pod no policy selects answers on 3001: %s",
                at.apply(controlTarget)).isTrue();
        for (String target : direct) {
            JsonNode r = at.apply(target);
            assertThat(r.path("stage").asText()).as("the MCP port on the pod IP, no redirect: the NetworkPolicy drops it: %s", r)
                    .isEqualTo("connect");
        }
        for (String target : sidecars) {
            assertThat(Mcp.answer(at.apply(target)).errorCode()).as("the sidecar's port on the pod IP: %s", at.apply(target)).isEqualTo(-31001);
        }
        assertThat(Mcp.answer(at.apply(service)).errorCode()).as("the Service (port by name): %s", at.apply(service)).isEqualTo(-31001);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 8. Uninstall

    @Test
    @Order(16)
    void helmUninstallLeavesNothingButTheCrd() throws Exception {
        client.namespaces().withName(NS).delete();
        client.namespaces().withName(ClientPod.NAMESPACE).delete();
        Kind.waitFor("test namespaces to go", Duration.ofSeconds(120),
                () -> client.namespaces().withName(NS).get() == null && client.namespaces().withName(ClientPod.NAMESPACE).get() == null,
                () -> Kind.describePods(client, NS));
        Helm.uninstall(RELEASE).withNamespace(SYSTEM).withKubeConfig(Kind.KUBECONFIG).call();
        Kind.waitFor("the operator's pods to go", Duration.ofSeconds(90),
                () -> client.pods().inNamespace(SYSTEM).list().getItems().isEmpty(), () -> Kind.describePods(client, SYSTEM));
        List<String> left = new ArrayList<>();
        client.admissionRegistration().v1().mutatingWebhookConfigurations().list().getItems().stream()
                .map(w -> "MutatingWebhookConfiguration/" + w.getMetadata().getName()).filter(n -> n.contains("toolgate")).forEach(left::add);
        client.admissionRegistration().v1().validatingWebhookConfigurations().list().getItems().stream()
                .map(w -> "ValidatingWebhookConfiguration/" + w.getMetadata().getName()).filter(n -> n.contains("toolgate")).forEach(left::add);
        client.rbac().clusterRoles().list().getItems().stream().map(r -> "ClusterRole/" + r.getMetadata().getName())
                .filter(n -> n.contains("toolgate")).forEach(left::add);
        client.rbac().clusterRoleBindings().list().getItems().stream().map(r -> "ClusterRoleBinding/" + r.getMetadata().getName())
                .filter(n -> n.contains("toolgate")).forEach(left::add);
        client.namespaces().list().getItems().forEach(n -> {
            String ns = n.getMetadata().getName();
            client.configMaps().inNamespace(ns).list().getItems().stream().map(c -> c.getMetadata().getName())
                    .filter(c -> c.contains("toolgate")).forEach(c -> left.add("ConfigMap/" + ns + "/" + c));
            client.secrets().inNamespace(ns).list().getItems().stream().map(c -> c.getMetadata().getName())
                    .filter(c -> c.contains("toolgate") && !c.startsWith("sh.helm.release")).forEach(c -> left.add("Secret/" + ns + "/" + c));
            client.services().inNamespace(ns).list().getItems().stream().map(c -> c.getMetadata().getName())
                    .filter(c -> c.contains("toolgate")).forEach(c -> left.add("Service/" + ns + "/" + c));
            client.serviceAccounts().inNamespace(ns).list().getItems().stream().map(c -> c.getMetadata().getName())
                    .filter(c -> c.contains("toolgate")).forEach(c -> left.add("ServiceAccount/" + ns + "/" + c));
            client.apps().deployments().inNamespace(ns).list().getItems().stream().map(c -> c.getMetadata().getName())
                    .filter(c -> c.contains("toolgate")).forEach(c -> left.add("Deployment/" + ns + "/" + c));
            client.network().v1().networkPolicies().inNamespace(ns).list().getItems().stream().map(c -> c.getMetadata().getName())
                    .filter(c -> c.contains("toolgate")).forEach(c -> left.add("NetworkPolicy/" + ns + "/" + c));
        });
        // Everything labelled as the release's, in any namespace
        client.pods().inAnyNamespace().withLabel("app.kubernetes.io/instance", RELEASE).list().getItems()
                .forEach(p -> left.add("Pod/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()));
        assertThat(left).as("Toolgate objects left after helm uninstall").isEmpty();
        assertThat(client.apiextensions().v1().customResourceDefinitions().withName("mcppolicies.toolgate.dev").get())
                .as("the CRD stays (Helm never deletes crds/)").isNotNull();
        assertThat(Helm.list().withKubeConfig(Kind.KUBECONFIG).withNamespace(SYSTEM).call()).isEmpty();
        client.namespaces().withName(SYSTEM).delete();
    }
}
