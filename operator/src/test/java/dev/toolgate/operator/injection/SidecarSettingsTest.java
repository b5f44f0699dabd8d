package dev.toolgate.operator.injection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SidecarSettingsTest {

    @Test
    void refusesAnUnknownLogLevelPullPolicyOrJvmProfile() {
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532, "VERBOSE", "IfNotPresent", "throughput"))
                .hasMessage("toolgate.operator.sidecar.log-level must be one of TRACE, DEBUG, INFO, WARN, ERROR, not 'VERBOSE'");
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532, "INFO", "always", "throughput"))
                .hasMessage("toolgate.operator.sidecar.image-pull-policy must be one of Always, IfNotPresent, Never, not 'always'");
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532, "INFO", "Always", "tiny"))
                .hasMessage("toolgate.operator.sidecar.jvm-profile must be throughput or small, not 'tiny'");
    }

    @Test
    void theRedirectNeedsAnInitImage() {
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532, "INFO", "Always", "throughput",
                true, " ")).hasMessage("toolgate.operator.sidecar.init-image must be set when redirect-inbound is on");
        assertThat(new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532, "INFO", "Always", "throughput").redirectInbound())
                .isFalse();
    }

    @Test
    void theDefaultInitImageIsTheSidecarsRepositoryNamedInit() {
        assertThat(SidecarSettings.defaultInitImage("ghcr.io/toolgate-dev/sidecar:0.1.0")).isEqualTo("ghcr.io/toolgate-dev/init:0.1.0");
        assertThat(SidecarSettings.defaultInitImage("registry:5000/tg/sidecar")).isEqualTo("registry:5000/tg/init");
        assertThatThrownBy(() -> SidecarSettings.defaultInitImage("sidecar@sha256:abc")).hasMessageContaining("pinned by digest");
    }
}
