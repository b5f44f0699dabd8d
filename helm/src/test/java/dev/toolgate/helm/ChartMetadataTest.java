package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Chart.yaml follows the Maven version, so image tags (defaulting to appVersion) match the built images. */
class ChartMetadataTest {

    @Test
    void chartVersionAndAppVersionAreTheProjectVersion() throws IOException {
        JsonNode chart = RenderedChart.YAML.readTree(RenderedChart.chartDir().resolve("Chart.yaml").toFile());
        String projectVersion = System.getProperty("toolgate.project.version");

        assertThat(projectVersion).as("system property toolgate.project.version (set by the pom)").isNotBlank();
        assertThat(chart.path("version").asText()).isEqualTo(projectVersion);
        assertThat(chart.path("appVersion").asText()).isEqualTo(projectVersion);
    }
}
