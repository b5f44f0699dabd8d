package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The chart rendered by the real Helm engine ({@code helm template}), parsed into one JSON tree per object. */
final class RenderedChart {

    static final String RELEASE = "toolgate";
    static final String NAMESPACE = "toolgate-system";
    /** helm-java renders for Kubernetes 1.20 unless told; the chart needs 1.25+. */
    static final String KUBE_VERSION = "1.32.0";
    static final ObjectMapper YAML = new YAMLMapper();

    private final List<JsonNode> objects;

    private RenderedChart(List<JsonNode> objects) {
        this.objects = objects;
    }

    static Path chartDir() {
        return Path.of(System.getProperty("toolgate.chart.dir", "target/chart/toolgate"));
    }

    /** Renders with the chart's defaults overridden by {@code valuesYaml} (may be empty). */
    static RenderedChart render(String valuesYaml) {
        return parse(template(valuesYaml).call());
    }

    static TemplateCommand template(String valuesYaml) {
        TemplateCommand command = new Helm(chartDir()).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        if (!valuesYaml.isBlank()) {
            command.withValuesFile(writeTemp(valuesYaml));
        }
        return command;
    }

    static RenderedChart parse(String manifests) {
        List<JsonNode> objects = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(manifests)) {
            var docs = YAML.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc != null && doc.isObject() && doc.size() > 0) {
                    objects.add(doc);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rendered chart is not valid YAML:\n" + manifests, e);
        }
        return new RenderedChart(objects);
    }

    List<JsonNode> objects() {
        return objects;
    }

    List<String> kinds() {
        return objects.stream().map(o -> o.path("kind").asText()).toList();
    }

    Optional<JsonNode> find(String kind, String name) {
        return objects.stream()
                .filter(o -> kind.equals(o.path("kind").asText()) && name.equals(o.path("metadata").path("name").asText()))
                .findFirst();
    }

    JsonNode get(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + summary()));
    }

    JsonNode operatorContainer() {
        return get("Deployment", "toolgate-operator").at("/spec/template/spec/containers/0");
    }

    String operatorEnv(String name) {
        for (JsonNode env : operatorContainer().path("env")) {
            if (name.equals(env.path("name").asText())) {
                return env.path("value").asText();
            }
        }
        throw new AssertionError("operator container has no env " + name);
    }

    List<String> summary() {
        return objects.stream().map(o -> o.path("kind").asText() + "/" + o.path("metadata").path("name").asText()).toList();
    }

    static ObjectNode yamlObject(String yaml) {
        try {
            return (ObjectNode) YAML.readTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path writeTemp(String content) {
        try {
            Path file = Files.createTempFile("toolgate-values-", ".yaml");
            file.toFile().deleteOnExit();
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
