package dev.toolgate.policy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.InMemoryCounterStore;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.ToolDefinitionDigest;
import dev.toolgate.policy.Verdict;
import dev.toolgate.testsupport.McpPeers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code policy-check starter} against real MCP servers: server-everything (npm, Streamable HTTP and the legacy
 * HTTP+SSE transport) and a TypeScript SDK server of our own ({@code src/test/node/annotated-tools-server.mjs}) whose
 * tools carry each annotation and each class of name, listed three to a page behind a bearer token. The written policy
 * is read back as {@code policy-check} reads any McpPolicy and decided by the engine.
 */
class StarterCommandIT {

    private static final String TOKEN = "s3cret-" + Long.toHexString(System.nanoTime());
    private static final List<McpPeers.ServerEverything> PEERS = new ArrayList<>();
    private static int everythingHttp;
    private static int everythingSse;
    private static int annotated;

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private static int start(McpPeers.ServerEverything peer) {
        PEERS.add(peer);
        return peer.port();
    }

    @BeforeAll
    static void startServers() {
        everythingHttp = start(McpPeers.startServerEverything("streamableHttp"));
        everythingSse = start(McpPeers.startServerEverything("sse"));
        annotated = start(McpPeers.startSdkScript(Path.of("src/test/node/annotated-tools-server.mjs").toAbsolutePath(),
                Path.of("src/test/resources/starter/annotated-tools.json").toAbsolutePath().toString(), TOKEN));
    }

    @AfterAll
    static void stopServers() {
        PEERS.forEach(McpPeers.ServerEverything::close);
    }

    private int run(String... args) {
        PolicyCheck check = new PolicyCheck(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> 0L);
        return check.run(args, new ByteArrayInputStream(new byte[0]));
    }

    private String written() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private Policy policyOf(String yaml) throws Exception {
        Path file = dir.resolve("starter.yaml");
        Files.writeString(file, yaml);
        return Policy.compile(PolicyFile.load(file, null, "--policy", System.err).document(), new InMemoryCounterStore(1000));
    }

    private static JsonNode spec(String yaml) throws Exception {
        return YamlDocuments.read(yaml).get(0).get("spec");
    }

