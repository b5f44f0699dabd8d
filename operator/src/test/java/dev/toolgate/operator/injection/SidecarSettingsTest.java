package dev.toolgate.operator.injection;

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
}
