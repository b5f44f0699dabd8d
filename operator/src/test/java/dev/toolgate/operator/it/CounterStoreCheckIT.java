package dev.toolgate.operator.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.RateLimits;
import dev.toolgate.operator.mcppolicy.RedisCounters;
import dev.toolgate.operator.mcppolicy.StatusConditions;
import dev.toolgate.testsupport.GoldenFiles;
import dev.toolgate.policy.redis.RedisServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Condition {@code CountersReachable}: the operator (as its ServiceAccount, with the chart's RBAC for
 * {@code redisChecks.readSecrets=true}) checks each policy's Redis against real {@code redis-server}s, with the
 * password and CA from the Secrets the policy names, and says what is wrong in the status; the password never shows.
 */
@QuarkusTest
@WithTestResource(OperatorUnderTest.class)
class CounterStoreCheckIT {

    private static final String NS = OperatorUnderTest.APP_NAMESPACE;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PASSWORD = "s3cret-counter-password";
    private static final String WRONG = "not-the-password-at-all";
    private static KubernetesClient admin;
    private static RedisServer redis;
    private static RedisServer tls;
    private static int tlsPort;
    private static Path certs;

    @BeforeAll
    static void start() throws Exception {
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        redis = RedisServer.launch("--requirepass", PASSWORD);
        certs = Files.createTempDirectory("toolgate-it-redis-tls-");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=it-ca");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=other");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        Files.writeString(certs.resolve("san.ext"), "subjectAltName=DNS:localhost\n");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                "-days", "2", "-extfile", "san.ext");
        tlsPort = freePort();
        tls = RedisServer.launch("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", certs.resolve("server.pem").toString(),
                "--tls-key-file", certs.resolve("server.key").toString(), "--tls-ca-cert-file", certs.resolve("ca.pem").toString(),
                "--tls-auth-clients", "no");
    }

    @AfterAll
    static void stop() throws Exception {
        for (String name : List.of("counters-ok", "counters-wrong-password", "counters-no-secret", "counters-down", "counters-tls", "counters-local")) {
            admin.resources(McpPolicy.class).inNamespace(NS).withName(name).delete();
        }
        admin.close();
        redis.close();
        tls.close();
    }

    @Test
    void aReachableRedisWithTheRightPasswordIsReportedAndShownByKubectl() throws Exception {
        secret("redis-ok", Map.of("password", PASSWORD));
        admin.resource(policy("counters-ok", redis.url(), "redis-ok", null)).create();
        Condition c = awaitCondition("counters-ok", "Reachable");
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getMessage()).isEqualTo("Redis " + redis.url() + " answered PING with the password of Secret redis-ok.")
                .doesNotContain(PASSWORD);
        String table = OperatorIT.kubectl("get", "mcpp", "counters-ok", "-n", NS);
        assertThat(table).containsPattern("READY\\s+CONFLICTED\\s+COUNTERS\\s+AGE\\n")
                .containsPattern("counters-ok\\s+deny\\s+0\\s+none\\s+True\\s+False\\s+Reachable\\s+");
    }

    @Test
    void aWrongPasswordIsAuthenticationFailedNamingNeitherPasswordAndHealsWhenTheSecretIsFixed() throws Exception {
        secret("redis-wrong", Map.of("password", WRONG));
        admin.resource(policy("counters-wrong-password", redis.url(), "redis-wrong", null)).create();
        Condition c = awaitCondition("counters-wrong-password", "AuthenticationFailed");
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getMessage()).startsWith("Redis " + redis.url() + " refused the password (").contains("WRONGPASS")
                .doesNotContain(WRONG).doesNotContain(PASSWORD);
        McpPolicy policy = admin.resources(McpPolicy.class).inNamespace(NS).withName("counters-wrong-password").get();
        // reporting only: the policy is rendered and in effect, its sidecars fail closed on their own
        assertThat(StatusConditions.find(policy.getStatus().getConditions(), StatusConditions.READY).getStatus()).isEqualTo("True");
        await().atMost(WAIT).until(() -> admin.v1().events().inNamespace(NS).list().getItems().stream()
                .anyMatch(e -> "counters-wrong-password".equals(e.getInvolvedObject().getName()) && "CountersUnreachable".equals(e.getReason())
                        && e.getMessage().contains("refused the password") && !e.getMessage().contains(WRONG)));
        String described = OperatorIT.kubectl("describe", "mcpp", "counters-wrong-password", "-n", NS);
        assertThat(described).contains("AuthenticationFailed").doesNotContain(WRONG).doesNotContain(PASSWORD);

        // the Secret fixed, no change to the policy: the periodic check sees it
        secret("redis-wrong", Map.of("password", PASSWORD));
        assertThat(awaitCondition("counters-wrong-password", "Reachable").getStatus()).isEqualTo("True");
    }

    @Test
    void aMissingSecretIsSecretMissing() {
        admin.resource(policy("counters-no-secret", redis.url(), "redis-absent", null)).create();
        Condition c = awaitCondition("counters-no-secret", "SecretMissing");
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getMessage()).isEqualTo("Secret " + NS + "/redis-absent (passwordSecretRef) does not exist: the sidecars cannot start without it");
    }

    @Test
    void aRedisThatGoesDownIsUnreachableAndReachableAgainWhenItIsBack() throws Exception {
        RedisServer own = RedisServer.launch("--requirepass", PASSWORD);
        try {
            secret("redis-down", Map.of("password", PASSWORD));
            admin.resource(policy("counters-down", own.url(), "redis-down", null)).create();
            awaitCondition("counters-down", "Reachable");
            own.kill();
            Condition c = awaitCondition("counters-down", "Unreachable");
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getMessage()).startsWith("Redis " + own.url() + " cannot be reached (");
            own.start();
            awaitCondition("counters-down", "Reachable");
        } finally {
            own.close();
        }
    }

    @Test
    void tlsWithAnotherCaIsTlsFailedAndWithTheServersCaReachable() throws Exception {
        secret("redis-tls-ca", Map.of("ca.crt", Files.readString(certs.resolve("other.pem"))));
        String url = "rediss://localhost:" + tlsPort;
        admin.resource(policy("counters-tls", url, null, "redis-tls-ca")).create();
        Condition c = awaitCondition("counters-tls", "TlsFailed");
        assertThat(c.getMessage()).startsWith("Redis " + url + ": the TLS handshake failed (");
        secret("redis-tls-ca", Map.of("ca.crt", Files.readString(certs.resolve("ca.pem"))));
        assertThat(awaitCondition("counters-tls", "Reachable").getMessage()).isEqualTo("Redis " + url + " answered PING over TLS.");
    }

    @Test
    void aPolicyCountingLocallyHasNoCountersCondition() {
        McpPolicy local = policy("counters-local", redis.url(), null, null);
        local.getSpec().getRateLimits().setBackend(RateLimits.Backend.LOCAL);
        local.getSpec().getRateLimits().setRedis(null);
        admin.resource(local).create();
        McpPolicy ready = await().atMost(WAIT).until(() -> admin.resources(McpPolicy.class).inNamespace(NS).withName("counters-local").get(),
                p -> p != null && p.getStatus() != null && StatusConditions.find(p.getStatus().getConditions(), StatusConditions.READY) != null);
        assertThat(StatusConditions.find(ready.getStatus().getConditions(), StatusConditions.COUNTERS_REACHABLE)).isNull();
    }

    private static McpPolicy policy(String name, String url, String passwordSecret, String caSecret) {
        McpPolicy policy;
        try {
            policy = GoldenFiles.YAML.readValue(CounterStoreCheckIT.class.getResource("/golden/configmap/in-minimal-deny.yaml"), McpPolicy.class);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        policy.getMetadata().setUid(null);
        policy.getMetadata().setName(name);
        policy.getMetadata().setNamespace(NS);
        policy.getSpec().setPodSelector(new LabelSelectorBuilder().addToMatchLabels("app", name).build());
        RedisCounters redisCounters = new RedisCounters();
        redisCounters.setUrl(url);
        if (passwordSecret != null) {
            redisCounters.setPasswordSecretRef(new SecretKeySelector("password", passwordSecret, false));
        }
        if (caSecret != null) {
            redisCounters.setCaSecretRef(new SecretKeySelector("ca.crt", caSecret, false));
        }
        RateLimits limits = new RateLimits();
        limits.setBackend(RateLimits.Backend.REDIS);
        limits.setRedis(redisCounters);
        policy.getSpec().setRateLimits(limits);
        return policy;
    }

    private static void secret(String name, Map<String, String> data) {
        admin.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withStringData(data).build()).createOr(op -> op.update());
    }

    private static Condition awaitCondition(String policy, String reason) {
        Condition[] last = {null};
        try {
            return await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                McpPolicy p = admin.resources(McpPolicy.class).inNamespace(NS).withName(policy).get();
                last[0] = p == null || p.getStatus() == null ? null : StatusConditions.find(p.getStatus().getConditions(), StatusConditions.COUNTERS_REACHABLE);
                return last[0];
            }, c -> c != null && reason.equals(c.getReason()));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("CountersReachable of " + policy + " never became " + reason + "; last: "
                    + (last[0] == null ? "none" : last[0].getReason() + ": " + last[0].getMessage()), e);
        }
    }

    private static void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(certs.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("openssl %s: %s", String.join(" ", args), out).isZero();
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
