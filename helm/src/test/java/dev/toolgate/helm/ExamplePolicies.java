package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.toolgate.policy.PolicySpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads k8s-examples/ and turns an McpPolicy's spec into the policy document with the engine's {@link PolicySpec}, the
 * mapping the operator renders ConfigMaps with.
 */
public final class ExamplePolicies {

    private ExamplePolicies() {
    }

    public static Path examplesDir() {
        return Path.of(System.getProperty("toolgate.examples.dir", "../k8s-examples"));
    }

    /** Every YAML file under k8s-examples/, sorted. */
    public static List<Path> files() {
        try (Stream<Path> walk = Files.walk(examplesDir())) {
            return walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The objects of one YAML file. */
    public static List<JsonNode> objects(Path file) {
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

    public static JsonNode mcpPolicy(String relativePath) {
        return objects(examplesDir().resolve(relativePath)).stream()
                .filter(o -> "McpPolicy".equals(o.path("kind").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no McpPolicy in " + relativePath));
    }

    /** The policy document an McpPolicy stands for, rendered as the operator renders it; a field the resource lacks fails. */
    public static ObjectNode toDocument(JsonNode mcpPolicy) {
        PolicySpec.Rendering rendering = PolicySpec.render(mcpPolicy.path("spec"));
        if (!rendering.errors().isEmpty()) {
            throw new AssertionError("McpPolicy " + mcpPolicy.path("metadata").path("name").asText() + ": " + rendering.errors());
        }
        return rendering.document();
    }
}
