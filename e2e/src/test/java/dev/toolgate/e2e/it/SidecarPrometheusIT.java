package dev.toolgate.e2e.it;

import dev.toolgate.helm.DashboardQueries;
import dev.toolgate.helm.ExamplePolicies;
import dev.toolgate.testsupport.McpPeers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolgate.policy.PolicyDocument;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * End to end for the dashboard: a real Prometheus (Debian's package) scrapes a real sidecar (the built Quarkus app)
 * in front of a real server-everything, while the MCP Java SDK drives allowed, denied, invalid-argument and
 * rate-limited calls under the demo McpPolicy (plus one tool in audit mode, whose would-be denials are forwarded). Then every PromQL query of the dashboard runs against that
 * Prometheus and must return the expected series.
 */
class SidecarPrometheusIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path WORK = Path.of("target", "sidecar-prometheus").toAbsolutePath();
    /** Labels a PodMonitor scrape would add; the dashboard filters by namespace. */
    private static final String NAMESPACE = "toolgate-demo";
    private static final String POD = "server-everything-7d9f";
    private static final Duration SCRAPE = Duration.ofSeconds(1);

    private static final List<Process> processes = new ArrayList<>();
    private static final HttpClient http = HttpClient.newHttpClient();
    private static int serverPort;
    private static int proxyPort;
    private static int prometheusPort;
    private static String policyHash;

    @BeforeAll
    static void startServerSidecarAndPrometheus() throws Exception {
        Files.createDirectories(WORK);
        Path sidecarJar = require(Path.of(System.getProperty("toolgate.sidecar.app")).resolve("quarkus-run.jar"), "./mvnw package -pl sidecar -am");
        Path node = Path.of(McpPeers.node());
        Path serverEverything = McpPeers.require("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
        Path prometheus = onPath("prometheus");

        serverPort = freePort();
        start("server-everything", Map.of("PORT", Integer.toString(serverPort)), node.toString(), serverEverything.toString(), "streamableHttp");
        awaitUp("server-everything", () -> listening(serverPort));

        var document = ExamplePolicies.toDocument(ExamplePolicies.mcpPolicy("demo/10-mcppolicy.yaml"));
        // one tool in audit mode (shadow): its would-be denials are forwarded and counted for the shadow panel
        ((com.fasterxml.jackson.databind.node.ObjectNode) document.get("tools")).putObject("get-resource-links")
                .put("action", "deny").put("enforcement", "audit").put("reason", "Links are under review.");
        PolicyDocument policy = PolicyDocument.parse(document);
        policyHash = policy.hash();
        Path policyFile = Files.writeString(WORK.resolve("policy.json"), policy.canonicalJson());
        proxyPort = freePort();
        int managementPort = freePort();
        start("sidecar", Map.of(
                        "TOOLGATE_UPSTREAM", "http://127.0.0.1:" + serverPort,
                        "TOOLGATE_POLICY_FILE", policyFile.toString(),
                        "TOOLGATE_IDENTITY_HEADER", "X-Agent-Id",
                        "TOOLGATE_POLICY_NAME", "demo-policy",
                        "TOOLGATE_POLICY_NAMESPACE", NAMESPACE,
                        "QUARKUS_HTTP_PORT", Integer.toString(proxyPort),
                        "QUARKUS_HTTP_HOST", "127.0.0.1",
                        "QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort),
                        "QUARKUS_MANAGEMENT_HOST", "127.0.0.1"),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", sidecarJar.toString());
        awaitUp("sidecar", () -> McpPeers.status("http://127.0.0.1:" + managementPort + "/q/health/ready") == 200);

        prometheusPort = freePort();
        Path config = Files.writeString(WORK.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: toolgate-sidecars
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                        labels: {namespace: "%s", pod: "%s"}
                """.formatted(managementPort, NAMESPACE, POD));
        Path data = Files.createTempDirectory(WORK, "tsdb-");
        start("prometheus", Map.of(), prometheus.toString(), "--config.file=" + config, "--storage.tsdb.path=" + data,
                "--web.listen-address=127.0.0.1:" + prometheusPort, "--web.enable-lifecycle");
        awaitUp("prometheus", () -> McpPeers.status("http://127.0.0.1:" + prometheusPort + "/-/ready") == 200);
    }

    @AfterAll
    static void stopAll() {
        for (int i = processes.size() - 1; i >= 0; i--) {
            Process process = processes.get(i);
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void everyDashboardQueryReturnsTheExpectedSeriesFromARealSidecar() throws Exception {
        // Two rounds with a scrape between: rate() needs a sample before and after each increase.
        for (int round = 0; round < 2; round++) {
            driveEveryDecision("agent-" + round);
            awaitScrapes(2);
        }

        Map<String, List<JsonNode>> results = new HashMap<>();
        for (var query : DashboardQueries.byPanelAndRef().entrySet()) {
            results.put(query.getKey(), query(query.getValue().executable("1m", "5m")));
        }

        assertThat(labelValues(results.get("Tool calls by decision/A"), "decision"))
                .containsExactlyInAnyOrder("allowed", "denied", "invalid_arguments", "rate_limited", "approval_required");
        for (String decision : List.of("allowed", "denied", "invalid_arguments", "rate_limited", "approval_required")) {
            assertThat(valueOf(results.get("Tool calls by decision/A"), "decision", decision)).as(decision).isPositive();
        }

        List<JsonNode> denials = results.get("Denials by tool and decision/A");
        assertThat(labelValues(denials, "decision")).doesNotContain("allowed", "rate_limited");
        assertThat(positive(denials)).extracting(s -> s.at("/metric/tool").asText() + " " + s.at("/metric/decision").asText())
                .contains("get-env denied", "get-sum invalid_arguments", "get-sum denied", "echo denied",
                        "trigger-long-running-operation approval_required");

        assertThat(positive(results.get("Rate-limited calls by tool/A"))).extracting(s -> s.at("/metric/tool").asText())
                .containsExactly("echo");

        List<JsonNode> p50 = results.get("Upstream latency by tool (p50, p99)/A");
        List<JsonNode> p99 = results.get("Upstream latency by tool (p50, p99)/B");
        assertThat(labelValues(p50, "tool")).contains("echo", "get-sum");
        for (String tool : List.of("echo", "get-sum")) {
            assertThat(valueOf(p50, "tool", tool)).as("p50 %s", tool).isPositive();
            assertThat(valueOf(p99, "tool", tool)).as("p99 %s", tool).isGreaterThanOrEqualTo(valueOf(p50, "tool", tool));
        }

        assertThat(labelValues(results.get("Policy reloads/A"), "result")).containsExactlyInAnyOrder("success", "failure");

        List<JsonNode> hashes = results.get("Loaded policy hash per pod/A");
        assertThat(hashes).hasSize(1);
        assertThat(hashes.get(0).at("/metric/hash").asText()).isEqualTo(policyHash);
        assertThat(hashes.get(0).at("/metric/pod").asText()).isEqualTo(POD);
        assertThat(hashes.get(0).at("/metric/namespace").asText()).isEqualTo(NAMESPACE);
        // every toolgate series names the McpPolicy (the operator sets TOOLGATE_POLICY_NAME/_NAMESPACE on injected sidecars)
        for (String series : List.of("toolgate_policy_info", "toolgate_tool_calls_total")) {
            assertThat(query(series)).as(series).isNotEmpty().allSatisfy(s -> {
                assertThat(s.at("/metric/policy").asText()).isEqualTo("demo-policy");
                assertThat(s.at("/metric/policy_namespace").asText()).isEqualTo(NAMESPACE);
            });
        }

        assertThat(positive(results.get("Shadow decisions (audit mode) by tool and decision/A")))
                .extracting(s -> s.at("/metric/tool").asText() + " " + s.at("/metric/decision").asText())
                .containsExactly("get-resource-links denied");

        assertThat(results.get("Upstream errors/A")).as("no upstream failures while the server runs")
                .allSatisfy(s -> assertThat(Double.parseDouble(s.at("/value/1").asText())).isZero());

        // Now the MCP server goes away: allowed calls fail upstream and the errors panel shows it.
        Process server = processes.get(0);
        server.descendants().forEach(ProcessHandle::destroy);
        server.destroy();
        assertThat(server.waitFor(10, TimeUnit.SECONDS)).isTrue();
        try (McpSyncClient client = client("agent-after-outage")) {
            throw new AssertionError("initialize succeeded without an MCP server");
        } catch (RuntimeException expected) {
            // initialize is allowed by the sidecar and fails upstream
        }
        awaitScrapes(2);
        try (McpSyncClient client = client("agent-after-outage-2")) {
            throw new AssertionError("initialize succeeded without an MCP server");
        } catch (RuntimeException expected) {
            // a second failure after a scrape, so rate() sees the increase
        }
        awaitScrapes(2);
        List<JsonNode> errors = query(DashboardQueries.byPanelAndRef().get("Upstream errors/A").executable("1m", "5m"));
        assertThat(positive(errors)).as("upstream errors by kind: %s", errors).isNotEmpty();
    }

    /** One call per decision the demo policy can make, as one agent. */
    private static void driveEveryDecision(String agent) {
        try (McpSyncClient client = client(agent)) {
            assertThat(call(client, "get-sum", Map.of("a", 2, "b", 3)).isError()).as("allowed get-sum").isNotEqualTo(Boolean.TRUE);
            expectRefused(client, "get-env", Map.of());
            expectRefused(client, "get-sum", Map.of("a", "2", "b", 3));
            expectRefused(client, "get-sum", Map.of("a", 5000, "b", 3));
            expectRefused(client, "echo", Map.of("message", "my password is hunter2"));
            for (int i = 0; i < 5; i++) {
                call(client, "echo", Map.of("message", "hello " + i));
            }
            expectRefused(client, "echo", Map.of("message", "one too many"));
            expectRefused(client, "trigger-long-running-operation", Map.of("duration", 1, "steps", 1));
            assertThat(call(client, "get-resource-links", Map.of("count", 1)).isError()).as("shadowed get-resource-links ran")
                    .isNotEqualTo(Boolean.TRUE);
        }
    }

    private static McpSyncClient client(String agent) {
        var transport = HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + proxyPort)
                .endpoint("/mcp")
                .requestBuilder(HttpRequest.newBuilder().header("X-Agent-Id", agent))
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
        client.initialize();
        return client;
    }

    private static CallToolResult call(McpSyncClient client, String tool, Map<String, Object> arguments) {
        return client.callTool(new CallToolRequest(tool, arguments));
    }

    private static void expectRefused(McpSyncClient client, String tool, Map<String, Object> arguments) {
        try {
            CallToolResult result = call(client, tool, arguments);
            throw new AssertionError(tool + " " + arguments + " was not refused: " + result);
        } catch (AssertionError e) {
            throw e;
        } catch (RuntimeException refused) {
            // the sidecar answers with a JSON-RPC error; the SDK raises it
        }
    }

    private static void awaitScrapes(int count) {
        double before = scrapeCount();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> scrapeCount() >= before + count);
    }

    private static double scrapeCount() {
        List<JsonNode> result = query("count_over_time(up{job=\"toolgate-sidecars\"}[10m])");
        return result.isEmpty() ? 0 : Double.parseDouble(result.get(0).at("/value/1").asText());
    }

    private static List<JsonNode> query(String promql) {
        try {
            String url = "http://127.0.0.1:" + prometheusPort + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8);
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("status").asText()).as("%s -> %s", promql, response.body()).isEqualTo("success");
            List<JsonNode> series = new ArrayList<>();
            body.at("/data/result").forEach(series::add);
            return series;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> labelValues(List<JsonNode> series, String label) {
        return series.stream().map(s -> s.at("/metric/" + label).asText()).toList();
    }

    private static List<JsonNode> positive(List<JsonNode> series) {
        return series.stream().filter(s -> Double.parseDouble(s.at("/value/1").asText()) > 0).toList();
    }

    private static double valueOf(List<JsonNode> series, String label, String value) {
        return series.stream().filter(s -> value.equals(s.at("/metric/" + label).asText()))
                .map(s -> Double.parseDouble(s.at("/value/1").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no series with " + label + "=" + value + " in " + series));
    }

    private static void start(String name, Map<String, String> env, String... command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(WORK.resolve(name + ".log").toFile());
        builder.environment().putAll(env);
        processes.add(builder.start());
    }

    /** Waits for the last started process to be up; fails at once with its log when it exits. */
    private static void awaitUp(String name, java.util.concurrent.Callable<Boolean> up) {
        Process process = processes.get(processes.size() - 1);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + Files.readString(WORK.resolve(name + ".log")));
            }
            return up.call();
        });
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Path require(Path path, String providedBy) {
        if (!Files.exists(path)) {
            throw new AssertionError(path + " is missing: run " + providedBy);
        }
        return path;
    }

    private static Path onPath(String binary) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, binary);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(binary + " not found on PATH: install Prometheus (Debian: apt-get install prometheus)");
    }
}
