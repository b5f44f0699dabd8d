package dev.toolgate.operator.injection;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.RateLimits;
import dev.toolgate.testsupport.GoldenFiles;
import io.fabric8.kubernetes.api.model.Pod;

/**
 * A pod and the McpPolicies of its namespace ({@code in-*.yaml}) → the decision and the pod as admitted
 * ({@code out-*.yaml}).
 */
class InjectionGoldenTest {

    static final SidecarSettings NATIVE = new SidecarSettings("ghcr.io/toolgate-dev/sidecar:test", 8090, true, "50m", "64Mi", "256Mi",
            65532L, "WARN", "Always", "throughput");

    record Input(@JsonProperty("nativeSidecar") Boolean nativeSidecar, @JsonProperty("redirectInbound") Boolean redirectInbound,
            @JsonProperty("counterDefaults") RateLimits counterDefaults, @JsonProperty("runAsUser") String runAsUser,
            @JsonProperty("imagePullSecrets") List<String> imagePullSecrets, @JsonProperty("otlpEndpoint") String otlpEndpoint,
            @JsonProperty("policies") List<McpPolicy> policies, @JsonProperty("pod") Pod pod) {
    }

    static Stream<GoldenFiles.Case> cases() {
        return GoldenFiles.cases("golden/injection");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void injects(GoldenFiles.Case golden) throws Exception {
        Input input = GoldenFiles.YAML.readValue(golden.input().toFile(), Input.class);
        boolean redirect = Boolean.TRUE.equals(input.redirectInbound());
        SidecarSettings settings = new SidecarSettings(NATIVE.image(), NATIVE.proxyPort(), !Boolean.FALSE.equals(input.nativeSidecar()),
                NATIVE.cpuRequest(), NATIVE.memoryRequest(), NATIVE.memoryLimit(),
                input.runAsUser() == null ? NATIVE.runAsUser() : SidecarSettings.runAsUser(input.runAsUser()), NATIVE.logLevel(),
                NATIVE.imagePullPolicy(), NATIVE.jvmProfile(), redirect, redirect ? "ghcr.io/toolgate-dev/init:test" : null,
                input.counterDefaults(), null, input.imagePullSecrets(),
                input.otlpEndpoint() == null ? null : new SidecarSettings.Tracing(input.otlpEndpoint(), "grpc"));
        InjectionDecision decision = InjectionDecision.decide(input.pod(), input.policies() == null ? List.of() : input.policies());
        Pod admitted = decision.inject() ? PodMutator.inject(input.pod(), decision.policy(), settings) : input.pod();
        Map<String, Object> output = new LinkedHashMap<>();
        output.put("reason", decision.reason().label());
        if (decision.inject()) {
            output.put("policy", decision.policy().getMetadata().getName());
            output.put("overruled", decision.overruled());
        }
        output.put("pod", admitted);
        GoldenFiles.assertMatches(golden, output);
    }
}
