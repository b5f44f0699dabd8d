package dev.toolgate.sidecar;

import dev.toolgate.sidecar.enforce.PolicyHolder;

import dev.toolgate.policy.Policy;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Policy changes arrive as ConfigMap-style symlink swaps while clients keep calling. */
@QuarkusTest
@TestProfile(Profiles.StreamableHttp.class)
class HotReloadIT {

    @Inject
    PolicyHolder holder;

    private static final String DENY_ECHO = """
            {"version":"1","default":"allow","tools":{"echo":{"action":"deny","reason":"echo switched off"}}}""";
    private static final String INVALID = """
            {"version":"1","default":"allow","tools":{"echo":{"deny-if":[]}}}""";

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    @Test
    void reloadTakesEffectAndInvalidPolicyIsRejectedAndCounted() {
        try (McpSyncClient client = TestSupport.javaClient("reload")) {
            client.callTool(new CallToolRequest("echo", Map.of("message", "before")));
            TestSupport.usePolicy(holder, DENY_ECHO);
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("echo", Map.of("message", "after")))).hasMessageContaining("echo switched off");
            String hash = holder.policy().map(Policy::hash).orElseThrow();
            double failures = TestSupport.sample(TestSupport.metrics(), "toolgate_policy_reloads_total{result=\"failure\"}");
            SidecarTestResource.swapPolicy(INVALID);
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    TestSupport.sample(TestSupport.metrics(), "toolgate_policy_reloads_total{result=\"failure\"}") == failures + 1);
            assertThat(holder.policy().map(Policy::hash)).contains(hash);
            assertThatThrownBy(() -> client.callTool(new CallToolRequest("echo", Map.of("message", "still")))).hasMessageContaining("echo switched off");
        }
    }

    @Test
    void fourClientsCallingThroughReloadsNeverSeeAnAllowedCallFail() throws Exception {
        List<String> allowingEcho = List.of(
                SidecarTestResource.resource("policies/everything.json"),
                SidecarTestResource.resource("policies/allow-all.json"),
                """
                {"version":"1","default":"deny","tools":{"echo":{"rate_limit":{"max":100000,"window":60}}}}""");
        AtomicBoolean running = new AtomicBoolean(true);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        java.util.concurrent.CountDownLatch allCalling = new java.util.concurrent.CountDownLatch(4);
        try {
            List<Future<?>> clients = new java.util.ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int id = c;
                clients.add(pool.submit(() -> {
                    boolean[] counted = {false};
                    try (McpSyncClient client = TestSupport.javaClient("hot-" + id)) {
                        while (running.get()) {
                            try {
                                var result = client.callTool(new CallToolRequest("echo", Map.of("message", "c" + id)));
                                if (Boolean.TRUE.equals(result.isError())) {
                                    failures.add(new AssertionError("tool error: " + result));
                                }
                                if (calls.incrementAndGet() > 0 && !counted[0]) {
                                    counted[0] = true;
                                    allCalling.countDown();
                                }
                            } catch (RuntimeException e) {
                                failures.add(e);
                            }
                        }
                    }
                    return null;
                }));
            }
            assertThat(allCalling.await(60, TimeUnit.SECONDS)).as("all 4 clients calling; failures " + failures).isTrue();
            int callsBeforeReloads = calls.get();
            double reloadsBefore = TestSupport.sample(TestSupport.metrics(), "toolgate_policy_reloads_total{result=\"success\"}");
            for (int round = 0; round < 12; round++) {
                TestSupport.usePolicy(holder, allowingEcho.get(round % allowingEcho.size()));
                if (round % 4 == 3) {
                    SidecarTestResource.swapPolicy(INVALID);
                }
                Thread.sleep(150);
            }
            running.set(false);
            for (Future<?> f : clients) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertThat(failures).as("allowed calls that failed during reloads").isEmpty();
            assertThat(calls.get() - callsBeforeReloads).as("calls made during reloads").isGreaterThan(20);
            assertThat(TestSupport.sample(TestSupport.metrics(), "toolgate_policy_reloads_total{result=\"success\"}")).isGreaterThanOrEqualTo(reloadsBefore + 9);
        } finally {
            running.set(false);
            pool.shutdownNow();
        }
    }
}
