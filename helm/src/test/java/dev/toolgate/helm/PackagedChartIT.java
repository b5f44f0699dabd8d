package dev.toolgate.helm;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The chart package the build produced: it carries the generated CRD unchanged, and the dashboard. */
class PackagedChartIT {

    private static final Path PACKAGE = Path.of(System.getProperty("toolgate.chart.package", "target/toolgate.tgz"));
    private static final Path CRDS = Path.of(System.getProperty("toolgate.crds.dir", "../crds"));

    @Test
    void packageContainsEveryGeneratedCrdByteForByte() throws IOException {
        Map<String, byte[]> entries = entries(PACKAGE);
        List<Path> crds;
        try (Stream<Path> files = Files.list(CRDS)) {
            crds = files.filter(f -> f.getFileName().toString().endsWith(".yml")).sorted().toList();
        }

        assertThat(crds).as("generated CRDs in %s", CRDS).extracting(p -> p.getFileName().toString())
                .contains("mcppolicies.toolgate.dev-v1.yml");
        for (Path crd : crds) {
            String entry = "toolgate/crds/" + crd.getFileName();
            assertThat(entries).as("entries of %s", PACKAGE).containsKey(entry);
            assertThat(entries.get(entry)).as(entry).isEqualTo(Files.readAllBytes(crd));
        }
        assertThat(entries.keySet().stream().filter(e -> e.startsWith("toolgate/crds/")))
                .as("no CRD in the chart that crds/ does not have").hasSize(crds.size());
    }

    @Test
    void packageContainsTheChartMetadataSchemaAndDashboard() throws IOException {
        assertThat(entries(PACKAGE)).containsKeys(
                "toolgate/Chart.yaml",
                "toolgate/values.yaml",
                "toolgate/values.schema.json",
                "toolgate/templates/NOTES.txt",
                "toolgate/dashboards/toolgate.json");
    }

    private static Map<String, byte[]> entries(Path tgz) throws IOException {
        assertThat(tgz).as("chart package built by the package phase").isRegularFile();
        Map<String, byte[]> entries = new HashMap<>();
        try (InputStream in = Files.newInputStream(tgz);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(in))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                if (entry.isFile()) {
                    entries.put(entry.getName(), tar.readAllBytes());
                }
            }
        }
        return entries;
    }
}
