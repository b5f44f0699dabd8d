package dev.toolgate.policy.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on loopback, started by {@code scripts/redis-server.sh} on a free port; fails loudly when
 * it cannot start. {@link #kill} and {@link #start} again on the same port model a crash and a restart (data lost).
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private final List<String> options;
    private final Path log;
    private Process process;

    private RedisServer(int port, List<String> options) throws IOException {
        this.port = port;
        this.options = List.copyOf(options);
        this.log = Files.createTempFile("toolgate-redis-" + port + "-", ".log");
    }

    /** A server with extra {@code redis-server} options, e.g. {@code --requirepass secret}. */
    public static RedisServer launch(String... options) throws Exception {
        RedisServer server = new RedisServer(freePort(), List.of(options));
        server.start();
        return server;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts the server (again) on its port and waits until it answers PING. */
    public synchronized void start() throws Exception {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("bash", script().toString(), Integer.toString(port)));
        command.addAll(options);
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server on port " + port + " exited with " + process.exitValue() + ": "
                        + Files.readString(log));
            }
            if (answersPing()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("redis-server on port " + port + " did not answer PING within 20 s: " + Files.readString(log));
    }

    /** Kills the server at once (SIGKILL): connections drop, every count is gone. */
    public synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Freezes (SIGSTOP) or thaws (SIGCONT) the server: connections stay open and nothing answers. */
    public synchronized void freeze(boolean frozen) throws Exception {
        Process signal = new ProcessBuilder("kill", frozen ? "-STOP" : "-CONT", Long.toString(process.pid())).inheritIO().start();
        if (signal.waitFor() != 0) {
            throw new IllegalStateException("could not signal redis-server " + process.pid());
        }
    }

    private boolean answersPing() {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64];
            int n = in.read(buffer);
            String answer = n > 0 ? new String(buffer, 0, n, StandardCharsets.US_ASCII) : "";
            return answer.startsWith("+PONG") || answer.startsWith("-NOAUTH");
        } catch (IOException e) {
            return false;
        }
    }

    private static Path script() {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path candidate = d.resolve("scripts/redis-server.sh");
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("scripts/redis-server.sh not found above " + dir);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
