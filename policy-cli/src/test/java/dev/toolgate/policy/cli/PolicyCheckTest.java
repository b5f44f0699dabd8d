package dev.toolgate.policy.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The offline checker: the shipped examples, invalid policies and bad input lines. */
class PolicyCheckTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        PolicyCheck check = new PolicyCheck(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> 1_767_225_600_000L);
        return check.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    }

    private List<String> outLines() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void stripeExampleRateLimitsThe31stCallOfOneIdentityOnly() {
        int status = run("", "examples/stripe-update_customer.json", "examples/calls-stripe.jsonl");
        assertThat(status).isZero();
        List<String> lines = outLines();
        assertThat(lines).hasSize(35);
        assertThat(lines.subList(0, 30)).allMatch(l -> l.contains("\"verdict\":\"allowed\""));
        assertThat(lines.get(30)).isEqualTo("{\"line\":31,\"verdict\":\"rate_limited\",\"tool\":\"update_customer\","
                + "\"rule\":\"tools[\\\"update_customer\\\"].limits[0]\",\"reason\":\"rate limit exceeded: counter \\\"update_customer_rate\\\" "
                + "admits 30 calls per minute per grant\",\"counter\":\"update_customer_rate\",\"retryAfterSeconds\":30}");
        assertThat(lines.get(32)).contains("\"verdict\":\"allowed\"").contains("\"line\":33");
        assertThat(lines.get(33)).contains("\"verdict\":\"denied\"", "\"rule\":\"default\"");
        assertThat(lines.get(34)).contains("\"verdict\":\"allowed\"");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void ap2AndAksjahExamples() {
        assertThat(run("", "--text", "examples/ap2-update_amount.json", "examples/calls-ap2.jsonl")).isZero();
        assertThat(outLines()).hasSize(3);
        assertThat(outLines().get(0)).contains("denied", "Requires human approval.");
        out.reset();
        assertThat(run("", "examples/aksjah-wizcommerce-postcustomers.json", "examples/calls-aksjah.jsonl")).isZero();
        assertThat(outLines()).filteredOn(l -> l.contains("rate_limited")).hasSize(1);
    }

    @Test
    void grantsExampleNamesTheDecidingGrantAndReadsGroups() {
        assertThat(run("", "examples/grants-shop.json", "examples/calls-grants.jsonl")).isZero();
        List<String> lines = outLines();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0)).contains("\"verdict\":\"allowed\"", "\"rule\":\"tools[\\\"get_*\\\"]\"").doesNotContain("grant");
        assertThat(lines.get(1)).isEqualTo("{\"line\":2,\"verdict\":\"allowed\",\"tool\":\"update_customer\","
                + "\"rule\":\"grants[0].tools[\\\"update_customer\\\"]\",\"reason\":\"allowed by grants[0].tools[\\\"update_customer\\\"]\","
                + "\"counter\":null,\"retryAfterSeconds\":0,\"grant\":\"billing-bot\"}");
        assertThat(lines.get(2)).contains("\"verdict\":\"denied\"", "\"rule\":\"default\"").doesNotContain("grant");
        assertThat(lines.get(3)).contains("\"verdict\":\"approval_required\"", "\"grant\":\"finance\"");
        assertThat(lines.get(4)).contains("\"verdict\":\"denied\"").doesNotContain("grant");
        out.reset();
        assertThat(run("{\"tool\": \"update_amount\", \"groups\": [\"finance\"]}\n{\"tool\": \"t\", \"identity\": \"a\", \"groups\": [1]}\n",
                "examples/grants-shop.json", "-")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "line 1: \"groups\" needs an \"identity\": an anonymous caller has no groups",
                "line 2: \"groups\" must be an array of strings, got 1");
        out.reset();
        assertThat(run("", "--text", "examples/grants-shop.json", "examples/calls-grants.jsonl")).isZero();
        assertThat(outLines().get(1)).contains("[grant billing-bot]");
    }

    @Test
    void invalidPolicyPrintsEveryErrorWithItsPathAndExits2(@TempDir Path dir) throws Exception {
        Path policy = dir.resolve("p.json");
        Files.writeString(policy, "{\"version\":\"2\",\"default\":\"deny\",\"tools\":{\"t\":{\"deny-if\":[]}}}");
        assertThat(run("", policy.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("invalid policy " + policy + ": 2 errors\n"
                + "  version: unsupported version \"2\"; expected \"1\"\n"
                + "  tools[\"t\"][\"deny-if\"]: unknown field \"deny-if\"; expected one of action, reason, args, deny_if, limits, rate_limit\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void badInputLinesAreReportedByNumberAndTheRestIsDecided() {
        String calls = "{\"tool\":\"update_customer\",\"identity\":\"a\"}\n"
                + "not json\n"
                + "\n"
                + "{\"tool\":\"x\",\"timestamp\":\"yesterday\"}\n"
                + "{\"tool\":\"x\",\"args\":{}}\n"
                + "{\"tool\":7}\n"
                + "{\"tool\":\"update_customer\",\"identity\":\"a\",\"timestamp\":1767225600000,\"session\":null}\n";
        assertThat(run(calls, "examples/stripe-update_customer.json", "-")).isEqualTo(1);
        assertThat(outLines()).hasSize(2).allMatch(l -> l.contains("\"verdict\":\"allowed\""));
        assertThat(outLines().get(1)).startsWith("{\"line\":7,");
        assertThat(err.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
                "line 2: not JSON: Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                "line 4: \"timestamp\" \"yesterday\" is not an ISO-8601 instant such as \"2026-01-01T00:00:00Z\"",
                "line 5: unknown field \"args\"; expected tool, arguments, identity, groups, session, timestamp",
                "line 6: \"tool\" must be a string");
    }

    @Test
    void usageAndMissingFiles() {
        assertThat(run("", "only-one.json")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("usage: policy-check");
        err.reset();
        assertThat(run("", "nope.json", "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("cannot read policy: no such file nope.json\n");
    }
}
