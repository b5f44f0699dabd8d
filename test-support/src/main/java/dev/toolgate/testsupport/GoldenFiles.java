package dev.toolgate.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/**
 * Golden-file pairs: every {@code in-<case>.yaml} in a test-resources directory has an {@code out-<case>.yaml} holding
 * the expected output. Run with {@code -Dtoolgate.golden.update=true} to (re)write the out files, then review the diff.
 */
public final class GoldenFiles {

    public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));

    private GoldenFiles() {
    }

    public record Case(String name, Path input, Path expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    public static Stream<Case> cases(String resourceDirectory) {
        return cases(resourceDirectory, null);
    }

    /** Inputs named {@code <case>.yaml} with the expectation in {@code <case><suffix>}; null suffix: in-/out- pairs. */
    public static Stream<Case> cases(String resourceDirectory, String expectationSuffix) {
        Path dir = sourceDirectory(resourceDirectory);
        try (Stream<Path> files = Files.list(dir)) {
            if (expectationSuffix != null) {
                List<Case> cases = files.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted()
                        .map(p -> {
                            String name = p.getFileName().toString().replaceFirst("\\.yaml$", "");
                            return new Case(name, p, p.resolveSibling(name + expectationSuffix));
                        }).toList();
                assertThat(cases).as("cases in %s", dir).isNotEmpty();
                return cases.stream();
            }
            List<Case> cases = files.filter(p -> p.getFileName().toString().matches("in-.*\\.yaml"))
                    .sorted()
                    .map(p -> {
                        String name = p.getFileName().toString().replaceFirst("^in-", "").replaceFirst("\\.yaml$", "");
                        return new Case(name, p, p.resolveSibling("out-" + name + ".yaml"));
                    })
                    .toList();
            assertThat(cases).as("golden cases in %s", dir).isNotEmpty();
            return cases.stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compares structurally (YAML formatting aside); in update mode writes the actual output instead. */
    public static void assertMatches(Case golden, Object actual) throws IOException {
        JsonNode actualTree = YAML.valueToTree(actual);
        if (Boolean.getBoolean("toolgate.golden.update")) {
            Files.writeString(golden.expected(), YAML.writeValueAsString(actualTree));
            return;
        }
        assertThat(golden.expected()).as("expected output for %s (generate with -Dtoolgate.golden.update=true)", golden.name()).exists();
        JsonNode expected = YAML.readTree(golden.expected().toFile());
        assertThat(YAML.writeValueAsString(actualTree)).as("golden case %s", golden.name())
                .isEqualTo(YAML.writeValueAsString(expected));
    }

    /** The directory in src/test/resources (not target/), so update mode rewrites the committed files. */
    private static Path sourceDirectory(String resourceDirectory) {
        try {
            Path inTarget = Path.of(GoldenFiles.class.getClassLoader().getResource(resourceDirectory).toURI());
            Path module = inTarget.getParent();
            while (module != null && !Files.exists(module.resolve("pom.xml"))) {
                module = module.getParent();
            }
            return module == null ? inTarget : module.resolve("src/test/resources").resolve(resourceDirectory);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
