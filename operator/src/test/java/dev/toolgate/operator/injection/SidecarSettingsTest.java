package dev.toolgate.operator.injection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.toolgate.operator.OperatorConfig;
import dev.toolgate.operator.OperatorConfig.Sidecar.Counters.Backend;
import dev.toolgate.operator.OperatorConfig.Sidecar.Counters.FailMode;

class SidecarSettingsTest {

    @Test
    void refusesAnUnknownLogLevelPullPolicyOrJvmProfile() {
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "VERBOSE", "IfNotPresent", "throughput"))
                .hasMessage("toolgate.operator.sidecar.log-level must be one of TRACE, DEBUG, INFO, WARN, ERROR, not 'VERBOSE'");
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "INFO", "always", "throughput"))
                .hasMessage("toolgate.operator.sidecar.image-pull-policy must be one of Always, IfNotPresent, Never, not 'always'");
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "INFO", "Always", "tiny"))
                .hasMessage("toolgate.operator.sidecar.jvm-profile must be throughput or small, not 'tiny'");
    }

    @Test
    void theRedirectNeedsAnInitImage() {
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "INFO", "Always", "throughput",
                true, " ")).hasMessage("toolgate.operator.sidecar.init-image must be set when redirect-inbound is on");
        assertThat(new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "INFO", "Always", "throughput").redirectInbound())
                .isFalse();
    }

    @Test
    void runAsUserIsAUidOrLeftToThePlatform() {
        assertThat(SidecarSettings.runAsUser("65532")).isEqualTo(65532L);
        assertThat(SidecarSettings.runAsUser("unset")).isNull();
        assertThat(SidecarSettings.runAsUser("")).isNull();
        assertThatThrownBy(() -> SidecarSettings.runAsUser("nobody"))
                .hasMessage("toolgate.operator.sidecar.run-as-user must be a uid or 'unset', not 'nobody'");
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 0L, "INFO", "Always", "throughput"))
                .hasMessageStartingWith("toolgate.operator.sidecar.run-as-user must be a non-root uid (1 or more), not 0");
    }

    @Test
    void pullSecretsMustBeSecretNames() {
        assertThatThrownBy(() -> new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "INFO", "Always", "throughput",
                false, null, null, null, java.util.List.of("regcred", "Bad_Name")))
                .hasMessage("toolgate.operator.sidecar.image-pull-secrets: 'Bad_Name' is not a Secret name (lowercase letters, digits, '-' and '.', at most 253 characters)");
        assertThat(new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "INFO", "Always", "throughput",
                false, null, null, null, java.util.List.of("regcred", "registry.example.com")).imagePullSecrets())
                .containsExactly("regcred", "registry.example.com");
    }

    @Test
    void tracingNeedsAnHttpEndpointWithoutCredentialsAndAKnownProtocol() {
        assertThat(new SidecarSettings.Tracing("http://otel-collector.observability:4317", "grpc").otlpEndpoint())
                .isEqualTo("http://otel-collector.observability:4317");
        assertThat(new SidecarSettings.Tracing("https://collector.example/otlp", "http/protobuf").otlpProtocol()).isEqualTo("http/protobuf");
        assertThatThrownBy(() -> new SidecarSettings.Tracing("otel-collector:4317", "grpc"))
                .hasMessage("toolgate.operator.sidecar.tracing.otlp-endpoint must be an http:// or https:// URL without credentials, not 'otel-collector:4317'");
        assertThatThrownBy(() -> new SidecarSettings.Tracing("http://user:pw@collector:4318", "grpc"))
                .hasMessageStartingWith("toolgate.operator.sidecar.tracing.otlp-endpoint must be an http:// or https:// URL");
        assertThatThrownBy(() -> new SidecarSettings.Tracing("http://collector:4318", "http/json"))
                .hasMessage("toolgate.operator.sidecar.tracing.otlp-protocol must be grpc or http/protobuf, not 'http/json'");
        assertThat(new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "INFO", "Always", "throughput").tracing())
                .as("off unless an endpoint is set").isNull();
    }

    @Test
    void theDefaultInitImageIsTheSidecarsRepositoryNamedInit() {
        assertThat(SidecarSettings.defaultInitImage("ghcr.io/toolgate-dev/sidecar:0.1.0")).isEqualTo("ghcr.io/toolgate-dev/init:0.1.0");
        assertThat(SidecarSettings.defaultInitImage("registry:5000/tg/sidecar")).isEqualTo("registry:5000/tg/init");
        assertThatThrownBy(() -> SidecarSettings.defaultInitImage("sidecar@sha256:abc")).hasMessageContaining("pinned by digest");
    }

    /** {@code sidecar.counters.*} as the chart would set them. */
    record Counters(Backend backend, Optional<String> redisUrl, Optional<String> redisPasswordSecret, Optional<String> redisCaSecret,
            Optional<Duration> redisTimeout, FailMode redisFailMode) implements OperatorConfig.Sidecar.Counters {
        static Counters redis(String url) {
            return new Counters(Backend.REDIS, Optional.ofNullable(url), Optional.empty(), Optional.empty(), Optional.empty(), FailMode.CLOSED);
        }
    }

    @Test
    void counterDefaultsAreLocalOrAWorkingRedisAndABadOneNamesItsSetting() {
        assertThat(SidecarSettings.counterDefaults(new Counters(Backend.LOCAL, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), FailMode.CLOSED))).isNull();
        var redis = SidecarSettings.counterDefaults(new Counters(Backend.REDIS, Optional.of("rediss://redis.toolgate-system:6380"),
                Optional.of("toolgate-redis"), Optional.of("toolgate-redis-tls"), Optional.of(Duration.ofMillis(50)), FailMode.LOCAL));
        assertThat(redis.getRedis().getUrl()).isEqualTo("rediss://redis.toolgate-system:6380");
        assertThat(redis.getRedis().getPasswordSecretRef().getName()).isEqualTo("toolgate-redis");
        assertThat(redis.getRedis().getPasswordSecretRef().getKey()).isEqualTo("password");
        assertThat(redis.getRedis().getCaSecretRef().getKey()).isEqualTo("ca.crt");
        assertThat(redis.getRedis().getTimeout()).as("as the sidecar reads it").isEqualTo("50ms");
        assertThat(redis.getRedis().getFailMode()).isEqualTo(dev.toolgate.operator.mcppolicy.RedisCounters.FailMode.LOCAL);
        assertThatThrownBy(() -> SidecarSettings.counterDefaults(Counters.redis(null)))
                .hasMessage("toolgate.operator.sidecar.counters.redis-url is required with toolgate.operator.sidecar.counters.backend=redis");
        assertThatThrownBy(() -> SidecarSettings.counterDefaults(Counters.redis("redis://user:hunter2@redis:6379")))
                .hasMessageStartingWith("toolgate.operator.sidecar.counters.redis-url must be redis://host:port[/db] or rediss://host:port")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> SidecarSettings.counterDefaults(new Counters(Backend.REDIS, Optional.of("redis://redis:6379"),
                Optional.empty(), Optional.of("tls"), Optional.empty(), FailMode.CLOSED)))
                .hasMessageContaining("redis-ca-secret needs a rediss:// redis-url");
        assertThatThrownBy(() -> SidecarSettings.counterDefaults(new Counters(Backend.REDIS, Optional.of("redis://redis:6379"),
                Optional.empty(), Optional.empty(), Optional.of(Duration.ofMillis(1500).plusNanos(1)), FailMode.CLOSED)))
                .hasMessageStartingWith("toolgate.operator.sidecar.counters.redis-timeout must be a whole number of milliseconds");
    }
}
