package dev.toolgate.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared rate limits on a real cluster: {@code k8s-examples/shared-counters} as it is (a Redis pod, an McpPolicy with
 * {@code rateLimits.backend: redis}, server-everything with 3 replicas), in a namespace of its own, with the two changes
 * a cluster that pulls nothing needs (the images built here) and a random password. Calls go through the Service, each
 * on a connection of its own so kube-proxy spreads them, and the limits hold in total: exactly {@code max} admitted,
 * where the three sidecars counting alone would admit more.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedCountersKT {

    static final String NS = "toolgate-kt-redis";
    static final Path EXAMPLE = Kind.ROOT.resolve("k8s-examples/shared-counters");
    static final String EXAMPLE_NAMESPACE = "toolgate-demo";
    static final String SERVER = "server-everything-replicated";
    static final String REDIS = "toolgate-redis";
    static final String SIDECAR = "toolgate-sidecar";
    /** The example policy's limits (20-mcppolicy.yaml). */
    static final int ECHO_PER_AGENT = 5;
    static final int ALL_CALLS = 50;

    static KubernetesClient client;
    static String password;

    @BeforeAll
    static void preflight() throws Exception {
        Files.createDirectories(Kind.OUT);
        client = Kind.connect();
        Kind.assertImagesLoaded(client);
        assertThat(Kind.CHART).as("the packaged chart (./mvnw package -pl helm -am)").isRegularFile();
        ToolgateRelease.cleanUp(client, List.of(NS, ClientPod.NAMESPACE));
        // the operator checks each policy's Redis with the password Secret it names (condition CountersReachable)
        ToolgateRelease.install(client, Map.of("redisChecks.readSecrets", "true", "redisChecks.interval", "10s"));
    }

    @AfterAll
    static void close() {
        if (client != null) {
            client.namespaces().withName(NS).delete();
            client.namespaces().withName(ClientPod.NAMESPACE).delete();
            ToolgateRelease.uninstall(client);
            client.close();
        }
    }

    @Test
    @Order(1)
    void theExampleRunsARedisAndThreeInjectedReplicasCountingInIt() throws Exception {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS)
                .addToLabels("toolgate.dev/injection", "enabled").endMetadata().build()).serverSideApply();
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        password = HexFormat.of().formatHex(secret);
        long t0 = System.nanoTime();
        // in file order, as kubectl apply -f on the directory: Redis, then the policy, then the servers it selects
        for (String file : List.of("10-redis.yaml", "20-mcppolicy.yaml", "30-server-everything-replicated.yaml")) {
            for (HasMetadata object : example(file)) {
                client.resource(object).forceConflicts().serverSideApply();
            }
            if (file.startsWith("20-")) {
                Kind.waitFor("the operator to render the policy ConfigMap", Duration.ofSeconds(60),
                        () -> client.configMaps().inNamespace(NS).withName(SERVER + "-toolgate-policy").get() != null,
                        () -> Kind.events(client, NS));
            }
        }
        Kind.awaitReadyPods(client, NS, REDIS, 1, Duration.ofSeconds(120));
        // the operator reaches the Redis Service as the sidecars will, with the Secret's password
        Kind.waitFor("the McpPolicy's CountersReachable to be True", Duration.ofSeconds(90), () -> {
            Map<String, Object> c = countersCondition();
            return c != null && "True".equals(c.get("status"));
        }, () -> "condition: " + countersCondition() + "\n" + Kind.events(client, NS));
        Kind.log("McpPolicy condition CountersReachable: %s", countersCondition());
        assertThat(String.valueOf(countersCondition().get("message"))).doesNotContain(password)
                .contains("answered PING with the password of Secret " + REDIS);
        List<Pod> pods = Kind.awaitReadyPods(client, NS, SERVER, 3, Duration.ofSeconds(300));
        Kind.log("Redis and 3 injected replicas Ready in %d ms", (System.nanoTime() - t0) / 1_000_000);
        for (Pod pod : pods) {
            Container sidecar = ToolgateKT.appContainers(pod).stream().filter(c -> c.getName().equals(SIDECAR)).findFirst()
                    .orElseThrow(() -> new AssertionError("no sidecar in " + pod.getMetadata().getName()));
            Map<String, String> env = new TreeMap<>();
            for (EnvVar e : sidecar.getEnv()) {
                env.put(e.getName(), e.getValue());
            }
            assertThat(env).containsEntry("TOOLGATE_COUNTERS_BACKEND", "redis")
                    .containsEntry("TOOLGATE_COUNTERS_REDIS_URL", "redis://" + REDIS + "." + NS + ".svc:6379")
                    .containsEntry("TOOLGATE_COUNTERS_REDIS_KEY_PREFIX", "toolgate:" + NS + "/" + SERVER)
                    .containsKey("TOOLGATE_COUNTERS_REDIS_PASSWORD_FILE");
            assertThat(env.values()).as("the password is mounted as a file, never in the environment").doesNotContain(password);
            String log = client.pods().inNamespace(NS).withName(pod.getMetadata().getName()).inContainer(SIDECAR).getLog();
            assertThat(log).as("sidecar log of %s", pod.getMetadata().getName())
                    .contains("Rate-limit counters in Redis redis://" + REDIS + "." + NS + ".svc:6379 (with password), key prefix toolgate:"
                            + NS + "/" + SERVER)
                    .doesNotContain(password);
        }
    }

    @Test
    @Order(2)
    void theLimitsHoldInTotalAcrossThePodsTheServiceBalancesOver() throws Exception {
        String run = "r" + System.currentTimeMillis() % 1_000_000;
        List<Mcp.Call> calls = new ArrayList<>();
        for (int i = 0; i < 12; i++) { // two agents, 12 echo each: 5 each are admitted (per identity), 10 units of the global 50
            calls.add(new Mcp.Call("echo", Map.of("message", "a" + i), run + "-alice"));
            calls.add(new Mcp.Call("echo", Map.of("message", "b" + i), run + "-bob"));
        }
        for (int i = 0; i < 50; i++) { // get-sum has only the global limit: 40 more fit in it
            calls.add(new Mcp.Call("get-sum", Map.of("a", i, "b", 1), run + "-agent" + i % 7));
        }
        String url = "http://" + SERVER + "." + NS + ".svc.cluster.local/mcp";
        long t0 = System.nanoTime();
        List<JsonNode> results = ClientPod.sessions(client, url, calls);
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(results).hasSize(calls.size())
                .allSatisfy(r -> assertThat(r.path("stage").asText()).as("%s", r).isEqualTo("call"));
        // the windows are a minute: all of it inside one, or "exactly max" would not be the right expectation
        assertThat(elapsedMs).as("the calls took %d ms, more than a window", elapsedMs).isLessThan(50_000);

        int echoAlice = 0;
        int echoBob = 0;
        int sums = 0;
        int limited = 0;
        for (JsonNode r : results) {
            Mcp.Call call = calls.get(r.path("call").asInt());
            Mcp.Answer answer = Mcp.answer(r);
            if (answer.isResult()) {
                if (call.name().equals("get-sum")) {
                    sums++;
                } else if (call.agent().endsWith("-alice")) {
                    echoAlice++;
                } else {
                    echoBob++;
                }
            } else {
                assertThat(answer.errorCode()).as("a refused call is rate limited: %s", r).isEqualTo(-31002);
                assertThat(answer.response().path("error").path("message").asText()).as("%s", r)
                        .doesNotContain("cannot be reached").containsPattern("counter \"(echo-per-agent|all-calls)\"");
                limited++;
            }
        }
        Kind.log("%d calls through the Service in %d ms: echo admitted alice %d, bob %d; get-sum %d; rate limited %d",
                calls.size(), elapsedMs, echoAlice, echoBob, sums, limited);
        assertThat(echoAlice).as("alice's echo calls admitted (max %d per identity)", ECHO_PER_AGENT).isEqualTo(ECHO_PER_AGENT);
        assertThat(echoBob).as("bob's echo calls admitted (max %d per identity)", ECHO_PER_AGENT).isEqualTo(ECHO_PER_AGENT);
        assertThat(echoAlice + echoBob + sums).as("calls admitted in total (max %d globally)", ALL_CALLS).isEqualTo(ALL_CALLS);

        // Where each call went: every sidecar's audit log. The calls spread over the three pods, and the same calls
        // counted by each sidecar alone (three local counters) would have admitted more than the limits allow.
        Map<String, List<JsonNode>> audit = new LinkedHashMap<>();
        for (Pod pod : Kind.pods(client, NS, SERVER)) {
            audit.put(pod.getMetadata().getName(), auditLines(pod, run));
        }
        Map<String, String> spread = new LinkedHashMap<>();
        int audited = 0;
        int admittedByAudit = 0;
        int localWouldAdmit = 0;
        for (var e : audit.entrySet()) {
            long admitted = e.getValue().stream().filter(l -> l.path("decision").asText().equals("allowed")).count();
            spread.put(e.getKey(), e.getValue().size() + " calls, " + admitted + " admitted");
            audited += e.getValue().size();
            admittedByAudit += (int) admitted;
            localWouldAdmit += aloneWouldAdmit(e.getValue());
        }
        Kind.log("calls per pod (audit logs): %s; counted per pod, the same calls would have had %d admitted", spread, localWouldAdmit);
        assertThat(audited).as("audit lines of this run over the 3 pods: %s", spread).isEqualTo(calls.size());
        assertThat(admittedByAudit).isEqualTo(ALL_CALLS);
        assertThat(audit.values()).as("every pod got calls through the Service: %s", spread).allSatisfy(lines -> assertThat(lines).isNotEmpty());
        assertThat(localWouldAdmit).as("what three local counters would admit").isGreaterThan(ALL_CALLS);

        // the counts live in Redis, under the policy's prefix
        String keys = redisCli("--scan", "--pattern", "{toolgate:" + NS + "/" + SERVER + "}:*");
        Kind.log("Redis keys of the policy:%n%s", Kind.indent(keys, "  "));
        assertThat(keys.lines().filter(l -> !l.isBlank()).count()).as("keys: global + one per identity that called echo + get-sum's")
                .isGreaterThanOrEqualTo(3);
    }

    /**
     * Admissions of one pod's calls (in time order) under the example's limits, counted by that pod alone: what a
     * sidecar with the local backend would have admitted of them.
     */
    static int aloneWouldAdmit(List<JsonNode> lines) {
        Map<String, Integer> echoPerAgent = new TreeMap<>();
        int all = 0;
        int admitted = 0;
        for (JsonNode l : lines) {
            if (all >= ALL_CALLS) {
                continue;
            }
            if (l.path("tool").asText().equals("echo")) {
                int n = echoPerAgent.getOrDefault(l.path("identity").asText(), 0);
                if (n >= ECHO_PER_AGENT) {
                    continue;
                }
                echoPerAgent.put(l.path("identity").asText(), n + 1);
            }
            all++;
            admitted++;
        }
        return admitted;
    }

    /** The sidecar's audit lines of this run's identities, in order. */
    static List<JsonNode> auditLines(Pod pod, String run) throws IOException {
        String log = client.pods().inNamespace(NS).withName(pod.getMetadata().getName()).inContainer(SIDECAR).getLog();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : log.lines().toList()) {
            if (line.startsWith("{") && line.contains("\"identity\":\"" + run + "-")) {
                lines.add(Mcp.JSON.readTree(line));
            }
        }
        lines.sort((a, b) -> a.path("time").asText().compareTo(b.path("time").asText()));
        return lines;
    }

    /** redis-cli in the Redis pod, authenticated with the Secret's password (passed in the environment, not argv). */
    static String redisCli(String... args) throws Exception {
        Pod redis = Kind.pods(client, NS, REDIS).get(0);
        List<String> command = new ArrayList<>(List.of("sh", "-c", "REDISCLI_AUTH=\"$REDIS_PASSWORD\" exec redis-cli \"$@\"", "redis-cli"));
        command.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (var exec = client.pods().inNamespace(NS).withName(redis.getMetadata().getName()).inContainer("redis")
                .writingOutput(out).writingError(err).exec(command.toArray(String[]::new))) {
            int code = exec.exitCode().get(30, TimeUnit.SECONDS);
            assertThat(code).as("redis-cli %s: %s", String.join(" ", args), err.toString(StandardCharsets.UTF_8)).isZero();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * One file of the example, as applied here: in this test's namespace, with the images built for the cluster
     * (Redis from {@code images/redis}, server-everything from {@code images/server-everything} instead of npx on
     * node:22-alpine; {@code imagePullPolicy: Never}) and a random password in the Secret.
     */
    static List<HasMetadata> example(String file) throws IOException {
        String yaml = Files.readString(EXAMPLE.resolve(file)).replace(EXAMPLE_NAMESPACE, NS);
        List<HasMetadata> objects;
        try (InputStream in = new java.io.ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))) {
            objects = client.load(in).items();
        }
        for (HasMetadata object : objects) {
            assertThat(object.getMetadata().getNamespace()).as("%s in %s", object.getMetadata().getName(), file).isEqualTo(NS);
            if (object instanceof Secret secret) {
                assertThat(secret.getStringData()).as("the example's Secret").containsKey("password");
                secret.getStringData().put("password", password);
            } else if (object instanceof Deployment deployment) {
                for (Container c : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                    switch (c.getName()) {
                        case "redis" -> {
                            assertThat(c.getImage()).as("the example's Redis image").startsWith("redis:7.0");
                            c.setImage(Kind.REDIS_IMAGE);
                        }
                        case "server" -> {
                            assertThat(c.getImage()).as("the example's server image").isEqualTo("node:22-alpine");
                            c.setImage(Kind.SERVER_EVERYTHING_IMAGE);
                            c.setCommand(null); // the image's own entrypoint runs the same package (streamableHttp)
                        }
                        default -> throw new AssertionError("unexpected container " + c.getName() + " in " + file);
                    }
                    c.setImagePullPolicy("Never");
                }
            }
        }
        return objects;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> countersCondition() {
        var policy = client.genericKubernetesResources("toolgate.dev/v1alpha1", "McpPolicy").inNamespace(NS).withName(SERVER).get();
        Object status = policy == null ? null : policy.getAdditionalProperties().get("status");
        if (!(status instanceof Map<?, ?> m) || !(m.get("conditions") instanceof List<?> conditions)) {
            return null;
        }
        return conditions.stream().map(c -> (Map<String, Object>) c).filter(c -> "CountersReachable".equals(c.get("type"))).findFirst()
                .orElse(null);
    }
}
