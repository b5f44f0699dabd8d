package dev.toolgate.sidecar;

import dev.toolgate.sidecar.edge.BufferBudget;
import dev.toolgate.sidecar.enforce.PolicyHolder;
import dev.toolgate.sidecar.mcp.ErrorCodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bodies are buffered as they arrive, never sized from Content-Length, and all in-flight bodies together stay within
 * toolgate.max-buffered-bytes (8 MiB in this profile): idle or slow connections that declare large bodies cost only what
 * they sent, a request that would overspend the budget gets 503, and every byte is given back however requests end.
 */
@QuarkusTest
@TestProfile(Profiles.SmallBufferBudget.class)
class BufferBudgetIT {
    private static final int DECLARED = 4 * 1024 * 1024; // toolgate.max-body-bytes: the largest a client may declare
    private static final int MIB = 1024 * 1024;

    @Inject
    PolicyHolder holder;
    @Inject
    BufferBudget budget;

    private final List<Socket> sockets = new ArrayList<>();
    private final String agent = "budget-" + UUID.randomUUID();

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.inUse() == 0);
    }

    @AfterEach
    void closeSockets() {
        sockets.forEach(s -> {
            try {
                s.close();
            } catch (IOException ignored) {
                // best effort
            }
        });
    }

    /** A connection that declares a {@link #DECLARED}-byte tools/call and sends only its first {@code sent} bytes. */
    private Socket slowSender(int sent) throws IOException {
        Socket socket = new Socket("127.0.0.1", SidecarTestResource.proxyPort);
        sockets.add(socket);
        socket.setSoTimeout(10_000);
        String start = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"";
        byte[] body = (start + "x".repeat(sent - start.length())).getBytes(StandardCharsets.US_ASCII);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Agent-Id: " + agent + "\r\nContent-Length: " + DECLARED
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return socket;
    }

    private static long usedHeapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Test
    void slowConnectionsDeclaringLargeBodiesHoldOnlyWhatTheySentAndAnAllowedCallIsAnsweredPromptly() throws Exception {
        long heapBefore = usedHeapAfterGc();
        int connections = 40;
        int sent = 64 * 1024;
        for (int i = 0; i < connections; i++) {
            slowSender(sent);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.inUse() == (long) connections * sent);
        // Sized from Content-Length these would hold 40 x 4 MiB = 160 MiB.
        assertThat(usedHeapAfterGc() - heapBefore).as("heap held by %d slow connections", connections).isLessThan(64L * MIB);
        assertThat(TestSupport.sample(TestSupport.metrics(), "toolgate_request_buffered_bytes")).isEqualTo((double) connections * sent);

        var session = new TestSupport.RawSession();
        String m = "m" + UUID.randomUUID().toString().replace("-", "");
        long started = System.nanoTime();
        var small = session.post("/mcp", TestSupport.callBody(2, "echo", "{\"message\":\"" + m + "\"}"), Map.of("X-Agent-Id", agent));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        assertThat(TestSupport.messages(small).get(0).get("result").toString()).contains(m);

        String big = "b".repeat(3 * MIB);
        started = System.nanoTime();
        var large = session.post("/mcp", TestSupport.callBody(3, "echo", "{\"message\":\"" + big + "\"}"), Map.of("X-Agent-Id", agent));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
        assertThat(TestSupport.messages(large).get(0).has("result")).isTrue();

        closeSockets(); // mid-body, abruptly
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.inUse() == 0);
        assertThat(TestSupport.sample(TestSupport.metrics(), "toolgate_request_buffered_bytes")).isZero();
    }

    @Test
    void aBodyThatWouldOverspendTheBudgetGets503WithRetryAfterAndNothingLeaks() throws Exception {
        double before = TestSupport.sample(TestSupport.metrics(), "toolgate_refused_total{reason=\"overloaded\"}");
        slowSender(3 * MIB);
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.inUse() == 3L * MIB);
        slowSender(3 * MIB);
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.inUse() == 6L * MIB);
        String answer = response(slowSender(3 * MIB));
        assertThat(answer).startsWith("HTTP/1.1 503").containsIgnoringCase("retry-after: 1");
        JsonNode error = TestSupport.JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).get("error");
        assertThat(error.get("code").asInt()).isEqualTo(ErrorCodes.OVERLOADED);
        assertThat(error.get("message").asText()).contains("toolgate.max-buffered-bytes");
        assertThat(TestSupport.sample(TestSupport.metrics(), "toolgate_refused_total{reason=\"overloaded\"}") - before).isEqualTo(1.0);
        assertThat(budget.inUse()).as("the refused request gave its bytes back").isEqualTo(6L * MIB);

        // what is left of the budget still serves calls
        var session = new TestSupport.RawSession();
        assertThat(TestSupport.messages(session.post("/mcp", TestSupport.callBody(4, "echo", "{\"message\":\"still served\"}"), Map.of()))
                .get(0).has("result")).isTrue();

        closeSockets();
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.inUse() == 0);
    }

    @Test
    void everyWayARequestEndsGivesItsBytesBack() throws Exception {
        var session = new TestSupport.RawSession();
        for (int i = 0; i < 20; i++) {
            session.post(TestSupport.callBody(i, "echo", "{\"message\":\"ok " + i + "\"}")); // forwarded
            session.post(TestSupport.callBody(i, "get-env", "{}")); // denied by the sidecar
            session.post("{not json"); // refused as malformed
        }
        String oversized = TestSupport.callBody(1, "echo", "{\"message\":\"" + "x".repeat(DECLARED) + "\"}");
        assertThat(StrictInputIT.rawExchange("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(oversized.length()) + "\r\n" + oversized + "\r\n0\r\n\r\n")).startsWith("HTTP/1.1 413");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.RESET_BEFORE_HEADERS);
        session.post(TestSupport.callBody(99, "echo", "{\"message\":\"upstream fails\"}"));
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
        await().atMost(Duration.ofSeconds(10)).until(() -> budget.inUse() == 0);
    }

    /** The HTTP response on {@code socket}, read until its Content-Length is complete. */
    private static String response(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            got.write(buffer, 0, n);
            String text = got.toString(StandardCharsets.UTF_8);
            int headerEnd = text.indexOf("\r\n\r\n");
            if (headerEnd > 0) {
                String head = text.substring(0, headerEnd).toLowerCase();
                int at = head.indexOf("content-length:");
                if (at >= 0) {
                    int end = head.indexOf("\r\n", at);
                    int length = Integer.parseInt(head.substring(at + 15, end < 0 ? head.length() : end).trim());
                    if (got.size() >= headerEnd + 4 + length) {
                        break;
                    }
                }
            }
        }
        return got.toString(StandardCharsets.UTF_8);
    }
}
