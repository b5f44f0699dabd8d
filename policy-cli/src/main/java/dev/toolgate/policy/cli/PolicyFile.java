package dev.toolgate.policy.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.PolicyDocument;
import dev.toolgate.policy.PolicyError;
import dev.toolgate.policy.PolicyException;
import dev.toolgate.policy.PolicySpec;
import dev.toolgate.policy.SpecPaths;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A policy file as users write it: McpPolicy manifests (YAML or JSON, several documents separated by {@code ---}, a
 * {@code kind: List} too, other kinds skipped with a note) or one policy document (the sidecar's {@code policy.json}).
 * A manifest's spec is rendered and validated by the engine's {@link PolicySpec}, so its problems read as the operator's
 * validating webhook reports them.
 */
final class PolicyFile {

    static final String API_VERSION = "toolgate.dev/v1alpha1";
    private static final String GROUP = "toolgate.dev/";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    /**
     * The chosen policy. {@code specSpelling}: it came from a manifest, so rule paths are shown as the resource spells
     * them ({@code spec.tools["x"].limits[0]}); {@code description} names it in messages.
     */
    record Loaded(PolicyDocument document, boolean specSpelling, String description) {
        String rule(Decision decision) {
            return specSpelling ? SpecPaths.toSpecPath(decision.rule()) : decision.rule();
        }
    }

    /** The file cannot be used: a headline, and the problems under it (each {@code path: message}), if any. */
    static final class Unusable extends Exception {
        private final List<String> details;

        Unusable(String headline, List<String> details) {
            super(headline);
            this.details = List.copyOf(details);
        }

        Unusable(String headline) {
            this(headline, List.of());
        }

        List<String> details() {
            return details;
        }
    }

    private record Candidate(String where, String namespace, String name, JsonNode spec) {
        String label() {
            return namespace == null ? name : namespace + "/" + name;
        }
    }

    private final String file;
    private final String selectorOption;
    private final PrintStream notes;
    private final List<Candidate> candidates = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private int skipped;

    private PolicyFile(String file, String selectorOption, PrintStream notes) {
        this.file = file;
        this.selectorOption = selectorOption;
        this.notes = notes;
    }

    /**
     * Reads {@code path} and picks the policy {@code selector} names ({@code NAMESPACE/NAME} or {@code NAME}; {@code null}
     * when the file must hold exactly one). {@code selectorOption} is how the user spells the choice ({@code --policy}),
     * for the hints; skipped documents are noted on {@code notes}.
     */
    static Loaded load(Path path, String selector, String selectorOption, PrintStream notes) throws Unusable {
        String file = path.toString();
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new Unusable("cannot read policy: no such file " + file);
        } catch (IOException e) {
            throw new Unusable("cannot read policy " + file + ": " + e.getMessage());
        }
        return new PolicyFile(file, selectorOption, notes).load(text, selector);
    }

    /** {@code text} read as the content of a policy file named {@code file}, which must hold exactly one policy. */
    static Loaded parse(String file, String text) throws Unusable {
        return new PolicyFile(file, "--policy", System.err).load(text, null);
    }

    private Loaded load(String text, String selector) throws Unusable {
        if (text.stripLeading().startsWith("{")) {
            JsonNode tree = null;
            try {
                tree = JSON.readTree(text);
            } catch (IOException e) {
                // not JSON after all: the engine's strict reader says where
            }
            if (tree == null || !isManifest(tree)) {
                return document(() -> PolicyDocument.parse(text), selector);
            }
            // a JSON manifest: read on as YAML, which refuses duplicate keys as the engine's reader does
        }
        List<JsonNode> documents;
        try {
            documents = YamlDocuments.read(text);
        } catch (YamlDocuments.InvalidYaml e) {
            throw new Unusable("cannot read policy " + file + ": " + e.getMessage());
        }
        List<JsonNode> present = documents.stream().filter(d -> d != null).toList();
        if (present.size() == 1 && !isManifest(present.get(0))) {
            return document(() -> PolicyDocument.parse(present.get(0)), selector);
        }
        for (int i = 0; i < documents.size(); i++) {
            manifest(documents.get(i), "document " + (i + 1), true);
        }
        if (!problems.isEmpty()) {
            throw new Unusable("invalid policy file " + file + ": " + count(problems.size(), "problem"), problems);
        }
        Candidate chosen = choose(selector);
        try {
            return new Loaded(PolicySpec.parse(chosen.spec()), true, "McpPolicy " + chosen.label());
        } catch (PolicyException e) {
            throw new Unusable("invalid policy " + file + ", " + chosen.where() + " (McpPolicy " + chosen.label() + "): "
                    + count(e.errors().size(), "error"), e.errors().stream().map(PolicyError::toString).toList());
        }
    }

    private interface DocumentParser {
        PolicyDocument parse() throws PolicyException;
    }

    private Loaded document(DocumentParser parser, String selector) throws Unusable {
        if (selector != null) {
            throw new Unusable(selectorOption + " " + selector + ": " + file + " is a policy document, not McpPolicy manifests");
        }
        try {
            return new Loaded(parser.parse(), false, "policy document");
        } catch (PolicyException e) {
            throw new Unusable("invalid policy " + file + ": " + count(e.errors().size(), "error"),
                    e.errors().stream().map(PolicyError::toString).toList());
        }
    }

    private static boolean isManifest(JsonNode tree) {
        return tree.isObject() && (tree.has("kind") || tree.has("apiVersion"));
    }

    private void manifest(JsonNode document, String where, boolean listAllowed) {
        if (document == null) {
            return;
        }
        if (!document.isObject()) {
            problems.add(where + ": expected a manifest with apiVersion and kind, got " + typeName(document));
            return;
        }
        String kind = document.path("kind").isTextual() ? document.get("kind").textValue() : null;
        String apiVersion = document.path("apiVersion").isTextual() ? document.get("apiVersion").textValue() : null;
        if (kind == null || apiVersion == null) {
            problems.add(where + ": expected a manifest with apiVersion and kind (strings), or a policy document alone in its file");
            return;
        }
        if ("List".equals(kind) && "v1".equals(apiVersion) && listAllowed) {
            JsonNode items = document.get("items");
            if (items == null || !items.isArray()) {
                problems.add(where + ".items: expected a list of manifests");
                return;
            }
            for (int i = 0; i < items.size(); i++) {
                manifest(items.get(i), where + ", items[" + i + "]", false);
            }
            return;
        }
        if (!"McpPolicy".equals(kind) || !apiVersion.startsWith(GROUP)) {
            notes.println(file + ": skipped " + where + ": " + kind + " " + apiVersion + " is not an McpPolicy");
            skipped++;
            return;
        }
        if (!API_VERSION.equals(apiVersion)) {
            problems.add(where + ": apiVersion " + apiVersion + " is not served; expected " + API_VERSION);
            return;
        }
        JsonNode metadata = document.path("metadata");
        JsonNode name = metadata.path("name");
        JsonNode namespace = metadata.path("namespace");
        if (!name.isTextual() || name.textValue().isEmpty()) {
            problems.add(where + ": metadata.name: required field is missing; expected the McpPolicy's name");
            return;
        }
        if (!namespace.isMissingNode() && !namespace.isNull() && (!namespace.isTextual() || namespace.textValue().isEmpty())) {
            problems.add(where + ": metadata.namespace: expected a non-empty string");
            return;
        }
        candidates.add(new Candidate(where, namespace.isTextual() ? namespace.textValue() : null, name.textValue(), document.get("spec")));
    }

    private Candidate choose(String selector) throws Unusable {
        if (candidates.isEmpty()) {
            throw new Unusable(file + " holds no McpPolicy" + (skipped > 0 ? " (skipped " + count(skipped, "document") + " of other kinds)" : ""));
        }
        if (selector == null) {
            if (candidates.size() == 1) {
                return candidates.get(0);
            }
            throw new Unusable(file + " holds " + candidates.size() + " McpPolicies (" + labels(candidates) + "); choose one with "
                    + selectorOption + " NAMESPACE/NAME or NAME");
        }
        int slash = selector.indexOf('/');
        String namespace = slash < 0 ? null : selector.substring(0, slash);
        String name = slash < 0 ? selector : selector.substring(slash + 1);
        List<Candidate> matches = candidates.stream()
                .filter(c -> c.name().equals(name) && (namespace == null || namespace.equals(c.namespace())))
                .toList();
        if (matches.isEmpty()) {
            throw new Unusable("no McpPolicy " + selector + " in " + file + "; it holds " + labels(candidates));
        }
        if (matches.size() > 1) {
            throw new Unusable(selectorOption + " " + selector + " matches " + matches.size() + " McpPolicies in " + file + " (" + labels(matches)
                    + "); name one as NAMESPACE/NAME");
        }
        return matches.get(0);
    }

    private static String labels(List<Candidate> candidates) {
        return String.join(", ", candidates.stream().map(c -> c.label() + " (" + c.where() + ")").toList());
    }

    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    static String typeName(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        return "null";
    }
}
