package dev.toolgate.sidecar;

import dev.toolgate.testsupport.McpPeers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts the real server-everything (mode from init arg {@code mode}; {@code resumable} starts the TypeScript SDK server
 * with an event store instead, {@code changing} the one whose tool definitions change on request), a {@link RecordingUpstream} in front of it,
 * an {@link OtlpReceiver} the sidecar exports spans to (init arg {@code tracing=true} turns tracing on), and a
 * policy directory laid out like a Kubernetes ConfigMap volume ({@code policy.json -> ..data/policy.json}, {@code ..data ->
 * ..<version>}), so every policy change in tests is the same atomic symlink swap the kubelet does.
 */
public class SidecarTestResource implements QuarkusTestResourceLifecycleManager {

    static volatile McpPeers.ServerEverything server;
    static volatile RecordingUpstream recorder;
    static volatile Path policyDir;
    /** The sidecar's audit log (toolgate.audit-log), outside the watched policy directory. */
    static volatile Path auditLog;
    static volatile int proxyPort;
    static volatile int managementPort;
    /** Where the sidecar exports spans to (OTLP/HTTP), whether or not its profile turns tracing on. */
    static volatile OtlpReceiver otlp;
    private static final AtomicInteger VERSION = new AtomicInteger();

    private String mode = "streamableHttp";
    private String initialPolicy = "policies/everything.json";
    private boolean recorderInPath = true;
    private String idleTimeout = "4s";
    private boolean tracing;

    @Override
    public void init(Map<String, String> initArgs) {
        mode = initArgs.getOrDefault("mode", mode);
        initialPolicy = initArgs.getOrDefault("policy", initialPolicy);
        recorderInPath = Boolean.parseBoolean(initArgs.getOrDefault("recorder", "true"));
        idleTimeout = initArgs.getOrDefault("idle-timeout", idleTimeout);
        tracing = Boolean.parseBoolean(initArgs.getOrDefault("tracing", "false"));
    }

    @Override
    public Map<String, String> start() {
        server = switch (mode) {
            case "resumable" -> McpPeers.startResumableSdkServer();
            case "changing" -> McpPeers.startChangingToolsServer();
            default -> McpPeers.startServerEverything(mode);
        };
        recorder = new RecordingUpstream(server.port());
        try {
            policyDir = Files.createTempDirectory("toolgate-policy-");
            auditLog = Files.createTempFile("toolgate-audit-", ".log");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (!initialPolicy.isEmpty()) {
            swapPolicy(resource(initialPolicy));
        }
        proxyPort = McpPeers.freePort();
        managementPort = McpPeers.freePort();
        Map<String, String> config = new HashMap<>();
        config.put("toolgate.upstream", "http://127.0.0.1:" + (recorderInPath ? recorder.port() : server.port()));
        config.put("toolgate.policy-file", policyDir.resolve("policy.json").toString());
        config.put("toolgate.identity.header", "X-Agent-Id");
        config.put("toolgate.audit-log", auditLog.toString());
        // as the operator injects them: the McpPolicy and its namespace, named in every audit line
        config.put("toolgate.policy-name", "server-everything");
        config.put("toolgate.policy-namespace", "toolgate-it");
        // Long poll: reloads in tests must come from the directory watch.
        config.put("toolgate.policy-poll-interval", "30s");
        config.put("toolgate.upstream-idle-timeout", idleTimeout);
        // Every profile has an OTLP receiver configured; only those with init arg tracing=true turn tracing on, so the
        // others can show that nothing is sent while it is off.
        otlp = new OtlpReceiver();
        config.put("toolgate.tracing.enabled", Boolean.toString(tracing));
        config.put("quarkus.otel.exporter.otlp.traces.endpoint", otlp.endpoint());
        config.put("quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf");
        config.put("quarkus.otel.bsp.schedule.delay", "100ms");
        config.put("quarkus.http.test-port", Integer.toString(proxyPort));
        config.put("quarkus.management.test-port", Integer.toString(managementPort));
        return config;
    }

    @Override
    public void stop() {
        if (otlp != null) {
            otlp.close();
        }
        if (recorder != null) {
            recorder.close();
        }
        if (server != null) {
            server.close();
        }
    }

    public static String proxyUrl() {
        return "http://127.0.0.1:" + proxyPort;
    }

    public static String managementUrl() {
        return "http://127.0.0.1:" + managementPort;
    }

    public static String resource(String name) {
        try (InputStream in = SidecarTestResource.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource missing: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Publishes a new policy the way the kubelet updates a ConfigMap volume: new version dir, then rename of {@code ..data}. */
    public static synchronized void swapPolicy(String json) {
        try {
            Path version = policyDir.resolve("..v" + VERSION.incrementAndGet());
            Files.createDirectory(version);
            Files.writeString(version.resolve("policy.json"), json);
            Path tmp = policyDir.resolve("..data_tmp");
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, version.getFileName());
            Files.move(tmp, policyDir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Path link = policyDir.resolve("policy.json");
            if (!Files.isSymbolicLink(link)) {
                Files.createSymbolicLink(link, Path.of("..data/policy.json"));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
