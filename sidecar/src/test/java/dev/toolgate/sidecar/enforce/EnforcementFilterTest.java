package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.mcp.JsonRpcParser;
import dev.toolgate.sidecar.mcp.JsonRpcRejection;

import dev.toolgate.policy.Admission;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.CounterRef;
import dev.toolgate.policy.CounterStore;
import dev.toolgate.policy.Demand;
import dev.toolgate.policy.InMemoryCounterStore;
import dev.toolgate.policy.LimitDefinition;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.RateLimiter;
import dev.toolgate.policy.Verdict;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A body is decided as one batch: when it is not forwarded, it consumed no rate-limit capacity. */
class EnforcementFilterTest {

    private static final String POLICY = """
            {"version":"1","default":"deny","tools":{
              "limited":{"limits":[{"counter":"c","window":"minute","max":1,"scope":"global"}]},
              "secret":{"action":"deny"}}}""";

    private static EnforcementFilter.Inspection inspect(Policy policy, String body) throws JsonRpcRejection {
        return EnforcementFilter.inspect(JsonRpcParser.parse(body.getBytes(StandardCharsets.UTF_8)), policy, null, "agent", null);
    }

    private static String call(int id, String tool) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":{}}}";
    }

    @Test
    void aBodyThatIsNotForwardedConsumesNothing() throws Exception {
        Policy policy = Policy.load(POLICY, new RateLimiter());
        for (int i = 0; i < 3; i++) {
            var refused = inspect(policy, "[" + call(1, "limited") + "," + call(2, "secret") + "]");
            assertThat(refused.forward()).isFalse();
            assertThat(refused.decisions()).extracting(d -> d.decision().verdict()).containsExactly(Verdict.ALLOWED, Verdict.DENIED);
            assertThat(refused.allowed()).extracting(CallDecision::tool).containsExactly("limited"); // held back: -31005
        }
        var twice = inspect(policy, "[" + call(1, "limited") + "," + call(2, "limited") + "]");
        assertThat(twice.forward()).isFalse();
        assertThat(twice.maxRetryAfterSeconds()).isPositive();
        assertThat(inspect(policy, call(3, "limited")).forward()).as("the single unit is still free").isTrue();
        assertThat(inspect(policy, call(4, "limited")).forward()).isFalse();
    }

    @Test
    void aBodyWhoseOnlyRefusalsAreInAuditModeIsForwardedWhole() throws Exception {
        Policy policy = Policy.load("""
                {"version":"1","default":"deny","tools":{
                  "limited":{"limits":[{"counter":"c","window":"minute","max":1,"scope":"global"}]},
                  "secret":{"action":"deny","enforcement":"audit"},
                  "loud":{"enforcement":"audit","rate_limit":{"max":1,"window":"minute"}}}}""", new RateLimiter());
        inspect(policy, call(1, "loud"));
        var body = inspect(policy, "[" + call(1, "limited") + "," + call(2, "secret") + "," + call(3, "loud") + "]");
        assertThat(body.forward()).isTrue();
        assertThat(body.decisions()).extracting(d -> d.decision().verdict())
                .containsExactly(Verdict.ALLOWED, Verdict.DENIED, Verdict.RATE_LIMITED);
        assertThat(body.allowed()).extracting(CallDecision::tool).containsExactly("limited", "secret", "loud");
        assertThat(body.maxRetryAfterSeconds()).as("no Retry-After for a shadowed limit").isZero();
        // an enforced refusal still refuses the body, shadowed siblings included
        var refused = inspect(policy, "[" + call(1, "secret") + "," + call(2, "unlisted") + "]");
        assertThat(refused.forward()).isFalse();
        assertThat(refused.allowed()).extracting(CallDecision::tool).containsExactly("secret");
    }

    @Test
    void withoutAPolicyEveryCallIsDenied() throws Exception {
        var inspection = EnforcementFilter.inspect(JsonRpcParser.parse(("[" + call(1, "a") + "," + call(2, "b") + "]")
                .getBytes(StandardCharsets.UTF_8)), null, "policy file missing", "agent", null);
        assertThat(inspection.decisions()).extracting(d -> d.decision().verdict()).containsOnly(Verdict.DENIED);
        assertThat(inspection.decisions().get(0).decision().reason()).contains("policy file missing");
    }

    /** A store that answers later, on another thread, as a shared store does; or that fails. */
    private static final class LaterStore implements CounterStore {
        final InMemoryCounterStore counts = new InMemoryCounterStore();
        final java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor();
        volatile boolean failing;

        @Override
        public CounterRef bind(LimitDefinition definition) {
            return counts.bind(definition);
        }

        @Override
        public CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume) {
            return CompletableFuture.supplyAsync(() -> {
                if (failing) {
                    throw new IllegalStateException("store lost");
                }
                return counts.acquire(demands, nowMillis, consume).toCompletableFuture().join();
            }, thread);
        }
    }

    @Test
    void aStoreThatAnswersLaterDecidesTheSameAndAFailingOneDeniesTheWholeBody() throws Exception {
        LaterStore store = new LaterStore();
        try {
            Policy policy = Policy.load(POLICY, store);
            EnforcementFilter.Prepared first = EnforcementFilter.prepare(JsonRpcParser.parse(call(1, "limited").getBytes(StandardCharsets.UTF_8)),
                    policy, null, Caller.fromHeader("agent"), null);
            CompletionStage<EnforcementFilter.Inspection> pending = first.decide(System.currentTimeMillis());
            assertThat(pending.toCompletableFuture().get(10, TimeUnit.SECONDS).forward()).isTrue();
            var second = EnforcementFilter.prepare(JsonRpcParser.parse(call(2, "limited").getBytes(StandardCharsets.UTF_8)),
                    policy, null, Caller.fromHeader("agent"), null).decide(System.currentTimeMillis()).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(second.decisions()).extracting(d -> d.decision().verdict()).containsExactly(Verdict.RATE_LIMITED);

            store.failing = true;
            var failed = EnforcementFilter.prepare(JsonRpcParser.parse(("[" + call(3, "limited") + "," + call(4, "other") + "]").getBytes(StandardCharsets.UTF_8)),
                    policy, null, Caller.fromHeader("agent"), null).decide(System.currentTimeMillis()).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(failed.forward()).isFalse();
            assertThat(failed.decisions()).extracting(d -> d.decision().rule()).containsExactly("error", "error");
            assertThat(failed.decisions().get(0).decision().reason()).contains("store lost");
        } finally {
            store.thread.shutdownNow();
        }
    }
}
