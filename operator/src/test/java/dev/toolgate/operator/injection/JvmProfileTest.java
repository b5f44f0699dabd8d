package dev.toolgate.operator.injection;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.SidecarOverrides;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;

/** The operator's default JVM profile, and an McpPolicy's override of it, reach the injected sidecar's launcher. */
class JvmProfileTest {

    /** operator default | the policy's spec.sidecar.jvmProfile | JDK_JAVA_OPTIONS of the sidecar */
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "throughput | -          | -",
            "small      | -          | -XX:TieredStopAtLevel=1",
            "throughput | small      | -XX:TieredStopAtLevel=1",
            "small      | throughput | -",
    })
    void profileBecomesLauncherOptions(String operatorDefault, String policyProfile, String expected) {
        SidecarSettings settings = new SidecarSettings("img", 8090, true, "50m", "64Mi", "256Mi", 65532L, "INFO", "IfNotPresent",
                operatorDefault);
        McpPolicy policy = InjectionDecisionTest.policy("p", "mcp", "2026-01-01T00:00:00Z");
        if (policyProfile != null) {
            SidecarOverrides overrides = new SidecarOverrides();
            overrides.setJvmProfile(policyProfile);
            policy.getSpec().setSidecar(overrides);
        }
        Pod pod = PodMutator.inject(InjectionDecisionTest.pod(Map.of("app", "mcp"), Map.of()), policy, settings);

        Container sidecar = pod.getSpec().getInitContainers().stream().filter(c -> c.getName().equals("toolgate-sidecar")).findFirst()
                .orElseThrow();
        String options = sidecar.getEnv().stream().filter(e -> e.getName().equals("JDK_JAVA_OPTIONS")).map(EnvVar::getValue).findFirst()
                .orElse(null);
        assertThat(options).isEqualTo(expected);
    }
}
