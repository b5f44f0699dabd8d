package dev.toolgate.policy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.Verdict;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A policy test file, parsed strictly: which policy it tests and its cases, each a call with the decision it must get.
 * Every problem is collected with its path ({@code cases[2].expect.decision}); an unknown key or a case without an
 * expectation is a problem, so a typo can never make a test pass vacuously.
 *
 * <pre>
 * policy: ../policies/stripe.yaml        # relative to this file: McpPolicy manifests or a policy document
 * policyName: payments/stripe            # NAMESPACE/NAME or NAME, when the file holds several McpPolicies
 * cases:
 *   - name: thirty calls a minute
 *     tool: update_customer
 *     arguments: {customer: cus_1}
 *     identity: agent-a                  # a header caller; groups: [finance]; session: s-1
 *     time: 2026-01-01T00:00:00Z         # or epoch millis, or +61s after the previous case
 *     repeat: 30
 *     expect: {decision: allowed, grant: ""}
 * </pre>
 */
final class TestSuite {

    /** Cases without a time start here: the tests decide the same way whenever they run. */
    static final long DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    static final int MAX_REPEAT = 100_000;

    private static final List<String> TOP_FIELDS = List.of("policy", "policyName", "cases");
    private static final List<String> CASE_FIELDS = List.of("name", "tool", "arguments", "identity", "groups", "session", "time", "repeat", "expect");
    private static final List<String> EXPECT_FIELDS = List.of("decision", "rule", "reason", "grant", "counter", "retryAfterSeconds",
            "enforcement");
    private static final String DECISIONS = Arrays.stream(Verdict.values()).map(Verdict::label).collect(Collectors.joining(", "));
    private static final Pattern OFFSET = Pattern.compile("\\+([0-9]{1,9})(ms|s|m|h)");

    /** What a case must get; {@code null} fields are not checked. */
    record Expectation(Verdict decision, String rule, String reason, String grant, String counter, Long retryAfterSeconds,
                       String enforcement) {
    }

    record Case(int number, String name, ToolCall call, long time, int repeat, Expectation expect) {
        String title() {
            return "#" + number + (name == null ? "" : " " + name);
        }
    }

    final String policy;
    final String policyName;
    final List<Case> cases;
    final List<String> problems;

    private TestSuite(String policy, String policyName, List<Case> cases, List<String> problems) {
        this.policy = policy;
        this.policyName = policyName;
        this.cases = cases;
        this.problems = problems;
    }

    /** The suite in {@code text}; {@link #problems} lists everything wrong with it (then nothing else is to be used). */
    static TestSuite parse(String text) {
        List<JsonNode> documents;
        try {
            documents = YamlDocuments.read(text);
        } catch (YamlDocuments.InvalidYaml e) {
            return invalid(e.getMessage());
        }
        List<JsonNode> present = documents.stream().filter(d -> d != null).toList();
        if (present.isEmpty()) {
            return invalid("empty file; expected a mapping with policy and cases");
        }
        if (present.size() > 1) {
            return invalid("a test file is one YAML document; this one has " + present.size());
        }
        return new Parser().suite(present.get(0));
    }

    private static TestSuite invalid(String problem) {
        return new TestSuite(null, null, List.of(), List.of(problem));
    }

    private static final class Parser {
        private final List<String> problems = new ArrayList<>();
        private long time = DEFAULT_START;

        TestSuite suite(JsonNode root) {
            if (!root.isObject()) {
                problems.add("expected a mapping with policy and cases, got " + PolicyFile.typeName(root));
                return new TestSuite(null, null, List.of(), problems);
            }
            unknownFields(root, "", TOP_FIELDS);
            String policy = string(root, "", "policy", true, "the policy file's path, relative to this file");
            String policyName = string(root, "", "policyName", false, null);
            List<Case> cases = new ArrayList<>();
            JsonNode list = root.get("cases");
            if (absent(list)) {
                problems.add("cases: required field is missing; expected a list of cases");
            } else if (!list.isArray()) {
                problems.add("cases: expected a list of cases, got " + PolicyFile.typeName(list));
            } else if (list.isEmpty()) {
                problems.add("cases: expected at least one case");
            } else {
                for (int i = 0; i < list.size(); i++) {
                    Case parsed = testCase(list.get(i), "cases[" + i + "]", i + 1);
                    if (parsed != null) {
                        cases.add(parsed);
                    }
                }
            }
            return new TestSuite(policy, policyName, List.copyOf(cases), List.copyOf(problems));
        }

