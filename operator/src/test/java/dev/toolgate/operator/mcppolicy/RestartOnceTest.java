package dev.toolgate.operator.mcppolicy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;

class RestartOnceTest {

    private static PodTemplateSpec template(String image, Map<String, String> annotations) {
        return new PodTemplateSpecBuilder().withNewMetadata().addToLabels("app", "mcp").addToLabels("tier", "x")
                .withAnnotations(annotations).endMetadata()
                .withNewSpec().addNewContainer().withName("server").withImage(image).endContainer().endSpec().build();
    }

    @Test
    void theHashIgnoresTheOperatorsOwnRestartAnnotationAndMapOrder() {
        String hash = RestartOnce.templateHash(template("mcp:1", Map.of()));
        assertThat(hash).hasSize(16);
        assertThat(RestartOnce.templateHash(template("mcp:1", Map.of("toolgate.dev/restartedAt", "2020-01-01T00:00:00Z")))).isEqualTo(hash);
        PodTemplateSpec reordered = new PodTemplateSpecBuilder().withNewMetadata().addToLabels("tier", "x").addToLabels("app", "mcp")
                .endMetadata().withNewSpec().addNewContainer().withName("server").withImage("mcp:1").endContainer().endSpec().build();
        assertThat(RestartOnce.templateHash(reordered)).isEqualTo(hash);
    }

    @Test
    void aChangedTemplateIsANewTemplate() {
        String hash = RestartOnce.templateHash(template("mcp:1", Map.of()));
        assertThat(RestartOnce.templateHash(template("mcp:2", Map.of()))).isNotEqualTo(hash);
        assertThat(RestartOnce.templateHash(template("mcp:1", Map.of("kubectl.kubernetes.io/restartedAt", "now")))).isNotEqualTo(hash);
    }

    @Test
    void aWorkloadIsRestartedOncePerTemplate() throws Exception {
        PodTemplateSpec template = template("mcp:1", Map.of());
        assertThat(RestartOnce.alreadyRestarted(null, template)).isFalse();
        assertThat(RestartOnce.alreadyRestarted(Map.of(), template)).isFalse();

        JsonNode patch = new ObjectMapper().readTree(RestartOnce.patch(template, Instant.parse("2026-12-02T03:00:00Z")));
        assertThat(patch.at("/spec/template/metadata/annotations/toolgate.dev~1restartedAt").asText()).isEqualTo("2026-12-02T03:00:00Z");
        Map<String, String> recorded = Map.of("toolgate.dev/restarted-template",
                patch.at("/metadata/annotations/toolgate.dev~1restarted-template").asText());

        // What the patch leaves: the template with the new restartedAt, the workload with the record.
        PodTemplateSpec restarted = template("mcp:1", Map.of("toolgate.dev/restartedAt", "2026-12-02T03:00:00Z"));
        assertThat(RestartOnce.alreadyRestarted(recorded, restarted)).isTrue();
        // The old 10-minute guard's expiry (restartedAt back-dated) changes nothing; a new image does.
        assertThat(RestartOnce.alreadyRestarted(recorded, template("mcp:1", Map.of("toolgate.dev/restartedAt", "2020-01-01T00:00:00Z")))).isTrue();
        assertThat(RestartOnce.alreadyRestarted(recorded, template("mcp:2", Map.of("toolgate.dev/restartedAt", "2026-12-02T03:00:00Z")))).isFalse();
    }

    @Test
    void podsOfTheRestartedTemplateCarryItsRestartedAt() {
        PodTemplateSpec restarted = template("mcp:1", Map.of("toolgate.dev/restartedAt", "2026-12-02T03:00:00Z"));
        Pod fromRestart = new PodBuilder().withNewMetadata().withName("new").addToAnnotations("toolgate.dev/restartedAt", "2026-12-02T03:00:00Z")
                .endMetadata().build();
        Pod old = new PodBuilder().withNewMetadata().withName("old").endMetadata().build();
        assertThat(RestartOnce.createdByTheRestart(fromRestart, restarted)).isTrue();
        assertThat(RestartOnce.createdByTheRestart(old, restarted)).isFalse();
        assertThat(RestartOnce.createdByTheRestart(fromRestart, template("mcp:1", Map.of()))).isFalse();
    }
}
