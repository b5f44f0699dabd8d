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
                + "  tools[\"t\"][\"deny-if\"]: unknown field \"deny-if\"; expected one of action, reason, args, deny_if, limits, rate_limit, approval, enforcement, pin\n");
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

    @Test
    void anMcpPolicyManifestDecidesAsItsDocumentWithRulesInTheResourcesSpelling() {
        int status = run("", "../k8s-examples/seed-policies/stripe-update-customer.yaml", "examples/calls-stripe.jsonl");
        assertThat(status).isZero();
        List<String> lines = outLines();
        assertThat(lines).hasSize(35);
        assertThat(lines.subList(0, 30)).allMatch(l -> l.contains("\"verdict\":\"allowed\""));
        assertThat(lines.get(30)).isEqualTo("{\"line\":31,\"verdict\":\"rate_limited\",\"tool\":\"update_customer\","
                + "\"rule\":\"spec.tools[\\\"update_customer\\\"].limits[0]\",\"reason\":\"rate limit exceeded: counter \\\"update_customer_rate\\\" "
                + "admits 30 calls per minute per grant\",\"counter\":\"update_customer_rate\",\"retryAfterSeconds\":30}");
        assertThat(lines.get(33)).contains("\"verdict\":\"denied\"", "\"rule\":\"spec.default\"");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    private static final String MANIFESTS = """
            # a namespace, two policies of one name, and an empty document
            apiVersion: v1
            kind: Namespace
            metadata: {name: payments}
            ---
            apiVersion: toolgate.dev/v1alpha1
            kind: McpPolicy
            metadata: {name: stripe, namespace: payments}
            spec: {default: deny, tools: {update_customer: {}}}
            ---
            ---
            apiVersion: toolgate.dev/v1alpha1
            kind: McpPolicy
            metadata: {name: stripe, namespace: shop}
            spec: {default: allow}
            """;

    @Test
    void severalPoliciesInOneFileAreChosenByNamespaceAndName(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policies.yaml");
        Files.writeString(file, MANIFESTS);
        assertThat(run("{\"tool\":\"get_customer\"}\n", "--policy", "payments/stripe", file.toString(), "-")).isZero();
        assertThat(outLines()).singleElement().asString().contains("\"verdict\":\"denied\"");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(file + ": skipped document 1: Namespace v1 is not an McpPolicy\n");
        out.reset();
        assertThat(run("{\"tool\":\"get_customer\"}\n", "--policy=shop/stripe", file.toString(), "-")).isZero();
        assertThat(outLines()).singleElement().asString().contains("\"verdict\":\"allowed\"", "\"rule\":\"spec.default\"");
    }

    @Test
    void anAmbiguousOrMissingChoiceIsAClearError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policies.yaml");
        Files.writeString(file, MANIFESTS);
        String skipped = file + ": skipped document 1: Namespace v1 is not an McpPolicy\n";
        assertThat(run("", file.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(skipped + file + " holds 2 McpPolicies (payments/stripe (document 2),"
                + " shop/stripe (document 4)); choose one with --policy NAMESPACE/NAME or NAME\n");
        err.reset();
        assertThat(run("", "--policy", "stripe", file.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(skipped + "--policy stripe matches 2 McpPolicies in " + file
                + " (payments/stripe (document 2), shop/stripe (document 4)); name one as NAMESPACE/NAME\n");
        err.reset();
        assertThat(run("", "--policy", "billing/stripe", file.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(skipped + "no McpPolicy billing/stripe in " + file
                + "; it holds payments/stripe (document 2), shop/stripe (document 4)\n");
        err.reset();
        assertThat(run("", "--policy", "stripe", "examples/grants-shop.json", "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("--policy stripe: examples/grants-shop.json is a policy document, not McpPolicy manifests\n");
        err.reset();
        assertThat(run("", "--policy")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("--policy needs NAMESPACE/NAME or NAME\nusage: policy-check");
    }

    @Test
    void aListAJsonManifestAndAYamlPolicyDocumentAreReadToo(@TempDir Path dir) throws Exception {
        Path list = dir.resolve("list.yaml");
        Files.writeString(list, "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Service, metadata: {name: s}}\n"
                + "  - {apiVersion: toolgate.dev/v1alpha1, kind: McpPolicy, metadata: {name: p}, spec: {default: allow}}\n");
        assertThat(run("{\"tool\":\"t\"}\n", list.toString(), "-")).isZero();
        assertThat(outLines()).singleElement().asString().contains("\"verdict\":\"allowed\"");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(list + ": skipped document 1, items[0]: Service v1 is not an McpPolicy\n");
        out.reset();
        Path json = dir.resolve("policy.json");
        Files.writeString(json, "{\"apiVersion\": \"toolgate.dev/v1alpha1\", \"kind\": \"McpPolicy\", \"metadata\": {\"name\": \"p\"},"
                + " \"spec\": {\"default\": \"deny\", \"tools\": {\"t\": {\"denyIf\": [{\"conditions\": [], \"onDeny\": \"never\"}]}}}}");
        assertThat(run("{\"tool\":\"t\"}\n", "--text", json.toString(), "-")).isZero();
        assertThat(outLines()).singleElement().asString().contains("denied", "never");
        out.reset();
        err.reset();
        Files.writeString(json, "{\"apiVersion\": \"toolgate.dev/v1alpha1\", \"kind\": \"McpPolicy\", \"metadata\": {\"name\": \"p\"},"
                + " \"spec\": {\"default\": \"deny\", \"default\": \"allow\"}}");
        assertThat(run("", json.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("cannot read policy " + json + ": invalid YAML at line 1, column 126: Duplicate field 'default'\n");
        err.reset();
        Path yamlDocument = dir.resolve("policy.yaml");
        Files.writeString(yamlDocument, "version: \"1\"\ndefault: deny\ntools:\n  t: {deny_if: [{conditions: [], on_deny: never}]}\n");
        assertThat(run("{\"tool\":\"t\"}\n", yamlDocument.toString(), "-")).isZero();
        assertThat(outLines()).singleElement().asString().contains("\"rule\":\"tools[\\\"t\\\"].deny_if[0]\"");
    }

    @Test
    void anInvalidManifestNamesTheFileTheDocumentAndTheSpecPaths(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.yaml");
        Files.writeString(file, MANIFESTS.replace("spec: {default: allow}",
                "spec: {default: maybe, tools: {x: {denyIf: [{conditions: [{arg: a, op: gtt}], on_deny: no}]}}}"));
        assertThat(run("", "--policy", "shop/stripe", file.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(file + ": skipped document 1: Namespace v1 is not an McpPolicy\n"
                + "invalid policy " + file + ", document 4 (McpPolicy shop/stripe): 3 errors\n"
                + "  spec.tools[\"x\"].denyIf[0].on_deny: unknown field \"on_deny\"; expected one of conditions, onDeny\n"
                + "  spec.default: expected \"allow\" or \"deny\", got \"maybe\"\n"
                + "  spec.tools[\"x\"].denyIf[0].conditions[0].op: unknown operator \"gtt\"; expected one of eq, ne, gt, gte, lt, lte, in, not_in,"
                + " contains, starts_with, ends_with, matches, exists, not_exists\n");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void manifestsThatCannotBeAppliedAreEveryOneReported(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("p.yaml");
        Files.writeString(file, "apiVersion: toolgate.dev/v1\nkind: McpPolicy\nmetadata: {name: a}\nspec: {}\n---\n"
                + "apiVersion: toolgate.dev/v1alpha1\nkind: McpPolicy\nmetadata: {namespace: x}\n---\n- a list\n---\nname: no kind\n");
        assertThat(run("", file.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("invalid policy file " + file + ": 4 problems\n"
                + "  document 1: apiVersion toolgate.dev/v1 is not served; expected toolgate.dev/v1alpha1\n"
                + "  document 2: metadata.name: required field is missing; expected the McpPolicy's name\n"
                + "  document 3: expected a manifest with apiVersion and kind, got a list\n"
                + "  document 4: expected a manifest with apiVersion and kind (strings), or a policy document alone in its file\n");
        err.reset();
        Files.writeString(file, "apiVersion: v1\nkind: ConfigMap\n---\nkey: [unclosed\n");
        assertThat(run("", file.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("cannot read policy " + file
                + ": invalid YAML at line 5, column 1: expected ',' or ']', but got <stream end> (while parsing a flow sequence)\n");
        err.reset();
        Files.writeString(file, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
        assertThat(run("", file.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(file + ": skipped document 1: ConfigMap v1 is not an McpPolicy\n"
                + file + " holds no McpPolicy (skipped 1 document of other kinds)\n");
    }
}
