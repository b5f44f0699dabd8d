package dev.toolgate.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code helm lint --strict} with the real engine: warnings fail too. */
class ChartLintTest {

    @Test
    void chartPassesStrictLint() {
        LintResult result = new Helm(RenderedChart.chartDir()).lint().strict().call();

        assertThat(result.isFailed()).as("lint messages: %s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @Test
    void everyOptionalPartRendersWithoutErrors() {
        String manifests = RenderedChart.template("""
                certificates: {mode: certManager, certManager: {issuerRef: {name: ca, kind: ClusterIssuer}}}
                metrics: {podMonitor: {enabled: true}, serviceMonitor: {enabled: true}}
                grafana: {dashboard: {enabled: true}}
                workloadRestarts: {enabled: true}
                """).call();

        assertThat(RenderedChart.parse(manifests).kinds())
                .contains("Certificate", "PodMonitor", "ServiceMonitor", "ConfigMap");
    }
}
