package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.JsonNode;

import dev.toolgate.testsupport.GoldenFiles;

/**
 * The field references under {@code docs/reference/} are generated from the committed CRDs: every field with its type,
 * whether it is required, its constraints and its description, and the printer columns. A CRD change that leaves a
 * reference stale fails here; regenerate with {@code -Dtoolgate.golden.update=true} and commit both.
 */
class CrdReferenceTest {

    private static final Path CRDS = Path.of(System.getProperty("toolgate.crds.committed-dir"));
    private static final Path DOCS = CRDS.getParent().resolve("docs/reference");

    @ParameterizedTest(name = "{1}")
    @CsvSource({"mcppolicies.toolgate.dev-v1.yml, mcppolicy.md", "mcpapprovals.toolgate.dev-v1.yml, mcpapproval.md",
            "mcpclusterpolicies.toolgate.dev-v1.yml, mcpclusterpolicy.md", "mcpnamespacepolicies.toolgate.dev-v1.yml, mcpnamespacepolicy.md"})
    void theReferenceIsWhatTheCrdSays(String crd, String reference) throws IOException {
        Path crdFile = CRDS.resolve(crd);
        String generated = reference(GoldenFiles.YAML.readTree(crdFile.toFile()), crd);
        Path committed = DOCS.resolve(reference);
        if (Boolean.getBoolean("toolgate.golden.update")) {
            Files.createDirectories(DOCS);
            Files.writeString(committed, generated);
            return;
        }
        assertThat(committed).as("reference for %s; generate it with -Dtoolgate.golden.update=true", crd).exists();
        assertThat(Files.readString(committed))
                .as("%s is stale: regenerate it with -Dtest=CrdReferenceTest -Dtoolgate.golden.update=true and commit it", committed)
                .isEqualTo(generated);
    }

    static String reference(JsonNode crd, String file) {
        JsonNode names = crd.at("/spec/names");
        JsonNode version = crd.at("/spec/versions/0");
        String kind = names.path("kind").asText();
        StringBuilder out = new StringBuilder();
        out.append("# ").append(kind).append(" reference\n\n");
        out.append("`").append(crd.at("/spec/group").asText()).append("/").append(version.path("name").asText()).append("`, ")
                .append(crd.at("/spec/scope").asText().toLowerCase()).append("; `kubectl get ").append(names.path("plural").asText());
        for (JsonNode shortName : names.path("shortNames")) {
            out.append("` or `kubectl get ").append(shortName.asText());
        }
        out.append("`.\n\n");
        out.append("Generated from [`crds/").append(file).append("`](../../crds/").append(file).append(") by `CrdReferenceTest` (operator");
        out.append(" module): do not edit by hand. The descriptions are the CRD's, which `kubectl explain ").append(names.path("plural").asText())
                .append(".spec` shows too.\n\n");
        JsonNode columns = version.path("additionalPrinterColumns");
        if (columns.size() > 0) {
            out.append("## Printer columns\n\n| Column | From | Shown |\n|---|---|---|\n");
            for (JsonNode column : columns) {
                out.append("| ").append(column.path("name").asText().toUpperCase()).append(" | `").append(column.path("jsonPath").asText())
                        .append("` | ").append(column.path("priority").asInt() == 0 ? "always" : "`-o wide`").append(" |\n");
            }
            out.append('\n');
        }
        JsonNode root = version.at("/schema/openAPIV3Schema/properties");
        for (String part : List.of("spec", "status")) {
            if (root.has(part)) {
                out.append("## ").append(part).append("\n\n| Field | Type | Required | Constraints | Description |\n|---|---|---|---|---|\n");
                fields(root.get(part), part, out);
                out.append('\n');
            }
        }
        return out.toString().stripTrailing() + "\n";
    }

    private static void fields(JsonNode schema, String path, StringBuilder out) {
        JsonNode properties = schema.path("properties");
        Set<String> required = new HashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            String fieldPath = path + "." + field.getKey();
            row(fieldPath, field.getValue(), required.contains(field.getKey()), out);
            children(field.getValue(), fieldPath, out);
        }
    }

    private static void children(JsonNode schema, String path, StringBuilder out) {
        if (schema.has("properties")) {
            fields(schema, path, out);
        } else if (schema.has("items")) {
            children(schema.get("items"), path + "[]", out);
        } else if (schema.path("additionalProperties").isObject()) {
            children(schema.get("additionalProperties"), path + "[<name>]", out);
        }
    }

    private static void row(String path, JsonNode schema, boolean required, StringBuilder out) {
        out.append("| `").append(path).append("` | ").append(type(schema)).append(" | ").append(required ? "yes" : "")
                .append(" | ").append(cell(String.join("; ", constraints(schema)))).append(" | ")
                .append(cell(schema.path("description").asText(""))).append(" |\n");
    }

    private static String type(JsonNode schema) {
        if (schema.path("x-kubernetes-int-or-string").asBoolean() || schema.has("anyOf")) {
            return "integer or string";
        }
        String type = schema.path("type").asText("");
        return switch (type) {
        case "array" -> "list of " + type(schema.path("items"));
        case "object" -> schema.path("additionalProperties").isObject() ? "map of " + type(schema.get("additionalProperties"))
                : schema.has("properties") ? "object" : "any JSON object";
        case "" -> "any JSON value";
        default -> type;
        };
    }

    private static List<String> constraints(JsonNode schema) {
        List<String> out = new ArrayList<>();
        if (schema.has("enum")) {
            List<String> values = new ArrayList<>();
            schema.get("enum").forEach(v -> values.add("`" + v.asText() + "`"));
            out.add("one of " + String.join(", ", values));
        }
        bound(schema, "minimum", "≥ ", out);
        bound(schema, "maximum", "≤ ", out);
        bound(schema, "minLength", "length ≥ %s", out);
        bound(schema, "maxLength", "length ≤ %s", out);
        bound(schema, "minItems", "≥ %s items", out);
        bound(schema, "maxItems", "≤ %s items", out);
        bound(schema, "maxProperties", "≤ %s entries", out);
        if (schema.has("pattern")) {
            out.add("matches `" + schema.get("pattern").asText() + "`");
        }
        if (schema.has("default")) {
            out.add("default `" + schema.get("default").asText() + "`");
        }
        for (JsonNode rule : schema.path("x-kubernetes-validations")) {
            out.add(rule.path("message").asText(rule.path("rule").asText()));
        }
        if (schema.path("x-kubernetes-preserve-unknown-fields").asBoolean() && schema.has("properties")) {
            out.add("unknown fields are kept and refused by the operator");
        }
        return out;
    }

    private static void bound(JsonNode schema, String key, String format, List<String> out) {
        if (schema.has(key)) {
            String value = schema.get(key).asText();
            out.add(format.contains("%s") ? format.formatted(value) : format + value);
        }
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ").trim();
    }
}
