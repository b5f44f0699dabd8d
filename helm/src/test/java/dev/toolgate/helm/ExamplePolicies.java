package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads k8s-examples/ and turns an McpPolicy's spec into the policy document spelling (docs: POLICY.md, "Two
 * spellings of one policy"). The operator's renderer is the authority; this is the minimum the tests need to run
 * the examples through the policy engine.
 */
final class ExamplePolicies {

    private static final Map<String, String> DOCUMENT_NAMES = Map.of(
            "hideDeniedTools", "hide_denied_tools",
            "denyIf", "deny_if",
            "onDeny", "on_deny",
            "rateLimit", "rate_limit");
    /** Kubernetes-only parts of the spec: they say where the policy applies, not what it decides. */
    private static final List<String> KUBERNETES_ONLY = List.of("podSelector", "upstream", "identity", "sidecar", "restartUnprotected", "rateLimits");

    private ExamplePolicies() {
    }

    static Path examplesDir() {
        return Path.of(System.getProperty("toolgate.examples.dir", "../k8s-examples"));
    }

    /** Every YAML file under k8s-examples/, sorted. */
    static List<Path> files() {
        try (Stream<Path> walk = Files.walk(examplesDir())) {
            return walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The objects of one YAML file. */
    static List<JsonNode> objects(Path file) {
        List<JsonNode> objects = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(file.toFile())) {
            var docs = RenderedChart.YAML.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && doc.isObject() && doc.size() > 0) {
                    objects.add(doc);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("not valid YAML: " + file, e);
        }
        return objects;
    }

    static JsonNode mcpPolicy(String relativePath) {
        return objects(examplesDir().resolve(relativePath)).stream()
                .filter(o -> "McpPolicy".equals(o.path("kind").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no McpPolicy in " + relativePath));
    }

    /** The policy document an McpPolicy stands for. */
    static ObjectNode toDocument(JsonNode mcpPolicy) {
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        document.put("version", "1");
        JsonNode spec = mcpPolicy.path("spec");
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (!KUBERNETES_ONLY.contains(field.getKey())) {
                document.set(documentName(field.getKey()), switch (field.getKey()) {
                    case "tools" -> tools(field.getValue());
                    case "grants" -> grants(field.getValue());
                    default -> field.getValue();
                });
            }
        }
        return document;
    }

    private static JsonNode tools(JsonNode tools) {
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        tools.fields().forEachRemaining(tool -> {
            ObjectNode entry = JsonNodeFactory.instance.objectNode();
            tool.getValue().fields().forEachRemaining(f -> entry.set(documentName(f.getKey()),
                    f.getKey().equals("denyIf") ? denyIf(f.getValue()) : f.getValue()));
            result.set(tool.getKey(), entry);
        });
        return result;
    }

    /** Grants keep their field names; only their tools entries are spelt differently. */
    private static JsonNode grants(JsonNode grants) {
        var result = JsonNodeFactory.instance.arrayNode();
        for (JsonNode grant : grants) {
            ObjectNode copy = grant.deepCopy();
            if (grant.has("tools")) {
                copy.set("tools", tools(grant.get("tools")));
            }
            result.add(copy);
        }
        return result;
    }

    private static JsonNode denyIf(JsonNode items) {
        var result = JsonNodeFactory.instance.arrayNode();
        for (JsonNode item : items) {
            ObjectNode renamed = JsonNodeFactory.instance.objectNode();
            item.fields().forEachRemaining(f -> renamed.set(documentName(f.getKey()), f.getValue()));
            result.add(renamed);
        }
        return result;
    }

    private static String documentName(String specName) {
        return DOCUMENT_NAMES.getOrDefault(specName, specName);
    }
}
