package dev.toolgate.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Quantity;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** The typed settings: the chart's spellings convert, and a value that cannot work fails naming its property. */
class OperatorConfigTest {

    private static OperatorConfig load(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of("toolgate.operator.sidecar.image", "ghcr.io/toolgate-dev/sidecar:test"));
        all.putAll(settings);
        // Quarkus's duration converter, as in the running operator ("60s" as well as ISO-8601)
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(OperatorConfig.class).addDefaultInterceptors()
                .withConverter(Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                .withSources(new PropertiesConfigSource(all, "test", 100)).build();
        return config.getConfigMapping(OperatorConfig.class);
    }

    @Test
    void theDefaultsAndTheChartsSpellingsConvert() {
        OperatorConfig.Sidecar sidecar = load(Map.of()).sidecar();
        assertThat(sidecar.nativeSidecar()).isEqualTo(OperatorConfig.Sidecar.NativeSidecar.AUTO);
        assertThat(sidecar.cpuRequest()).isEqualTo(new Quantity("50m"));
        assertThat(sidecar.memoryRequest().toString()).isEqualTo("128Mi");
        assertThat(sidecar.imagePullPolicy().spelling()).isEqualTo("IfNotPresent");
        assertThat(sidecar.counters().backend()).isEqualTo(OperatorConfig.Sidecar.Counters.Backend.LOCAL);
        assertThat(sidecar.tracing().otlpEndpoint()).isEmpty();
        assertThat(sidecar.tracing().otlpProtocol()).isEqualTo("grpc");

        OperatorConfig.Sidecar set = load(Map.of(
                "toolgate.operator.sidecar.native-sidecar", "never",
                "toolgate.operator.sidecar.log-level", "DEBUG",
                "toolgate.operator.sidecar.jvm-profile", "small",
                "toolgate.operator.sidecar.image-pull-policy", "Never",
                "toolgate.operator.sidecar.memory-limit", "1Gi",
                "toolgate.operator.sidecar.counters.backend", "redis",
                "toolgate.operator.sidecar.counters.redis-timeout", "250ms",
                "toolgate.operator.sidecar.counters.redis-fail-mode", "local")).sidecar();
        assertThat(set.nativeSidecar()).isEqualTo(OperatorConfig.Sidecar.NativeSidecar.NEVER);
        assertThat(set.logLevel()).isEqualTo(OperatorConfig.Sidecar.LogLevel.DEBUG);
        assertThat(set.jvmProfile()).isEqualTo(OperatorConfig.Sidecar.JvmProfile.SMALL);
        assertThat(set.imagePullPolicy()).isEqualTo(OperatorConfig.Sidecar.PullPolicy.NEVER);
        assertThat(set.memoryLimit().toString()).isEqualTo("1Gi");
        assertThat(set.counters().redisTimeout()).contains(Duration.ofMillis(250));
        assertThat(set.counters().redisFailMode()).isEqualTo(OperatorConfig.Sidecar.Counters.FailMode.LOCAL);
    }

    @Test
    void aValueThatCannotWorkFailsAtStartupNamingItsProperty() {
        Map<String, String> bad = Map.of(
                "toolgate.operator.sidecar.log-level", "VERBOSE",
                "toolgate.operator.sidecar.image-pull-policy", "always",
                "toolgate.operator.sidecar.jvm-profile", "tiny",
                "toolgate.operator.sidecar.native-sidecar", "sometimes",
                "toolgate.operator.sidecar.cpu-request", "fifty",
                "toolgate.operator.sidecar.memory-request", "64Qi",
                "toolgate.operator.sidecar.counters.backend", "memcached",
                "toolgate.operator.sidecar.counters.redis-fail-mode", "open",
                "toolgate.operator.sidecar.counters.redis-timeout", "soon");
        for (var setting : bad.entrySet()) {
            assertThatThrownBy(() -> load(Map.of(setting.getKey(), setting.getValue()))).as(setting.getKey())
                    .hasMessageContaining(setting.getKey());
        }
    }
}
