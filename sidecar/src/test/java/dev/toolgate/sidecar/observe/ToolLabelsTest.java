package dev.toolgate.sidecar.observe;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ToolLabelsTest {
    @Test
    void onlyKnownNamesBecomeLabels() {
        ToolLabels labels = new ToolLabels(2);
        labels.policyNames(Set.of("update_amount"));
        labels.announced("echo");
        labels.announced("add");
        labels.announced("third-is-over-the-cap");
        assertThat(labels.label("update_amount")).isEqualTo("update_amount");
        assertThat(labels.label("echo")).isEqualTo("echo");
        assertThat(labels.label("third-is-over-the-cap")).isEqualTo(ToolLabels.OTHER);
        assertThat(labels.label("made-up-" + System.nanoTime())).isEqualTo(ToolLabels.OTHER);
    }
}
