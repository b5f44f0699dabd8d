package dev.toolgate.sidecar.observe;

import io.smallrye.config.ConfigValue;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** toolgate.tracing.enabled as Quarkus's quarkus.otel.sdk.disabled, by the ordinals of the sources that set them. */
class TracingSwitchTest {
    /** application.properties, environment variables, system properties */
    private static final int PROPERTIES = 250;
    private static final int ENV = 300;

    private static ConfigValue value(String name, String value, int ordinal) {
        return ConfigValue.builder().withName(name).withValue(value).withRawValue(value).withConfigSourceName("test")
                .withConfigSourceOrdinal(ordinal).build();
    }

    private static String disabled(ConfigValue sdkDisabled, ConfigValue tracingEnabled) {
        ConfigValue result = TracingSwitch.sdkDisabled(sdkDisabled, tracingEnabled);
        return result == null ? null : result.getValue();
    }

    @Test
    void theDefaultsLeaveTheSdkDisabled() {
        assertThat(disabled(value(TracingSwitch.SDK_DISABLED, "true", PROPERTIES), value(TracingSwitch.SWITCH, "false", PROPERTIES))).isEqualTo("true");
    }

    @Test
    void theSwitchTurnsTheSdkOn() {
        assertThat(disabled(value(TracingSwitch.SDK_DISABLED, "true", PROPERTIES), value(TracingSwitch.SWITCH, "true", ENV))).isEqualTo("false");
        assertThat(disabled(value(TracingSwitch.SDK_DISABLED, "true", PROPERTIES), value(TracingSwitch.SWITCH, "TRUE", ENV))).isEqualTo("false");
        assertThat(disabled(null, value(TracingSwitch.SWITCH, "true", ENV))).isEqualTo("false");
    }

    @Test
    void anExplicitQuarkusSettingFromAStrongerSourceWins() {
        assertThat(disabled(value(TracingSwitch.SDK_DISABLED, "false", ENV), value(TracingSwitch.SWITCH, "false", PROPERTIES))).isEqualTo("false");
        // on a tie, the Toolgate switch
        assertThat(disabled(value(TracingSwitch.SDK_DISABLED, "false", ENV), value(TracingSwitch.SWITCH, "false", ENV))).isEqualTo("true");
    }

    @Test
    void withoutTheSwitchQuarkusDecides() {
        assertThat(disabled(value(TracingSwitch.SDK_DISABLED, "true", PROPERTIES), null)).isEqualTo("true");
        assertThat(disabled(null, null)).isNull();
    }
}
