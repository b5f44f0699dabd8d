package dev.toolgate.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.RateLimiter;
import dev.toolgate.policy.ToolCall;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A companion to the JMH numbers for shared, overloaded machines: the same workloads, measured as this thread's CPU
 * time per decision, which excludes time the thread spent descheduled. Not a replacement for JMH on a quiet machine.
 * Run: {@code java -cp bench/jmh/target/benchmarks.jar dev.toolgate.bench.CpuTimePerDecision}
 */
public final class CpuTimePerDecision {

    private static final int CALLS = 500_000;
    private static final int ROUNDS = 8;

    private CpuTimePerDecision() {
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        long[] now = {1_767_225_600_000L};

        Policy stripe = Policy.load(DecideBenchmark.resource("/stripe-update_customer.json"), new RateLimiter());
        ToolCall[] stripeCalls = new ToolCall[10_000];
        for (int i = 0; i < stripeCalls.length; i++) {
            stripeCalls[i] = new ToolCall("update_customer", json.readTree("{\"customer\":\"cus_" + i + "\"}"), "agent-" + i, null);
        }
        measure("stripeSeedAllowed", stripe, i -> stripeCalls[i % stripeCalls.length], now);

        Policy large = Policy.load(GeneratedPolicy.document(), new RateLimiter());
        List<ToolCall> mixed = GeneratedPolicy.calls(10_000);
        measure("largePolicyMixedCalls", large, i -> mixed.get(i & 63), now);
        ToolCall schemaConditionsLimits = new ToolCall("tool_30", GeneratedPolicy.payment(), "agent-1", null);
        measure("largePolicySchemaConditionsLimitsAllowed", large, i -> schemaConditionsLimits, now);
        measure("largePolicyInvalidArguments", large, i -> mixed.get(3), now);

        Policy limited = Policy.load("{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"search\":{\"limits\":[{\"counter\":\"search\","
                + "\"window\":\"hour\",\"max\":5,\"scope\":\"identity\"}]}}}", new RateLimiter());
        ToolCall[] searches = new ToolCall[10_000];
        for (int i = 0; i < searches.length; i++) {
            searches[i] = new ToolCall("search", null, "agent-" + i, null);
        }
        long[] frozen = {now[0]};
        for (int round = 0; round < 5; round++) {
            for (ToolCall call : searches) {
                limited.decide(call, frozen[0]);
            }
        }
        measure("rateLimitedAcrossTenThousandIdentities", limited, i -> searches[i % searches.length], null);
    }

    private static void measure(String name, Policy policy, IntFunction<ToolCall> calls, long[] clock) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long fixed = 1_767_225_600_000L;
        double best = Double.MAX_VALUE;
        Decision last = null;
        for (int round = 0; round < ROUNDS; round++) {
            long start = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < CALLS; i++) {
                last = policy.decide(calls.apply(i), clock == null ? fixed : ++clock[0]);
            }
            double perCall = (threads.getCurrentThreadCpuTime() - start) / (double) CALLS;
            if (round >= ROUNDS / 2) {
                best = Math.min(best, perCall); // later rounds only: after JIT warm-up
            }
        }
        System.out.printf("%-42s %8.0f ns CPU/decision (best of %d warm rounds; last verdict %s)%n", name, best, ROUNDS / 2,
                last.verdict().label());
    }
}
