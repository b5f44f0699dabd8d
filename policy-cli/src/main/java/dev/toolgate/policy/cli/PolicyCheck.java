package dev.toolgate.policy.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.InMemoryCounterStore;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.Verdict;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Decides a file of tool calls against a policy, offline:
 * {@code policy-check [--text] [--policy NAMESPACE/NAME] <policy file> <calls.jsonl|->}, the policy file being McpPolicy
 * manifests or a policy document ({@link PolicyFile}); {@code policy-check test <tests.yaml>...} runs policy tests
 * ({@link PolicyTests}); {@code policy-check starter <server URL>} writes a starter McpPolicy from a live server's tools
 * ({@link StarterCommand}). Exit status: 0 every line decided; 1 some input lines were invalid (reported on stderr, the rest
 * decided); 2 invalid policy (every error printed with its path), unreadable file or bad usage.
 */
public final class PolicyCheck {

    static final int OK = 0;
    static final int BAD_INPUT_LINES = 1;
    static final int INVALID_POLICY = 2;

    private static final String USAGE = "usage: policy-check [--text] [--policy NAMESPACE/NAME | NAME] <policy file> <calls.jsonl | ->\n"
            + "       policy-check test <tests.yaml>...\n"
            + "       policy-check starter [options] <MCP server URL>   (policy-check starter --help)\n"
            + "  the policy file: McpPolicy manifests (YAML or JSON, documents separated by ---) or a policy document (policy.json)\n"
            + "  each input line: {\"tool\": \"name\", \"arguments\": {...}, \"identity\": \"agent\", \"groups\": [\"g\"], \"session\": \"s\", "
            + "\"timestamp\": \"2026-01-01T00:00:00Z\" | <epoch millis>}\n"
            + "  only \"tool\" is required; without a timestamp the call is decided at the current time";
    private static final Set<String> CALL_FIELDS = Set.of("tool", "arguments", "identity", "groups", "session", "timestamp");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private final PrintStream out;
    private final PrintStream err;
    private final LongSupplier clock;

    PolicyCheck(PrintStream out, PrintStream err, LongSupplier clock) {
        this.out = out;
        this.err = err;
        this.clock = clock;
    }

    public static void main(String[] args) {
        // the schema library logs through SLF4J; the CLI has no logging backend and should not warn about it on stderr
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        int status = new PolicyCheck(System.out, System.err, System::currentTimeMillis).run(args, System.in);
        System.out.flush();
        System.exit(status);
    }

