package dev.toolgate.operator.injection;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SidecarSettingsTest {

    @Test
    void refusesAnUnknownLogLevelOrPullPolicy() {
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532, "VERBOSE", "IfNotPresent"))
                .hasMessage("toolgate.operator.sidecar.log-level must be one of TRACE, DEBUG, INFO, WARN, ERROR, not 'VERBOSE'");
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532, "INFO", "always"))
                .hasMessage("toolgate.operator.sidecar.image-pull-policy must be one of Always, IfNotPresent, Never, not 'always'");
    }
}
