package dev.toolgate.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code operator/src/test/node/elicit-call.mjs}, the MCP TypeScript SDK v2 client ({@code @modelcontextprotocol/client},
 * installed by {@code scripts/mcp-deps.sh}) calling {@code update_amount}, driven line by line: every event it prints is
 * one JSON line ({@link #next}), every answer a line on its input ({@link #send}, {@link #resend}). See the script's
 * header for its eras (modern: revision 2026-07-28; legacy, plain and v1: the 2025 handshake) and fulfil modes (auto; manual).
 */
public final class ElicitClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process node;
    private final OutputStream in;
    private final BlockingQueue<String> out = new LinkedBlockingQueue<>();
    private final StringBuilder all = new StringBuilder();

    /** Starts the client against the MCP endpoint at {@code baseUrl} + {@code /mcp}, as {@code agent} (header X-Agent-Id). */
    public ElicitClient(String baseUrl, String agent, String paymentId, String era, String fulfil) throws IOException {
        Path script = McpPeers.repoRoot().resolve("operator/src/test/node/elicit-call.mjs");
        node = new ProcessBuilder(McpPeers.node(), script.toString(), McpPeers.nodeDir().resolve("node_modules").toString(), baseUrl, agent,
                paymentId, era, fulfil).redirectErrorStream(true).start();
        in = node.getOutputStream();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    synchronized (all) {
                        all.append(line).append('\n');
                    }
                    if (line.startsWith("{")) {
                        out.add(line);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "elicit-call-" + paymentId);
        reader.setDaemon(true);
        reader.start();
    }

    /** The next event it printed (within 30 s). */
    public JsonNode next() throws Exception {
        String line = out.poll(30, TimeUnit.SECONDS);
        if (line == null) {
            synchronized (all) {
                throw new AssertionError("elicit-call.mjs printed nothing more; all it printed:\n" + all);
            }
        }
        return JSON.readTree(line);
    }

    /** The next event it prints within {@code wait}, or null when it printed nothing in that time. */
    public JsonNode nextWithin(java.time.Duration wait) throws Exception {
        String line = out.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        return line == null ? null : JSON.readTree(line);
    }

    public void send(String line) throws IOException {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** Manual mode: re-send the call with {@code state} and the answer {@code action}. */
    public void resend(String state, String action) throws IOException {
        send(JSON.createObjectNode().put("requestState", state).put("action", action).toString());
    }

    @Override
    public void close() throws Exception {
        try {
            send("end");
            in.close();
        } catch (IOException e) {
            // gone already
        }
        if (!node.waitFor(10, TimeUnit.SECONDS)) {
            node.destroyForcibly();
        }
    }
}