    int run(String[] args, java.io.InputStream stdin) {
        if (args.length > 0 && "test".equals(args[0])) {
            return new PolicyTests(out, err).run(List.of(args).subList(1, args.length));
        }
        if (args.length > 0 && "starter".equals(args[0])) {
            return new StarterCommand(out, err).run(List.of(args).subList(1, args.length));
        }
        boolean text = false;
        String selector = null;
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if ("--text".equals(arg)) {
                text = true;
            } else if ("--policy".equals(arg) || arg.startsWith("--policy=")) {
                if (arg.startsWith("--policy=")) {
                    selector = arg.substring("--policy=".length());
                } else if (i + 1 < args.length) {
                    selector = args[++i];
                } else {
                    err.println("--policy needs NAMESPACE/NAME or NAME");
                    err.println(USAGE);
                    return INVALID_POLICY;
                }
            } else if ("-h".equals(arg) || "--help".equals(arg)) {
                out.println(USAGE);
                return OK;
            } else if (arg.startsWith("--")) {
                err.println("unknown option " + arg);
                err.println(USAGE);
                return INVALID_POLICY;
            } else {
                files.add(arg);
            }
        }
        if (files.size() != 2) {
            err.println(USAGE);
            return INVALID_POLICY;
        }
        PolicyFile.Loaded loaded;
        try {
            loaded = PolicyFile.load(Path.of(files.get(0)), selector, "--policy", err);
        } catch (PolicyFile.Unusable e) {
            err.println(e.getMessage());
            e.details().forEach(detail -> err.println("  " + detail));
            return INVALID_POLICY;
        }
        Policy policy = Policy.compile(loaded.document(), new InMemoryCounterStore());
        try (Reader reader = "-".equals(files.get(1)) ? new InputStreamReader(stdin, StandardCharsets.UTF_8)
                : Files.newBufferedReader(Path.of(files.get(1)), StandardCharsets.UTF_8)) {
            return decideAll(policy, loaded, new BufferedReader(reader), text);
        } catch (NoSuchFileException e) {
            err.println("cannot read calls: no such file " + files.get(1));
            return INVALID_POLICY;
        } catch (IOException e) {
            err.println("cannot read calls " + files.get(1) + ": " + e.getMessage());
            return INVALID_POLICY;
        }
    }

    private int decideAll(Policy policy, PolicyFile.Loaded loaded, BufferedReader calls, boolean text) throws IOException {
        int status = OK;
        int lineNumber = 0;
        for (String line = calls.readLine(); line != null; line = calls.readLine()) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            ParsedCall parsed;
            try {
                parsed = parseCall(line);
            } catch (IllegalArgumentException e) {
                err.println("line " + lineNumber + ": " + e.getMessage());
                status = BAD_INPUT_LINES;
                continue;
            }
            Decision decision = policy.decide(parsed.call(), parsed.timestamp());
            out.println(text ? textLine(lineNumber, parsed.call(), decision, loaded.rule(decision))
                    : jsonLine(lineNumber, decision, loaded.rule(decision)));
        }
        return status;
    }

    record ParsedCall(ToolCall call, long timestamp) {
    }

    ParsedCall parseCall(String line) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object with at least \"tool\"");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!CALL_FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown field \"" + name + "\"; expected tool, arguments, identity, groups, session, timestamp");
            }
        }
        JsonNode tool = node.get("tool");
        if (tool == null || !tool.isTextual()) {
            throw new IllegalArgumentException("\"tool\" must be a string");
        }
        JsonNode arguments = node.get("arguments");
        if (arguments != null && !arguments.isObject() && !arguments.isNull()) {
            throw new IllegalArgumentException("\"arguments\" must be an object");
        }
        String identity = optionalString(node, "identity");
        String session = optionalString(node, "session");
        Caller caller = caller(identity, node.get("groups"));
        return new ParsedCall(new ToolCall(tool.textValue(), arguments, caller, session), timestamp(node.get("timestamp")));
    }

    /** A header caller, as the sidecar makes one from a trusted identity header, with the groups it was given. */
    static Caller caller(String identity, JsonNode groups) {
        if (groups == null || groups.isNull()) {
            return Caller.fromHeader(identity);
        }
        if (identity == null) {
            throw new IllegalArgumentException("\"groups\" needs an \"identity\": an anonymous caller has no groups");
        }
        if (!groups.isArray()) {
            throw new IllegalArgumentException("\"groups\" must be an array of strings");
        }
        Set<String> names = new java.util.LinkedHashSet<>();
        for (JsonNode group : groups) {
            if (!group.isTextual()) {
                throw new IllegalArgumentException("\"groups\" must be an array of strings, got " + group);
            }
            names.add(group.textValue());
        }
        return new Caller(identity, names, Caller.Source.HEADER);
    }

    private static String optionalString(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("\"" + field + "\" must be a string or null");
        }
        return value.textValue();
    }

    private long timestamp(JsonNode node) {
        if (node == null || node.isNull()) {
            return clock.getAsLong();
        }
        return instant(node, "timestamp");
    }

    /** An ISO-8601 instant string or whole epoch milliseconds, as epoch milliseconds. */
    static long instant(JsonNode node, String field) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        if (node.isTextual()) {
            try {
                return Instant.parse(node.textValue()).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("\"" + field + "\" " + node + " is not an ISO-8601 instant such as \"2026-01-01T00:00:00Z\"");
            }
        }
        throw new IllegalArgumentException("\"" + field + "\" must be an ISO-8601 instant string or whole epoch milliseconds");
    }

    private static String jsonLine(int lineNumber, Decision d, String rule) {
        ObjectNode o = JSON.createObjectNode();
        o.put("line", lineNumber);
        o.put("verdict", d.verdict().label());
        o.put("tool", d.tool());
        o.put("rule", rule);
        o.put("reason", d.reason());
        o.put("counter", d.counter());
        o.put("retryAfterSeconds", d.retryAfterSeconds());
        if (!d.grant().isEmpty()) {
            o.put("grant", d.grant());
        }
        if (!d.enforced()) {
            o.put("enforcement", "audit");
        }
        return o.toString();
    }

    private static String textLine(int lineNumber, ToolCall call, Decision d, String rule) {
        StringBuilder sb = new StringBuilder(String.format("%4d  %-17s  %-28s %-12s", lineNumber, d.verdict().label(), d.tool(),
                call.identity()));
        if (!d.grant().isEmpty()) {
            sb.append("  [grant ").append(d.grant()).append(']');
        }
        if (!d.enforced()) {
            sb.append("  [audit: forwarded]");
        }
        if (d.verdict() == Verdict.ALLOWED) {
            sb.append("  by ").append(rule);
        } else {
            sb.append("  ").append(d.reason());
            if (d.verdict() == Verdict.RATE_LIMITED) {
                sb.append(" (retry in ").append(d.retryAfterSeconds()).append(" s)");
            }
        }
        return sb.toString();
    }
}
