package dev.toolgate.sidecar;

import dev.toolgate.policy.Policy;
import dev.toolgate.policy.RateLimiter;
import dev.toolgate.policy.Verdict;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

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
    void withoutAPolicyEveryCallIsDenied() throws Exception {
        var inspection = EnforcementFilter.inspect(JsonRpcParser.parse(("[" + call(1, "a") + "," + call(2, "b") + "]")
                .getBytes(StandardCharsets.UTF_8)), null, "policy file missing", "agent", null);
        assertThat(inspection.decisions()).extracting(d -> d.decision().verdict()).containsOnly(Verdict.DENIED);
        assertThat(inspection.decisions().get(0).decision().reason()).contains("policy file missing");
    }
}
