package dev.toolgate.policy.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code policy-check test}: the shipped example suites, a failing expectation, and every way a test file can be unusable. */
class PolicyTestsTest {

    private static final String DEMO_POLICY = """
            apiVersion: toolgate.dev/v1alpha1
            kind: McpPolicy
            metadata: {name: stripe, namespace: payments}
            spec:
              identity: {header: X-Agent-Id}
              default: deny
              tools:
                update_customer:
                  limits: [{counter: writes, window: minute, max: 2, scope: identity}]
            """;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @BeforeEach
    void policy() throws IOException {
        Files.writeString(dir.resolve("policy.yaml"), DEMO_POLICY);
    }

    private int run(String... args) {
        PolicyCheck check = new PolicyCheck(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), () -> 0L);
        return check.run(args, new ByteArrayInputStream(new byte[0]));
    }

    private List<String> outLines() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private String errText() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private String testFile(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file.toString();
    }

    @Test
    void theExampleSuitesPass() throws IOException {
        // the suites as shipped: the seed policies, the demo's and the grants example, read from k8s-examples/
        String[] files;
        try (Stream<Path> list = Files.list(Path.of("examples/policy-tests"))) {
            files = list.map(Path::toString).filter(f -> f.endsWith(".yaml")).sorted().toArray(String[]::new);
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(5); // every suite there runs: a new one is a new file
        String[] args = Stream.concat(Stream.of("test"), Stream.of(files)).toArray(String[]::new);
        assertThat(run(args)).isZero();
        assertThat(outLines()).filteredOn(l -> l.startsWith("  FAIL")).isEmpty();
        assertThat(outLines()).contains(
                "examples/policy-tests/stripe-update-customer.yaml: McpPolicy stripe-update-customer from k8s-examples/seed-policies/stripe-update-customer.yaml"
                        .replace("k8s-examples", "../k8s-examples"),
                "  PASS  #1 thirty calls in one minute are allowed: allowed x30",
                "  PASS  #2 the 31st call in that minute is rate limited: rate_limited");
        assertThat(outLines().get(outLines().size() - 1)).matches("([0-9]+) cases in " + files.length + " files: \\1 passed, 0 failed");
        assertThat(errText()).isEmpty();
    }

    @Test
    void anEnforcementExpectationIsChecked() throws IOException {
        testFile("audit.json", "{\"version\":\"1\",\"default\":\"deny\",\"enforcement\":\"audit\","
                + "\"tools\":{\"t\":{\"enforcement\":\"enforce\"}}}");
        String tests = testFile("audit-tests.yaml", "policy: audit.json\ncases:\n"
                + "  - {tool: t, expect: {decision: allowed, enforcement: audit}}\n"
                + "  - {tool: u, expect: {decision: denied, enforcement: audit}}\n"
                + "  - {tool: u, expect: {decision: denied, enforcement: shadow}}\n");
        assertThat(run("test", tests)).isEqualTo(2);
        assertThat(errText()).contains("cases[2].expect.enforcement: expected \"enforce\" or \"audit\", got \"shadow\"");
        String fixed = testFile("audit-tests.yaml", "policy: audit.json\ncases:\n"
                + "  - {tool: t, expect: {decision: allowed, enforcement: audit}}\n"
                + "  - {tool: u, expect: {decision: denied, enforcement: audit}}\n");
        assertThat(run("test", fixed)).isEqualTo(1);
        assertThat(outLines()).anySatisfy(l -> assertThat(l).startsWith("  FAIL  #1").contains("enforcement: expected \"audit\", got \"enforce\""));
        assertThat(outLines()).anySatisfy(l -> assertThat(l).startsWith("  PASS  #2"));
    }

    @Test
    void aWrongExpectationFailsWithExpectedAndActualAndExits1() {
        assertThat(run("test", "src/test/resources/policy-tests/wrong-expectation.yaml")).isEqualTo(1);
        assertThat(outLines()).containsExactly(
                "src/test/resources/policy-tests/wrong-expectation.yaml: McpPolicy stripe-update-customer from ../k8s-examples/seed-policies/stripe-update-customer.yaml",
                "  PASS  #1 twenty-nine calls: allowed x29",
                "  FAIL  #2 the 30th is (wrongly) expected to be rate limited: decision: expected rate_limited, got allowed;"
                        + " counter: expected \"update_customer_rate\", got null"
                        + " (got rule spec.tools[\"update_customer\"], reason \"allowed by tools[\\\"update_customer\\\"]\")",
                "  PASS  #3 the 31st is: rate_limited",
                "3 cases in 1 file: 2 passed, 1 failed");
        assertThat(errText()).isEmpty();
    }

    @Test
    void casesRunInOrderOnOneCounterStoreWithTimeOffsets() throws IOException {
        String tests = testFile("t.yaml", """
                policy: policy.yaml
                cases:
                  - {tool: update_customer, identity: a, time: "2026-03-01T10:00:00Z", repeat: 2, expect: {decision: allowed, rule: 'spec.tools["update_customer"]'}}
                  - {tool: update_customer, identity: a, time: +30s, expect: {decision: rate_limited, retryAfterSeconds: 30, counter: writes}}
                  - {tool: update_customer, identity: b, session: s-1, expect: {decision: allowed, grant: ""}}
                  - {tool: update_customer, identity: a, time: +30s, expect: {decision: allowed}}
                  - {tool: update_customer, identity: a, time: 1772359320000, repeat: 2, expect: {decision: allowed}}
                  - {tool: delete_customer, expect: {decision: denied, rule: spec.default, reason: no policy entry matches this tool and the default is deny}}
                """);
        assertThat(run("test", tests)).isZero();
        assertThat(outLines()).last().isEqualTo("6 cases in 1 file: 6 passed, 0 failed");
        out.reset();
        String repeatFails = testFile("r.yaml", """
                policy: policy.yaml
                cases:
                  - {tool: update_customer, identity: a, repeat: 3, expect: {decision: allowed}}
                """);
        assertThat(run("test", repeatFails)).isEqualTo(1);
        assertThat(outLines().get(1)).isEqualTo("  FAIL  #1: call 3 of 3: decision: expected allowed, got rate_limited (got rule"
                + " spec.tools[\"update_customer\"].limits[0], reason \"rate limit exceeded: counter \\\"writes\\\" admits 2 calls per minute"
                + " per identity\")");
    }

    @Test
    void aPolicyDocumentWorksToo() throws IOException {
        Path document = Path.of("examples/ap2-update_amount.json").toAbsolutePath();
        String tests = testFile("doc.yaml", "policy: " + document + "\ncases:\n"
                + "  - {tool: update_amount, expect: {decision: denied, rule: 'tools[\"update_amount\"].deny_if[0]', reason: Requires human approval.}}\n");
        assertThat(run("test", tests)).isZero();
        assertThat(outLines().get(0)).endsWith(": policy document from " + document);
    }

    @Test
    void badYamlIsAnInvalidTestFile() throws IOException {
        String tests = testFile("t.yaml", "policy: policy.yaml\ncases: [\n");
        assertThat(run("test", tests)).isEqualTo(2);
        assertThat(errText()).isEqualTo("invalid test file " + tests + ": 1 problem\n"
                + "  invalid YAML at line 3, column 1: expected the node content, but found '<stream end>' (while parsing a flow node)\n");
        assertThat(outLines()).containsExactly("0 cases in 1 file: 0 passed, 0 failed, 1 file invalid");
    }

    @Test
    void unknownKeysAnywhereAreErrorsWithTheirPaths() throws IOException {
        String tests = testFile("t.yaml", """
                policy: policy.yaml
                policy_name: payments/stripe
                cases:
                  - tool: update_customer
                    identty: a
                    expect: {decison: allowed, decision: allowed, reson: x}
                """);
        assertThat(run("test", tests)).isEqualTo(2);
        assertThat(errText()).isEqualTo("invalid test file " + tests + ": 4 problems\n"
                + "  policy_name: unknown field \"policy_name\"; expected one of policy, policyName, cases\n"
                + "  cases[0].identty: unknown field \"identty\"; expected one of name, tool, arguments, identity, groups, session, time, repeat, expect\n"
                + "  cases[0].expect.decison: unknown field \"decison\"; expected one of decision, rule, reason, grant, counter, retryAfterSeconds, enforcement\n"
                + "  cases[0].expect.reson: unknown field \"reson\"; expected one of decision, rule, reason, grant, counter, retryAfterSeconds, enforcement\n");
    }

    @Test
    void aCaseWithoutAnExpectationIsAnError() throws IOException {
        String tests = testFile("t.yaml", """
                policy: policy.yaml
                cases:
                  - tool: update_customer
                  - tool: update_customer
                    expect: {}
                  - tool: update_customer
                    expect: {decision: allow, grant: null}
                """);
        assertThat(run("test", tests)).isEqualTo(2);
        assertThat(errText()).isEqualTo("invalid test file " + tests + ": 4 problems\n"
                + "  cases[0].expect: required field is missing; every case needs an expectation, at least expect.decision\n"
                + "  cases[1].expect.decision: required field is missing; expected one of allowed, denied, rate_limited, invalid_arguments, approval_required\n"
                + "  cases[2].expect.grant: expected a value, got null; leave the field out to not check it\n"
                + "  cases[2].expect.decision: unknown decision \"allow\"; expected one of allowed, denied, rate_limited, invalid_arguments, approval_required\n");
    }

    @Test
    void malformedCasesAreEveryOneReported() throws IOException {
        String tests = testFile("t.yaml", """
                policy: policy.yaml
                cases:
                  - {tool: 7, arguments: [1], groups: [g], time: "+1d", repeat: 0, expect: {decision: allowed, retryAfterSeconds: -1}}
                  - {tool: t, time: "2026-01-01T00:00:10Z", expect: {decision: allowed}}
                  - {tool: t, time: "2026-01-01T00:00:05Z", expect: {decision: allowed}}
                  - just a string
                """);
        assertThat(run("test", tests)).isEqualTo(2);
        assertThat(errText()).isEqualTo("invalid test file " + tests + ": 8 problems\n"
                + "  cases[0].tool: expected a string, got a number\n"
                + "  cases[0].arguments: expected a mapping of argument names to values, got a list\n"
                + "  cases[0].groups: \"groups\" needs an \"identity\": an anonymous caller has no groups\n"
                + "  cases[0].time: expected an ISO-8601 instant such as \"2026-01-01T00:00:00Z\", whole epoch milliseconds or an offset from the"
                + " previous case such as \"+61s\" (ms, s, m, h), got \"+1d\"\n"
                + "  cases[0].repeat: expected a whole number from 1 to 100000, got 0\n"
                + "  cases[0].expect.retryAfterSeconds: expected a whole number of seconds, got -1\n"
                + "  cases[2].time: 2026-01-01T00:00:05Z is before the previous case's time 2026-01-01T00:00:10Z; cases run in order\n"
                + "  cases[3]: expected a mapping with tool and expect, got a string\n");
    }

    @Test
    void aTestFileNeedsAPolicyAndCases() throws IOException {
        String tests = testFile("t.yaml", "cases: []\n");
        String notAMapping = testFile("u.yaml", "- policy: policy.yaml\n");
        String twoDocuments = testFile("v.yaml", "policy: a\n---\npolicy: b\n");
        assertThat(run("test", tests, notAMapping, twoDocuments, dir.resolve("missing.yaml").toString())).isEqualTo(2);
        assertThat(errText()).isEqualTo("invalid test file " + tests + ": 2 problems\n"
                + "  policy: required field is missing; expected the policy file's path, relative to this file\n"
                + "  cases: expected at least one case\n"
                + "invalid test file " + notAMapping + ": 1 problem\n"
                + "  expected a mapping with policy and cases, got a list\n"
                + "invalid test file " + twoDocuments + ": 1 problem\n"
                + "  a test file is one YAML document; this one has 2\n"
                + "cannot read test file: no such file " + dir.resolve("missing.yaml") + "\n");
        assertThat(outLines()).containsExactly("0 cases in 4 files: 0 passed, 0 failed, 4 files invalid");
    }

    @Test
    void aPolicyThatCannotBeFoundIsNamedWithTheTestFile() throws IOException {
        String noFile = testFile("t.yaml", "policy: nope.yaml\ncases: [{tool: t, expect: {decision: allowed}}]\n");
        String noSuchPolicy = testFile("u.yaml", "policy: policy.yaml\npolicyName: shop/stripe\ncases: [{tool: t, expect: {decision: allowed}}]\n");
        assertThat(run("test", noFile, noSuchPolicy)).isEqualTo(2);
        assertThat(errText()).isEqualTo(noFile + ": policy: cannot read policy: no such file " + dir.resolve("nope.yaml") + "\n"
                + noSuchPolicy + ": policy: no McpPolicy shop/stripe in " + dir.resolve("policy.yaml") + "; it holds payments/stripe (document 1)\n");
    }

    @Test
    void anAmbiguousPolicyIsAnErrorThatListsTheCandidates() throws IOException {
        Files.writeString(dir.resolve("two.yaml"), DEMO_POLICY + "---\n" + DEMO_POLICY.replace("namespace: payments", "namespace: shop"));
        String unnamed = testFile("t.yaml", "policy: two.yaml\ncases: [{tool: t, expect: {decision: allowed}}]\n");
        String byName = testFile("u.yaml", "policy: two.yaml\npolicyName: stripe\ncases: [{tool: t, expect: {decision: allowed}}]\n");
        String byNamespace = testFile("v.yaml", "policy: two.yaml\npolicyName: shop/stripe\ncases: [{tool: t, expect: {decision: denied}}]\n");
        assertThat(run("test", unnamed, byName, byNamespace)).isEqualTo(2);
        Path two = dir.resolve("two.yaml");
        assertThat(errText()).isEqualTo(unnamed + ": policy: " + two + " holds 2 McpPolicies (payments/stripe (document 1), shop/stripe (document 2));"
                + " choose one with policyName: NAMESPACE/NAME or NAME\n"
                + byName + ": policy: policyName: stripe matches 2 McpPolicies in " + two + " (payments/stripe (document 1), shop/stripe (document 2));"
                + " name one as NAMESPACE/NAME\n");
        assertThat(outLines()).containsExactly(byNamespace + ": McpPolicy shop/stripe from " + two, "  PASS  #1: denied",
                "1 case in 3 files: 1 passed, 0 failed, 2 files invalid");
    }

    @Test
    void anInvalidPolicyIsReportedWithItsDocumentAndSpecPaths() throws IOException {
        Files.writeString(dir.resolve("bad.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: unrelated}
                ---
                apiVersion: toolgate.dev/v1alpha1
                kind: McpPolicy
                metadata: {name: stripe}
                spec:
                  default: deny
                  tools:
                    x: {action: block, rateLimit: {max: 0, window: minute}, deny_if: []}
                """);
        String tests = testFile("t.yaml", "policy: bad.yaml\ncases: [{tool: t, expect: {decision: allowed}}]\n");
        assertThat(run("test", tests)).isEqualTo(2);
        Path bad = dir.resolve("bad.yaml");
        assertThat(errText()).isEqualTo(bad + ": skipped document 1: ConfigMap v1 is not an McpPolicy\n"
                + tests + ": policy: invalid policy " + bad + ", document 2 (McpPolicy stripe): 3 errors\n"
                + "  spec.tools[\"x\"].deny_if: unknown field \"deny_if\"; expected one of action, reason, args, denyIf, limits, rateLimit, approval, enforcement, pin\n"
                + "  spec.tools[\"x\"].action: expected \"allow\", \"deny\" or \"require_approval\", got \"block\"\n"
                + "  spec.tools[\"x\"].rateLimit.max: expected a whole number from 1 to 1000000, got 0\n");
    }

    @Test
    void usage() {
        assertThat(run("test")).isEqualTo(2);
        assertThat(errText()).startsWith("usage: policy-check test <tests.yaml>...");
    }
}
