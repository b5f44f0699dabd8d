package dev.toolgate.policy.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * YAML text (JSON included) → one tree per document, as kubectl splits a file at {@code ---}. Numbers stay exact and
 * a duplicate key is an error, so a tree means what the text says.
 */
final class YamlDocuments {

    private static final YAMLMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    /** Why a text is not YAML, with where: {@code invalid YAML at line 3, column 7: ...}. */
    static final class InvalidYaml extends Exception {
        InvalidYaml(String message) {
            super(message);
        }
    }

    private YamlDocuments() {
    }

    /** Every document of the text, empty documents ({@code ---} with nothing after it) as {@code null}. */
    static List<JsonNode> read(String text) throws InvalidYaml {
        List<JsonNode> documents = new ArrayList<>();
        // document by document: a MappingIterator would also split a top-level list into "documents"
        try (JsonParser parser = YAML.createParser(text)) {
            while (parser.nextToken() != null) {
                JsonNode document = YAML.readTree(parser);
                documents.add(document == null || document.isMissingNode() || document.isNull() ? null : document);
            }
        } catch (IOException | RuntimeException e) {
            throw new InvalidYaml(describe(e));
        }
        return documents;
    }

    /** SnakeYAML's problem and where it is; else Jackson's message (wrapped, or as it is). */
    private static String describe(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
                Mark mark = marked.getProblemMark();
                return "invalid YAML at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ": " + marked.getProblem()
                        + (marked.getContext() == null ? "" : " (" + marked.getContext() + ")");
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JsonProcessingException processing) {
                return "invalid YAML at " + where(processing.getLocation()) + ": " + firstLine(processing.getOriginalMessage());
            }
        }
        return "invalid YAML: " + firstLine(e.getMessage());
    }

    private static String where(JsonLocation location) {
        return location == null ? "unknown position" : "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }
}
