package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Small helpers shared by the policy tests. */
final class PolicyTestSupport {

    /** Arguments parsed the way the sidecar should parse them: floats as exact decimals. */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();
    static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

    private PolicyTestSupport() {
    }

    static String resource(String name) {
        try (InputStream in = PolicyTestSupport.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Single quotes in test documents stand for double quotes, to keep Java literals readable. */
    static String q(String text) {
        return text.replace('\'', '"');
    }

    static ToolCall call(String tool, String argumentsJson, String identity) {
        return new ToolCall(tool, argumentsJson == null ? null : json(q(argumentsJson)), identity, null);
    }

    static Policy policy(String documentWithSingleQuotes) {
        try {
            return Policy.load(q(documentWithSingleQuotes), new RateLimiter());
        } catch (PolicyException e) {
            throw new AssertionError("policy should be valid: " + e.errors(), e);
        }
    }

    static List<PolicyError> errorsOf(String documentWithSingleQuotes) {
        try {
            PolicyDocument.parse(q(documentWithSingleQuotes));
        } catch (PolicyException e) {
            return e.errors();
        }
        throw new AssertionError("policy should be rejected");
    }

    static void assertRejected(String documentWithSingleQuotes) {
        assertThatThrownBy(() -> PolicyDocument.parse(q(documentWithSingleQuotes))).isInstanceOf(PolicyException.class);
    }

    /** Sorted, any max+1 consecutive admissions must span at least a window: no half-open interval of window length holds more than max. */
    static void assertAtMostMaxPerWindow(List<Long> times, int max, long window) {
        List<Long> sorted = new ArrayList<>(times);
        Collections.sort(sorted);
        for (int i = 0; i + max < sorted.size(); i++) {
            assertThat(sorted.get(i + max) - sorted.get(i))
                    .as("admissions %s: %d within %d ms", sorted.subList(i, i + max + 1), max + 1, window)
                    .isGreaterThanOrEqualTo(window);
        }
    }
}
