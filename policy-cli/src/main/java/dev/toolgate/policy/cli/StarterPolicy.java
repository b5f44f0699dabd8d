package dev.toolgate.policy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.ToolDefinitionDigest;
import dev.toolgate.policy.cli.ToolClassifier.Classification;
import dev.toolgate.policy.cli.ToolClassifier.ToolClass;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The McpPolicy a live server's tools suggest, as YAML with a comment on every entry saying why: read tools allowed,
 * write tools 30 calls a minute per agent ({@code scope: grant}, the seed policies' budget), destructive and financial
 * tools each call approved by a human ({@code approval: {mode: retry}}), everything else denied by default. Every entry
 * pins the definition the server announced ({@link ToolDefinitionDigest}), so the sidecar hides and denies a tool
 * whose definition changes after the policy was written. Tools without a usable name are left out (and so denied).
 */
final class StarterPolicy {

    static final int WRITES_PER_MINUTE = 30;
    private static final com.fasterxml.jackson.databind.ObjectMapper QUOTED = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII).build();

    /** Where the policy is applied and what it selects; each has a default the comments tell the user to check. */
    record Target(String name, String namespace, String appLabel, int port, String source) {
    }

    private StarterPolicy() {
    }

    static String render(Target target, McpToolsClient.Listing listing) {
        Map<String, JsonNode> tools = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        for (JsonNode tool : listing.tools()) {
            JsonNode name = tool.get("name");
            if (!tool.isObject() || name == null || !name.isTextual() || name.textValue().isEmpty() || name.textValue().contains("*")) {
                skipped.add(String.valueOf(name));
            } else if (tools.putIfAbsent(name.textValue(), tool) != null) {
                skipped.add(quote(name.textValue()) + " (listed twice)");
                tools.remove(name.textValue());
            }
        }
        Map<ToolClass, Integer> counts = new LinkedHashMap<>();
        StringBuilder entries = new StringBuilder();
        for (Map.Entry<String, JsonNode> entry : tools.entrySet()) {
            Classification c = ToolClassifier.classify(entry.getValue());
            counts.merge(c.toolClass(), 1, Integer::sum);
            entry(entries, entry.getKey(), entry.getValue(), c);
        }

        StringBuilder out = new StringBuilder();
        out.append("# Starter McpPolicy written by policy-check starter from the tools/list of ").append(oneLine(target.source()));
        String server = (listing.serverName() + " " + listing.serverVersion()).trim();
        out.append(server.isEmpty() ? "" : " (" + oneLine(server) + ")").append(".\n");
        out.append("# ").append(listing.tools().size()).append(" tools announced: ");
        List<String> summary = new ArrayList<>();
        for (ToolClass c : ToolClass.values()) {
            summary.add(counts.getOrDefault(c, 0) + " " + c.label);
        }
        out.append(String.join(", ", summary)).append(skipped.isEmpty() ? "" : ", " + skipped.size() + " left out (denied): "
                + oneLine(String.join(", ", skipped))).append(".\n");
        out.append("# Classes come from names, descriptions and the server's own annotations, which are only trusted to make an entry\n");
        out.append("# stricter. Review every entry before applying. Each pin is the digest of the definition the server announced:\n");
        out.append("# while the server announces another, the sidecar hides the tool and denies its calls.\n");
        out.append("apiVersion: toolgate.dev/v1alpha1\n");
        out.append("kind: McpPolicy\n");
        out.append("metadata:\n");
        out.append("  name: ").append(target.name()).append('\n');
        if (target.namespace() != null) {
            out.append("  namespace: ").append(target.namespace()).append('\n');
        }
        out.append("spec:\n");
        out.append(String.format("  %-34s # check: the labels of the MCP server's pods\n", "podSelector:"));
        out.append("    matchLabels: {app: ").append(quote(target.appLabel())).append("}\n");
        out.append(String.format("  %-34s # check: where the server listens inside the pod\n", "upstream: {port: " + target.port() + "}"));
        out.append("  identity: {header: X-Agent-Id}     # who calls, for the per-agent limits; prefer serviceAccount or jwt (verified)\n");
        out.append("  default: deny                      # a tool not listed here, or added to the server later, is refused\n");
        out.append("  tools:").append(tools.isEmpty() ? " {}\n" : "\n").append(entries);
        return out.toString();
    }

    private static void entry(StringBuilder out, String name, JsonNode tool, Classification c) {
        String why = String.join("; ", c.reasons());
        String pin = ToolDefinitionDigest.of(tool);
        out.append("    # ").append(c.toolClass().label).append(": ").append(oneLine(why)).append(switch (c.toolClass()) {
            case READ -> "; allowed";
            case WRITE -> "; " + WRITES_PER_MINUTE + " calls a minute per agent";
            case DESTRUCTIVE, FINANCIAL -> "; a human approves each call";
        }).append('\n');
        out.append("    ").append(quote(name)).append(":\n");
        switch (c.toolClass()) {
            case READ -> {
            }
            case WRITE -> out.append("      limits: [{counter: ").append(quote(counter(name))).append(", window: minute, max: ")
                    .append(WRITES_PER_MINUTE).append(", scope: grant}]\n");
            case DESTRUCTIVE, FINANCIAL -> {
                out.append("      action: require_approval\n");
                out.append("      approval: {mode: retry}\n");
                out.append("      reason: ").append(quote(capitalized(c.toolClass().label) + " tool: a human approves each call ("
                        + why + ").")).append('\n');
            }
        }
        out.append("      pin: ").append(pin).append('\n');
    }

    /** One counter per write tool, named after it as the seed policies name theirs ({@code update_customer_rate}). */
    static String counter(String tool) {
        return tool + "_rate";
    }

    /** A name fit for {@code metadata.name} (RFC 1123 label) from the server's own name; {@code mcp-server} without one. */
    static String resourceName(String serverName) {
        String name = serverName == null ? "" : serverName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-")
                .replaceAll("-+", "-").replaceAll("^-|-$", "");
        if (name.length() > 63) {
            name = name.substring(0, 63).replaceAll("-$", "");
        }
        return name.isEmpty() ? "mcp-server" : name;
    }

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    /**
     * A YAML double-quoted scalar (JSON's string syntax is one), every non-ASCII character escaped: YAML 1.1 reads
     * U+0085, U+2028 and U+2029 as line breaks, which would fold a raw one inside the quotes into a space.
     */
    static String quote(String text) {
        try {
            return QUOTED.writeValueAsString(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Text for a comment line: control characters and every character YAML takes for a line break (U+0085, U+2028,
     * U+2029) as spaces, since a break would end the comment and the rest would be read as YAML. The server's name
     * and version, which the header shows, are the server's to choose.
     */
    static String oneLine(String text) {
        return text.replaceAll("[\\p{Cntrl}\\u0085\\u2028\\u2029]", " ");
    }
}
