package dev.toolgate.sidecar;

import dev.toolgate.testsupport.McpPeers;
import dev.toolgate.policy.redis.RedisServer;
import dev.toolgate.sidecar.mcp.ErrorCodes;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three sidecar processes (the packaged application, as three replicas of one MCP server would run it) in front of one
 * server-everything, counting in one real Redis: MCP Java SDK clients spread their calls over the three round-robin, and
 * the limits hold in total, per identity and globally. Then Redis dies under them: calls are refused at once as
 * rate-limited with the store's reason, the metrics say so, and the sidecars count again once Redis is back.
 */
class SharedCountersIT {

    private static final String PREFIX = "toolgate:it/" + UUID.randomUUID();
    private static RedisServer redis;
    private static McpPeers.ServerEverything server;
    private static final List<Sidecar> sidecars = new ArrayList<>();

    /** One sidecar process: its proxy and management ports and its log. */
    record Sidecar(Process process, int proxyPort, int managementPort, Path log) {
        String url() {
            return "http://127.0.0.1:" + proxyPort;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.launch();
        server = McpPeers.startServerEverything("streamableHttp");
        Path policy = Files.createTempFile("toolgate-shared-", ".json");
        try (InputStream in = SharedCountersIT.class.getResourceAsStream("/policies/shared-counters.json")) {
            Files.write(policy, in.readAllBytes());
        }
        for (int i = 0; i < 3; i++) {
            sidecars.add(startSidecar(policy));
        }
        for (Sidecar sidecar : sidecars) {
            awaitReady(sidecar);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (Sidecar sidecar : sidecars) {
            sidecar.process().destroy();
        }
        for (Sidecar sidecar : sidecars) {
            if (!sidecar.process().waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                sidecar.process().destroyForcibly();
            }
        }
        if (server != null) {
            server.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void threeSidecarsOnOneRedisAdmitExactlyMaxPerIdentityAndGloballyThenFailClosedAndRecoverWhenRedisDies() throws Exception {
        List<McpSyncClient> alice = clients("alice");
        List<McpSyncClient> bob = clients("bob");
        try {
            // round-robin: call k goes to sidecar k % 3, so every sidecar sees every agent
            int aliceEchoes = 0;
            int bobEchoes = 0;
            int sums = 0;
            for (int k = 0; k < 12; k++) {
                aliceEchoes += allowed(alice.get(k % 3), "echo", Map.of("message", "a" + k)) ? 1 : 0;
                bobEchoes += allowed(bob.get(k % 3), "echo", Map.of("message", "b" + k)) ? 1 : 0;
                sums += allowed((k % 2 == 0 ? alice : bob).get(k % 3), "get-sum", Map.of("a", k, "b", 1)) ? 1 : 0;
            }
            // each sidecar counting alone would admit 3 × 4 echoes per agent and 3 × 5 sums
            assertThat(aliceEchoes).as("alice's echoes over three sidecars (identity max 4 a minute)").isEqualTo(4);
            assertThat(bobEchoes).as("bob's echoes over three sidecars (identity max 4 a minute)").isEqualTo(4);
            assertThat(sums).as("sums over three sidecars and two agents (global max 5 a minute)").isEqualTo(5);

            redis.kill();
            List<McpSyncClient> carol = clients("carol");
            try {
                for (int k = 0; k < 3; k++) {
                    Instant started = Instant.now();
                    McpError refused = refusal(carol.get(k), "echo", Map.of("message", "while down"));
                    assertThat(Duration.between(started, Instant.now())).as("a dead Redis costs at most its timeout").isLessThan(Duration.ofSeconds(2));
                    assertThat(refused.getJsonRpcError().code()).isEqualTo(ErrorCodes.RATE_LIMITED);
                    assertThat(refused.getJsonRpcError().message()).contains("cannot be reached");
                }
                for (Sidecar sidecar : sidecars) {
                    String metrics = get("http://127.0.0.1:" + sidecar.managementPort() + "/q/metrics");
                    assertThat(metrics).contains("toolgate_counter_store_up 0.0");
                    assertThat(counter(metrics, "toolgate_counter_store_unavailable_total{fail_mode=\"closed\"}")).isGreaterThanOrEqualTo(1);
                    assertThat(counter(metrics, "toolgate_counter_store_errors_total{kind=\"connection\"}")
                            + counter(metrics, "toolgate_counter_store_errors_total{kind=\"timeout\"}")).isGreaterThanOrEqualTo(1);
                    assertThat(Files.readString(sidecar.log())).contains("unreachable").contains("fail-mode closed");
                }

                redis.start(); // the same address, every count lost: windows start afresh
                Instant deadline = Instant.now().plusSeconds(15);
                boolean back = false;
                while (!back && Instant.now().isBefore(deadline)) {
                    back = allowed(carol.get(0), "echo", Map.of("message", "back"));
                    if (!back) {
                        Thread.sleep(100);
                    }
                }
                assertThat(back).as("the sidecars count in Redis again once it is back").isTrue();
                assertThat(allowed(carol.get(1), "echo", Map.of("message", "back 2"))).isTrue();
                assertThat(allowed(carol.get(2), "echo", Map.of("message", "back 3"))).isTrue();
                assertThat(allowed(carol.get(0), "echo", Map.of("message", "back 4"))).isTrue();
                assertThat(allowed(carol.get(1), "echo", Map.of("message", "back 5"))).as("the limit holds across sidecars again").isFalse();
                assertThat(get("http://127.0.0.1:" + sidecars.get(0).managementPort() + "/q/metrics")).contains("toolgate_counter_store_up 1.0");
            } finally {
                carol.forEach(McpSyncClient::close);
            }
        } finally {
            alice.forEach(McpSyncClient::close);
            bob.forEach(McpSyncClient::close);
        }
    }

    @Test
    void aWrongRedisPasswordRefusesCallsAndSaysSoInTheLogAndMetricsWithoutThePassword() throws Exception {
        try (RedisServer guarded = RedisServer.launch("--requirepass", "the-right-one")) {
            Path passwordFile = Files.createTempFile("toolgate-redis-password-", "");
            Files.writeString(passwordFile, "not-the-password\n"); // as a mounted Secret often is: with a newline
            Path policy = Files.createTempFile("toolgate-shared-", ".json");
            try (InputStream in = SharedCountersIT.class.getResourceAsStream("/policies/shared-counters.json")) {
                Files.write(policy, in.readAllBytes());
            }
            Sidecar sidecar = startSidecar(policy, Map.of("TOOLGATE_COUNTERS_REDIS_URL", guarded.url(),
                    "TOOLGATE_COUNTERS_REDIS_PASSWORD_FILE", passwordFile.toString(), "TOOLGATE_COUNTERS_REDIS_TIMEOUT", "2s"));
            try {
                awaitReady(sidecar);
                var transport = HttpClientStreamableHttpTransport.builder(sidecar.url()).endpoint("/mcp")
                        .requestBuilder(HttpRequest.newBuilder().header("X-Agent-Id", "dave")).build();
                try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build()) {
                    client.initialize();
                    McpError refused = refusal(client, "echo", Map.of("message", "hi"));
                    assertThat(refused.getJsonRpcError().code()).isEqualTo(ErrorCodes.RATE_LIMITED);
                    assertThat(refused.getJsonRpcError().message()).contains("cannot be reached");
                }
                String metrics = get("http://127.0.0.1:" + sidecar.managementPort() + "/q/metrics");
                assertThat(counter(metrics, "toolgate_counter_store_errors_total{kind=\"authentication\"}")).isGreaterThanOrEqualTo(1);
                String log = Files.readString(sidecar.log());
                assertThat(log).contains("refused the password").contains("WRONGPASS").contains("toolgate.counters.redis.password-file")
                        .doesNotContain("not-the-password");
            } finally {
                sidecar.process().destroyForcibly();
            }
        }
    }

    // ---- helpers

    static Sidecar startSidecar(Path policy) throws IOException {
        return startSidecar(policy, Map.of());
    }

    static Sidecar startSidecar(Path policy, Map<String, String> overrides) throws IOException {
        Path jar = McpPeers.repoRoot().resolve("sidecar/target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("the packaged sidecar (failsafe runs after package)").exists();
        int proxy = McpPeers.freePort();
        int management = McpPeers.freePort();
        Path log = Files.createTempFile("toolgate-sidecar-" + proxy + "-", ".log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("TOOLGATE_UPSTREAM", "http://127.0.0.1:" + server.port());
        env.put("TOOLGATE_POLICY_FILE", policy.toString());
        env.put("TOOLGATE_IDENTITY_HEADER", "X-Agent-Id");
        env.put("TOOLGATE_AUDIT_LOG", Files.createTempFile("toolgate-audit-", ".log").toString());
        env.put("TOOLGATE_COUNTERS_BACKEND", "redis");
        env.put("TOOLGATE_COUNTERS_REDIS_URL", redis.url());
        env.put("TOOLGATE_COUNTERS_REDIS_KEY_PREFIX", PREFIX);
        env.put("TOOLGATE_COUNTERS_REDIS_TIMEOUT", "250ms");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(proxy));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(management));
        env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        env.putAll(overrides);
        return new Sidecar(builder.start(), proxy, management, log);
    }

    static void awaitReady(Sidecar sidecar) throws Exception {
        Instant deadline = Instant.now().plusSeconds(90);
        while (Instant.now().isBefore(deadline)) {
            if (!sidecar.process().isAlive()) {
                throw new AssertionError("sidecar exited with " + sidecar.process().exitValue() + ":\n" + Files.readString(sidecar.log()));
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + sidecar.managementPort() + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("sidecar not ready within 90 s:\n" + Files.readString(sidecar.log()));
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static double counter(String metrics, String series) {
        return metrics.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + series));
    }

    /** One initialized MCP Java SDK client per sidecar, all for {@code agent}. */
    static List<McpSyncClient> clients(String agent) {
        List<McpSyncClient> clients = new ArrayList<>();
        for (Sidecar sidecar : sidecars) {
            var transport = HttpClientStreamableHttpTransport.builder(sidecar.url()).endpoint("/mcp")
                    .requestBuilder(HttpRequest.newBuilder().header("X-Agent-Id", agent)).build();
            McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
            client.initialize();
            clients.add(client);
        }
        return clients;
    }

    /** True when the call went through; false when the sidecar answered rate-limited (anything else fails the test). */
    static boolean allowed(McpSyncClient client, String tool, Map<String, Object> arguments) {
        try {
            client.callTool(new CallToolRequest(tool, arguments));
            return true;
        } catch (McpError e) {
            assertThat(e.getJsonRpcError().code()).as(e.getJsonRpcError().message()).isEqualTo(ErrorCodes.RATE_LIMITED);
            return false;
        }
    }

    static McpError refusal(McpSyncClient client, String tool, Map<String, Object> arguments) {
        try {
            client.callTool(new CallToolRequest(tool, arguments));
        } catch (McpError e) {
            return e;
        }
        throw new AssertionError(tool + " went through");
    }
}