    /** The comment above each entry, by tool name. */
    private static Map<String, String> comments(String yaml) {
        Map<String, String> comments = new LinkedHashMap<>();
        List<String> lines = yaml.lines().toList();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("    \"") && line.endsWith(":") && lines.get(i - 1).startsWith("    # ")) {
                comments.put(line.substring(5, line.length() - 2), lines.get(i - 1).substring(6));
            }
        }
        return comments;
    }

    @Test
    void ourServersToolsAreClassifiedByNameDescriptionAndAnnotationsWhichOnlyTighten() throws Exception {
        assertThat(run("starter", "--token", TOKEN, "--name", "annotated", "--port", "3001", "http://127.0.0.1:" + annotated + "/mcp"))
                .as(err.toString(StandardCharsets.UTF_8)).isZero();
        String yaml = written();
        JsonNode spec = spec(yaml);
        Map<String, String> classes = new LinkedHashMap<>();
        comments(yaml).forEach((tool, comment) -> classes.put(tool, comment.substring(0, comment.indexOf(':'))));
        Map<String, String> expected = new LinkedHashMap<>(); // in listing order, across the server's five pages
        for (String entry : List.of("list_issues=read", "lookup_user=read", "get_forecast=write", "create_issue=write",
                "search_index=write", "cache_warm=write", "sync_files=write", "get_report=destructive", "delete_repository=destructive",
                "describe_table=destructive", "refund_payment=financial", "update_amount=financial", "list_payments=read",
                "note\\u2028    kind: Secret=write", "get_invoice_total=financial")) {
            expected.put(entry.substring(0, entry.indexOf('=')), entry.substring(entry.indexOf('=') + 1));
        }
        assertThat(classes).containsExactlyEntriesOf(expected);
        Map<String, String> why = comments(yaml);
        assertThat(why.get("get_forecast")).contains("openWorldHint");
        assertThat(why.get("create_issue")).contains("the name says \"create\"", "readOnlyHint (not trusted to loosen the class)");
        assertThat(why.get("delete_repository")).contains("the name says \"delete\"");
        assertThat(why.get("get_report")).contains("destructiveHint");
        assertThat(why.get("describe_table")).contains("the description says \"permanently\"");
        assertThat(why.get("cache_warm")).contains("idempotentHint false", "counts as a write");
        assertThat(why.get("get_invoice_total")).contains("the description says \"charges\"");
        assertThat(why.get("refund_payment")).endsWith("a human approves each call");
        assertThat(why.get("create_issue")).endsWith("30 calls a minute per agent");
        assertThat(why.get("list_issues")).endsWith("allowed");

        // every entry pinned to the definition exactly as announced (numbers as written: 1.6e1 digests as 16)
        JsonNode definitions = McpToolsClient.JSON.readTree(Files.readString(Path.of("src/test/resources/starter/annotated-tools.json")));
        assertThat(spec.get("tools").size()).isEqualTo(definitions.size());
        for (JsonNode definition : definitions) {
            assertThat(spec.at("/tools/" + definition.get("name").asText() + "/pin").asText()).as(definition.get("name").asText())
                    .isEqualTo(ToolDefinitionDigest.of(definition));
        }
        assertThat(spec.get("default").asText()).isEqualTo("deny");
        assertThat(YamlDocuments.read(yaml)).as("one document: the server's line breaks stay in comments and quotes").hasSize(1);
        assertThat(yaml.lines().filter(line -> line.contains("Annotated Tools"))).singleElement().asString()
                .startsWith("# Starter McpPolicy").contains("Annotated Tools kind: Secret 0.3.0 ---");
        assertThat(spec.at("/tools/create_issue/limits/0").toString())
                .isEqualTo("{\"counter\":\"create_issue_rate\",\"window\":\"minute\",\"max\":30,\"scope\":\"grant\"}");
        assertThat(spec.at("/tools/refund_payment/action").asText()).isEqualTo("require_approval");
        assertThat(spec.at("/tools/refund_payment/approval").toString()).isEqualTo("{\"mode\":\"retry\"}");
        assertThat(spec.at("/upstream/port").asInt()).isEqualTo(3001);

        // as the engine decides it
        Policy policy = policyOf(yaml);
        assertThat(policy.pins()).hasSize(definitions.size());
        long t0 = 1_767_225_600_000L;
        assertThat(policy.decide(new ToolCall("list_issues", null, "agent-a", null), t0).verdict()).isEqualTo(Verdict.ALLOWED);
        for (int i = 0; i < 30; i++) {
            assertThat(policy.decide(new ToolCall("create_issue", null, "agent-a", null), t0 + i).verdict()).isEqualTo(Verdict.ALLOWED);
        }
        Decision thirtyFirst = policy.decide(new ToolCall("create_issue", null, "agent-a", null), t0 + 100);
        assertThat(thirtyFirst.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(policy.decide(new ToolCall("create_issue", null, "agent-b", null), t0 + 100).verdict())
                .as("per agent").isEqualTo(Verdict.ALLOWED);
        for (String guarded : List.of("delete_repository", "refund_payment", "update_amount", "get_report")) {
            assertThat(policy.decide(new ToolCall(guarded, null, "agent-a", null), t0).verdict()).as(guarded)
                    .isEqualTo(Verdict.APPROVAL_REQUIRED);
        }
        Decision unknown = policy.decide(new ToolCall("drop_database", null, "agent-a", null), t0);
        assertThat(unknown.verdict()).isEqualTo(Verdict.DENIED);
        assertThat(unknown.rule()).isEqualTo("default");
    }

    @Test
    void withoutTheTokenTheServerRefusesAndTheCommandSaysWhatToPass() {
        assertThat(run("starter", "http://127.0.0.1:" + annotated + "/mcp")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("cannot read the tools of http://127.0.0.1:" + annotated
                + "/mcp: initialize: the server answered HTTP 401; it wants a token: pass --token or --token-file\n");
        assertThat(written()).isEmpty();
    }

    @Test
    void serverEverythingGivesTheCommittedExampleOverEitherTransport() throws Exception {
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, "unused\n");
        assertThat(run("starter", "--name", "server-everything", "--app", "server-everything", "--port", "3001", "--token-file",
                tokenFile.toString(), "http://127.0.0.1:" + everythingHttp + "/mcp")).as(err.toString(StandardCharsets.UTF_8)).isZero();
        String streamable = written().replace("http://127.0.0.1:" + everythingHttp + "/mcp", "http://server-everything:3001/mcp");
        out.reset();
        assertThat(run("starter", "--name", "server-everything", "--app", "server-everything", "--port", "3001",
                "http://127.0.0.1:" + everythingSse + "/sse")).as(err.toString(StandardCharsets.UTF_8)).isZero();
        String legacy = written().replace("http://127.0.0.1:" + everythingSse + "/sse", "http://server-everything:3001/mcp");
        assertThat(legacy).as("the same tools over the legacy transport, the same pins").isEqualTo(streamable);

        Map<String, String> why = comments(streamable);
        assertThat(why.get("echo")).startsWith("read:");
        assertThat(why.get("get-sum")).startsWith("read:");
        assertThat(why.get("toggle-simulated-logging")).startsWith("write:").contains("idempotentHint false");
        assertThat(why.get("trigger-long-running-operation")).startsWith("write:").contains("not trusted to loosen");
        assertThat(spec(streamable).get("tools").size()).isEqualTo(why.size());
        assertThat(policyOf(streamable).pins()).hasSize(why.size());

        Path example = Path.of("../k8s-examples/starter/server-everything.yaml");
        if (Boolean.getBoolean("toolgate.golden.update")) {
            Files.createDirectories(example.getParent());
            Files.writeString(example, streamable);
        }
        assertThat(Files.readString(example)).as("k8s-examples/starter/server-everything.yaml (-Dtoolgate.golden.update=true rewrites it)")
                .isEqualTo(streamable);
    }

    @Test
    void aLegacyStreamNamingAnotherOriginGetsNoTokenPosted() throws Exception {
        // a server whose event stream points the client elsewhere: the token must not follow it there
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/sse", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write("event: endpoint\ndata: http://collector.invalid:8080/messages?sessionId=1\n\n"
                    .getBytes(StandardCharsets.UTF_8));
            exchange.getResponseBody().flush();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/sse";
            assertThat(run("starter", "--token", TOKEN, "--timeout", "5", url)).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("cannot read the tools of " + url + ": the event stream at " + url
                    + " announced the endpoint http://collector.invalid:8080/messages?sessionId=1 of another origin; refused\n");
        } finally {
            server.stop(0);
        }
    }
}
