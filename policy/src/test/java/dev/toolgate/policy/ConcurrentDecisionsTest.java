package dev.toolgate.policy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.toolgate.policy.PolicyTestSupport.T0;
import static dev.toolgate.policy.PolicyTestSupport.call;
import static dev.toolgate.policy.PolicyTestSupport.policy;
import static org.assertj.core.api.Assertions.assertThat;

/** One compiled policy shared by several threads decides exactly as it does alone (schemas, regexes, globs, conditions). */
class ConcurrentDecisionsTest {

    @Test
    void sharedPolicyDecidesTheSameOnEveryThread() throws Exception {
        Policy p = policy("{'version':'1','default':'deny','tools':{"
                + "'pay':{'args':{'type':'object','properties':{'amount':{'type':'number','minimum':0},'cur':{'type':'string','pattern':'^[a-z]{3}$'}},"
                + "'required':['amount']},'deny_if':[{'conditions':[{'arg':'amount','op':'gt','value':1000},{'arg':'cur','op':'in','value':['usd']}],"
                + "'on_deny':'big'},{'conditions':[{'arg':'memo','op':'matches','value':'(?i)drop\\\\s+table'}],'on_deny':'sql'}]},"
                + "'read_*':{},'*':{'action':'deny'}}}");
        List<ToolCall> calls = List.of(
                call("pay", "{'amount':5,'cur':'usd'}", "a"),
                call("pay", "{'amount':5000,'cur':'usd'}", "a"),
                call("pay", "{'amount':5000,'cur':'eur'}", "a"),
                call("pay", "{'amount':-1}", "a"),
                call("pay", "{'amount':1,'cur':'USD'}", "a"),
                call("pay", "{'amount':1,'memo':'x; DROP  TABLE y'}", "a"),
                call("read_file", "{}", "a"),
                call("write_file", "{}", "a"));
        List<Decision> expected = calls.stream().map(c -> p.decide(c, T0)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Decision>>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    List<Decision> seen = new ArrayList<>();
                    for (int i = 0; i < 2_000; i++) {
                        seen.add(p.decide(calls.get(i % calls.size()), T0));
                    }
                    return seen;
                }));
            }
            for (Future<List<Decision>> result : results) {
                List<Decision> seen = result.get();
                for (int i = 0; i < seen.size(); i++) {
                    assertThat(seen.get(i)).isEqualTo(expected.get(i % calls.size()));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(expected).extracting(Decision::verdict).containsExactly(Verdict.ALLOWED, Verdict.DENIED, Verdict.ALLOWED,
                Verdict.INVALID_ARGUMENTS, Verdict.INVALID_ARGUMENTS, Verdict.DENIED, Verdict.ALLOWED, Verdict.DENIED);
    }
}
