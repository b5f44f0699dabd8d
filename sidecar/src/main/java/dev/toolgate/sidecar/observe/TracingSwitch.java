package dev.toolgate.sidecar.observe;

import io.quarkus.runtime.annotations.StaticInitSafe;
import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Converters;

/**
 * Derives Quarkus's {@code quarkus.otel.sdk.disabled} from {@code toolgate.tracing.enabled}, so the sidecar has one
 * switch for traces ({@code TOOLGATE_TRACING_ENABLED=true}). Off, Quarkus builds a no-op SDK and installs no Vert.x
 * tracer: no span, no exporter, no connection, and nothing added to a request's path. Whichever of the two properties
 * comes from the source of higher ordinal wins (an explicit {@code QUARKUS_OTEL_SDK_DISABLED} beats the default in
 * application.properties); on a tie, the Toolgate switch.
 */
@StaticInitSafe
public class TracingSwitch implements ConfigSourceInterceptor {
    static final String SWITCH = "toolgate.tracing.enabled";
    static final String SDK_DISABLED = "quarkus.otel.sdk.disabled";

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        return SDK_DISABLED.equals(name) ? sdkDisabled(value, context.proceed(SWITCH)) : value;
    }

    /** {@code quarkus.otel.sdk.disabled} as configured, or the negation of the switch when that was set with at least its ordinal. */
    static ConfigValue sdkDisabled(ConfigValue configured, ConfigValue tracingEnabled) {
        if (tracingEnabled == null || tracingEnabled.getValue() == null) {
            return configured;
        }
        if (configured != null && configured.getValue() != null
                && configured.getConfigSourceOrdinal() > tracingEnabled.getConfigSourceOrdinal()) {
            return configured;
        }
        boolean enabled = Converters.getImplicitConverter(Boolean.class).convert(tracingEnabled.getValue().trim());
        String disabled = Boolean.toString(!enabled);
        return ConfigValue.builder().withName(SDK_DISABLED).withValue(disabled).withRawValue(disabled)
                .withConfigSourceName(tracingEnabled.getConfigSourceName() + " (" + SWITCH + ")")
                .withConfigSourceOrdinal(tracingEnabled.getConfigSourceOrdinal()).build();
    }
}
