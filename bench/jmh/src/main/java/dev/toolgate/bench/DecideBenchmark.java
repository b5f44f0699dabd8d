package dev.toolgate.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.PolicyException;
import dev.toolgate.policy.RateLimiter;
import dev.toolgate.policy.ToolCall;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code Policy.decide} on the hot path. Each benchmark walks a fixed pool of calls and a synthetic clock, so the
 * numbers include entry lookup, schema validation, conditions and the rate limiter, but no JSON parsing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DecideBenchmark {

    /** (a) The Stripe seed policy: update_customer, 30 per minute per grant, 10,000 identities, always under the limit. */
    @State(Scope.Thread)
    public static class StripeSeed {
        Policy policy;
        ToolCall[] calls;
        ToolCall denied;
        long now = 1_767_225_600_000L;
        int next;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            policy = Policy.load(resource("/stripe-update_customer.json"), new RateLimiter());
            ObjectMapper json = new ObjectMapper();
            calls = new ToolCall[10_000];
            for (int i = 0; i < calls.length; i++) {
                calls[i] = new ToolCall("update_customer", json.readTree("{\"customer\":\"cus_" + i + "\",\"email\":\"x@example.com\"}"),
                        "agent-" + i, null);
            }
            denied = new ToolCall("delete_customer", json.readTree("{\"customer\":\"cus_1\"}"), "agent-1", null);
        }

        ToolCall nextCall() {
            now++; // one call per identity every 10 s of synthetic time: 6 a minute, always allowed
            int i = next;
            next = i + 1 == calls.length ? 0 : i + 1;
            return calls[i];
        }
    }

    /** (b) A generated 1,000-entry policy: exact names, globs, schemas, conditions and limits. */
    @State(Scope.Thread)
    public static class LargePolicy {
        Policy policy;
        ToolCall[] calls;
        ToolCall schemaConditionsLimits;
        long now = 1_767_225_600_000L;
        int next;

        @Setup(Level.Trial)
        public void setUp() throws PolicyException {
            policy = Policy.load(GeneratedPolicy.document(), new RateLimiter());
            List<ToolCall> pool = GeneratedPolicy.calls(10_000);
            calls = pool.toArray(new ToolCall[0]);
            // tool_30: args schema, three deny_if items, an identity limit and the top-level global limit
            schemaConditionsLimits = new ToolCall("tool_30", GeneratedPolicy.payment(), "agent-1", null);
            if (!policy.decide(schemaConditionsLimits, now).allowed() || policy.decide(calls[3], now).allowed()) {
                throw new IllegalStateException("the generated policy does not decide as the benchmarks assume");
            }
        }

        ToolCall nextCall() {
            now++;
            int i = next;
            next = (i + 1) & 63;
            return calls[i];
        }
    }

    /** (c) Calls over 10,000 identities that have all used up their limit: the rate_limited path under a full key set. */
    @State(Scope.Thread)
    public static class RateLimited {
        Policy policy;
        ToolCall[] calls;
        long now = 1_767_225_600_000L;
        int next;

        @Setup(Level.Trial)
        public void setUp() throws PolicyException {
            policy = Policy.load("{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"search\":{\"limits\":[{\"counter\":\"search\","
                    + "\"window\":\"hour\",\"max\":5,\"scope\":\"identity\"}]}}}", new RateLimiter());
            calls = new ToolCall[10_000];
            for (int i = 0; i < calls.length; i++) {
                calls[i] = new ToolCall("search", null, "agent-" + i, null);
            }
            for (int round = 0; round < 5; round++) {
                for (ToolCall call : calls) {
                    policy.decide(call, now);
                }
            }
        }

        ToolCall nextCall() {
            int i = next;
            next = i + 1 == calls.length ? 0 : i + 1;
            return calls[i];
        }
    }

    /**
     * (d) A {@code deny_if} with a case-insensitive {@code matches} over a 740-character argument that does not match
     * (the common case: most calls are not attacks). {@code prefiltered} is the pattern as a policy would write it;
     * {@code re2jOnly} is the same expression wrapped in a group, which the required-literal reader does not look
     * into, so RE2J scans every character: the baseline, side by side.
     */
    @State(Scope.Thread)
    public static class LongArgument {
        static final String PATTERN = "(?i)ignore (all|previous) instructions";
        Policy prefiltered;
        Policy re2jOnly;
        ToolCall call;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            prefiltered = Policy.load(policyWith(PATTERN), new RateLimiter());
            re2jOnly = Policy.load(policyWith("(" + PATTERN + ")"), new RateLimiter());
            String description = ("Customer asked to move the billing date to the first of the month and to send receipts "
                    + "to the finance mailbox; earlier notes from the account owner stay in force. ").repeat(5)
                    .substring(0, 740);
            call = new ToolCall("update_customer", new ObjectMapper().createObjectNode().put("customer", "cus_1")
                    .put("description", description), "agent-1", null);
            if (!prefiltered.decide(call).allowed() || !re2jOnly.decide(call).allowed()) {
                throw new IllegalStateException("the long argument must not match");
            }
        }

        private static String policyWith(String pattern) {
            return "{\"version\":\"1\",\"default\":\"deny\",\"tools\":{\"update_customer\":{\"deny_if\":[{\"conditions\":"
                    + "[{\"arg\":\"description\",\"op\":\"matches\",\"value\":\"" + pattern + "\"}],\"on_deny\":\"injection\"}]}}}";
        }
    }

    @Benchmark
    public Decision longArgumentMatches(LongArgument s) {
        return s.prefiltered.decide(s.call);
    }

    @Benchmark
    public Decision longArgumentMatchesRe2jOnly(LongArgument s) {
        return s.re2jOnly.decide(s.call);
    }

    @Benchmark
    public Decision stripeSeedAllowed(StripeSeed s) {
        return s.policy.decide(s.nextCall(), s.now);
    }

    @Benchmark
    public Decision stripeSeedDeniedByDefault(StripeSeed s) {
        return s.policy.decide(s.denied, s.now);
    }

    @Benchmark
    public Decision largePolicyMixedCalls(LargePolicy s) {
        return s.policy.decide(s.nextCall(), s.now);
    }

    /** (b') One path of the large policy: an exact entry with schema, three deny_if items and two limits, allowed. */
    @Benchmark
    public Decision largePolicySchemaConditionsLimitsAllowed(LargePolicy s) {
        s.now++;
        return s.policy.decide(s.schemaConditionsLimits, s.now);
    }

    /** (b'') One path of the large policy: arguments failing the schema, with the reason naming the failing path. */
    @Benchmark
    public Decision largePolicyInvalidArguments(LargePolicy s) {
        return s.policy.decide(s.calls[3], s.now);
    }

    @Benchmark
    public Decision rateLimitedAcrossTenThousandIdentities(RateLimited s) {
        return s.policy.decide(s.nextCall(), s.now);
    }

    static String resource(String name) throws IOException {
        try (InputStream in = DecideBenchmark.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