        private Case testCase(JsonNode node, String path, int number) {
            if (!node.isObject()) {
                problems.add(path + ": expected a mapping with tool and expect, got " + PolicyFile.typeName(node));
                return null;
            }
            int before = problems.size();
            unknownFields(node, path, CASE_FIELDS);
            String name = string(node, path, "name", false, null);
            String tool = string(node, path, "tool", true, "the name of the tool called");
            JsonNode arguments = node.get("arguments");
            if (arguments != null && !arguments.isObject() && !arguments.isNull()) {
                problems.add(path + ".arguments: expected a mapping of argument names to values, got " + PolicyFile.typeName(arguments));
            }
            String identity = string(node, path, "identity", false, null);
            String session = string(node, path, "session", false, null);
            Caller caller = null;
            try {
                caller = PolicyCheck.caller(identity, node.get("groups"));
            } catch (IllegalArgumentException e) {
                problems.add(path + ".groups: " + e.getMessage());
            }
            long at = time(node.get("time"), path + ".time");
            int repeat = repeat(node.get("repeat"), path + ".repeat");
            Expectation expect = expectation(node.get("expect"), path + ".expect");
            if (problems.size() > before) {
                return null;
            }
            return new Case(number, name, new ToolCall(tool, arguments, caller, session), at, repeat, expect);
        }

        private Expectation expectation(JsonNode node, String path) {
            if (absent(node)) {
                problems.add(path + ": required field is missing; every case needs an expectation, at least expect.decision");
                return null;
            }
            if (!node.isObject()) {
                problems.add(path + ": expected a mapping with decision (and rule, reason, grant, counter, retryAfterSeconds, enforcement), got "
                        + PolicyFile.typeName(node));
                return null;
            }
            unknownFields(node, path, EXPECT_FIELDS);
            for (String field : EXPECT_FIELDS) {
                if (!field.equals("decision") && node.has(field) && node.get(field).isNull()) {
                    // a null that read as "not checked" would pass vacuously; grant "" is the policy's own entries
                    problems.add(path + "." + field + ": expected a value, got null; leave the field out to not check it");
                }
            }
            String decision = string(node, path, "decision", true, "one of " + DECISIONS);
            Verdict verdict = null;
            if (decision != null) {
                verdict = Arrays.stream(Verdict.values()).filter(v -> v.label().equals(decision)).findFirst().orElse(null);
                if (verdict == null) {
                    problems.add(path + ".decision: unknown decision " + quote(decision) + "; expected one of " + DECISIONS);
                }
            }
            Long retryAfter = null;
            JsonNode retry = node.get("retryAfterSeconds");
            if (retry != null && !retry.isNull()) {
                if (retry.isIntegralNumber() && retry.canConvertToLong() && retry.longValue() >= 0) {
                    retryAfter = retry.longValue();
                } else {
                    problems.add(path + ".retryAfterSeconds: expected a whole number of seconds, got " + retry);
                }
            }
            String enforcement = string(node, path, "enforcement", false, null);
            if (enforcement != null && !enforcement.equals("audit") && !enforcement.equals("enforce")) {
                problems.add(path + ".enforcement: expected \"enforce\" or \"audit\", got " + quote(enforcement));
            }
            return new Expectation(verdict, string(node, path, "rule", false, null), string(node, path, "reason", false, null),
                    string(node, path, "grant", false, null), string(node, path, "counter", false, null), retryAfter, enforcement);
        }

        private long time(JsonNode node, String path) {
            if (absent(node)) {
                return time;
            }
            long at;
            Matcher offset = node.isTextual() ? OFFSET.matcher(node.textValue()) : null;
            if (offset != null && offset.matches()) {
                long n = Long.parseLong(offset.group(1));
                at = time + n * switch (offset.group(2)) {
                    case "ms" -> 1L;
                    case "s" -> 1_000L;
                    case "m" -> 60_000L;
                    default -> 3_600_000L;
                };
            } else {
                try {
                    at = PolicyCheck.instant(node, "time");
                } catch (IllegalArgumentException e) {
                    problems.add(path + ": expected an ISO-8601 instant such as \"2026-01-01T00:00:00Z\", whole epoch milliseconds or an offset"
                            + " from the previous case such as \"+61s\" (ms, s, m, h), got " + node);
                    return time;
                }
                if (at < time) {
                    problems.add(path + ": " + Instant.ofEpochMilli(at) + " is before the previous case's time " + Instant.ofEpochMilli(time)
                            + "; cases run in order");
                    return time;
                }
            }
            time = at;
            return at;
        }

        private int repeat(JsonNode node, String path) {
            if (absent(node)) {
                return 1;
            }
            if (node.isIntegralNumber() && node.canConvertToInt() && node.intValue() >= 1 && node.intValue() <= MAX_REPEAT) {
                return node.intValue();
            }
            problems.add(path + ": expected a whole number from 1 to " + MAX_REPEAT + ", got " + node);
            return 1;
        }

        private String string(JsonNode node, String parent, String field, boolean required, String expected) {
            JsonNode value = node.get(field);
            String path = parent.isEmpty() ? field : parent + "." + field;
            if (absent(value)) {
                if (required) {
                    problems.add(path + ": required field is missing; expected " + expected);
                }
                return null;
            }
            if (!value.isTextual()) {
                problems.add(path + ": expected a string, got " + PolicyFile.typeName(value));
                return null;
            }
            return value.textValue();
        }

        private void unknownFields(JsonNode node, String parent, List<String> allowed) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!allowed.contains(name)) {
                    problems.add((parent.isEmpty() ? name : parent + "." + name) + ": unknown field " + quote(name) + "; expected one of "
                            + String.join(", ", allowed));
                }
            }
        }
    }

    private static boolean absent(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }

    static String quote(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
