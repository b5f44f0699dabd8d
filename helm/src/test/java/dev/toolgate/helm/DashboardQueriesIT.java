package dev.toolgate.helm;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Executes every PromQL query of the dashboard in Prometheus' own engine ({@code promtool test rules}, Debian's
 * prometheus package) over series shaped like the sidecar's metrics as a PodMonitor scrape labels them
 * (namespace, pod), and asserts the exact series each returns. Grafana's variables are substituted as Grafana
 * does for "All namespaces" ($__rate_interval = 5m, $__range = 10m).
 * <p>
 * The input is synthetic (written here, in the shape docs/CONTRACTS.md gives); the end-to-end test against a
 * scraped real sidecar is listed as not done in helm/README.md.
 */
class DashboardQueriesIT {

    private static final String SERIES = """
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="echo",decision="allowed"}'
              values: '0+60x10'
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="echo",decision="rate_limited"}'
              values: '0+6x10'
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="get-env",decision="denied"}'
              values: '0+30x10'
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="get-sum",decision="invalid_arguments"}'
              values: '0+12x10'
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="update_amount",decision="approval_required"}'
              values: '0+3x10'
            - series: 'toolgate_shadow_decisions_total{namespace="demo",pod="p1",tool="create_issue",decision="rate_limited",grant=""}'
              values: '0+6x10'
            - series: 'toolgate_shadow_decisions_total{namespace="demo",pod="p1",tool="create_issue",decision="allowed",grant=""}'
              values: '0+60x10'
            - series: 'toolgate_shadow_decisions_total{namespace="demo",pod="p1",tool="push_files",decision="denied",grant=""}'
              values: '0+3x10'
            - series: 'toolgate_shadow_decisions_total{namespace="demo",pod="p2",tool="push_files",decision="denied",grant="ops"}'
              values: '0+3x10'
            - series: 'toolgate_upstream_duration_seconds_bucket{namespace="demo",pod="p1",tool="echo",le="0.05"}'
              values: '0+0x10'
            - series: 'toolgate_upstream_duration_seconds_bucket{namespace="demo",pod="p1",tool="echo",le="0.1"}'
              values: '0+3000x10'
            - series: 'toolgate_upstream_duration_seconds_bucket{namespace="demo",pod="p1",tool="echo",le="0.25"}'
              values: '0+5940x10'
            - series: 'toolgate_upstream_duration_seconds_bucket{namespace="demo",pod="p1",tool="echo",le="+Inf"}'
              values: '0+6000x10'
            - series: 'toolgate_upstream_errors_total{namespace="demo",pod="p1",kind="connect"}'
              values: '0+3x10'
            - series: 'toolgate_policy_reloads_total{namespace="demo",pod="p1",result="success"}'
              values: '1 1 1 1 1 2 2 2 2 2 2'
            - series: 'toolgate_policy_reloads_total{namespace="demo",pod="p1",result="failure"}'
              values: '0 0 0 0 0 0 0 0 0 0 0'
            - series: 'toolgate_policy_info{namespace="demo",pod="p1",hash="9f2c"}'
              values: '1x10'
            - series: 'toolgate_policy_info{namespace="demo",pod="p2",hash="41ab"}'
              values: '1x10'
            - series: 'toolgate_approvals_total{namespace="demo",pod="p1",outcome="pending"}'
              values: '0+6x10'
            - series: 'toolgate_approvals_total{namespace="demo",pod="p2",outcome="pending"}'
              values: '0+6x10'
            - series: 'toolgate_approvals_total{namespace="demo",pod="p1",outcome="admitted"}'
              values: '0+3x10'
            - series: 'toolgate_approvals_total{namespace="other",pod="o1",outcome="rejected"}'
              values: '0+60x10'
            - series: 'toolgate_operator_unprotected_pods{namespace="toolgate-system",pod="op-a",policy_namespace="demo",policy="shop"}'
              values: '2x10'
            - series: 'toolgate_operator_unprotected_pods{namespace="toolgate-system",pod="op-b",policy_namespace="demo",policy="shop"}'
              values: '2x10'
            - series: 'toolgate_operator_unprotected_pods{namespace="toolgate-system",pod="op-a",policy_namespace="demo",policy="guarded"}'
              values: '0x10'
            - series: 'toolgate_tool_definition_changes_total{namespace="demo",pod="p1",tool="echo"}'
              values: '0 0 0 1 1 1 1 1 1 1 1'
            - series: 'toolgate_tool_definition_changes_total{namespace="demo",pod="p2",tool="echo"}'
              values: '0 0 0 0 1 1 1 1 1 1 1'
            - series: 'toolgate_tool_definition_changes_total{namespace="demo",pod="p1",tool="get-sum"}'
              values: '0x10'
            """;

    /** Expected result of each query (panel title / refId) at 10m: series labels → value. */
    private static final Map<String, Map<String, String>> EXPECTED = Map.ofEntries(Map.entry(
            "Tool calls by decision/A", Map.of(
                    "{decision=\"allowed\"}", "1",
                    "{decision=\"rate_limited\"}", "0.1",
                    "{decision=\"denied\"}", "0.5",
                    "{decision=\"invalid_arguments\"}", "0.2",
                    "{decision=\"approval_required\"}", "0.05")),
            Map.entry("Denials by tool and decision/A", Map.of(
                    "{tool=\"get-env\",decision=\"denied\"}", "0.5",
                    "{tool=\"get-sum\",decision=\"invalid_arguments\"}", "0.2",
                    "{tool=\"update_amount\",decision=\"approval_required\"}", "0.05")),
            Map.entry("Rate-limited calls by tool/A", Map.of("{tool=\"echo\"}", "0.1")),
            Map.entry("Upstream latency by tool (p50, p99)/A", Map.of("{tool=\"echo\"}", "0.1")),
            Map.entry("Upstream latency by tool (p50, p99)/B", Map.of("{tool=\"echo\"}", "0.25")),
            Map.entry("Upstream errors/A", Map.of("{kind=\"connect\"}", "0.05")),
            Map.entry("Policy reloads/A", Map.of("{result=\"success\"}", "1", "{result=\"failure\"}", "0")),
            Map.entry("Loaded policy hash per pod/A", Map.of(
                    "{namespace=\"demo\",pod=\"p1\",hash=\"9f2c\"}", "1",
                    "{namespace=\"demo\",pod=\"p2\",hash=\"41ab\"}", "1")),
            // would-be allowed calls are left out; both pods' would-be denials of push_files add up
            Map.entry("Shadow decisions (audit mode) by tool and decision/A", Map.of(
                    "{tool=\"create_issue\",decision=\"rate_limited\"}", "0.1",
                    "{tool=\"push_files\",decision=\"denied\"}", "0.1")),
            // All namespaces: both pods' pending add up; another namespace's rejections count too
            Map.entry("Approvals by outcome/A", Map.of(
                    "{outcome=\"pending\"}", "0.2",
                    "{outcome=\"admitted\"}", "0.05",
                    "{outcome=\"rejected\"}", "1")),
            // the operator's replicas export the same series: max, so 2, not 4; a policy with none shows 0
            Map.entry("Pods running without the sidecar, by policy/A", Map.of(
                    "{policy_namespace=\"demo\",policy=\"shop\"}", "2",
                    "{policy_namespace=\"demo\",policy=\"guarded\"}", "0")),
            // both sidecars of demo saw echo change once; a tool that never changed is left out
            Map.entry("Pinned tool definition changes/A", Map.of("{namespace=\"demo\",tool=\"echo\"}", "2")));

    @Test
    void everyDashboardQueryReturnsTheExpectedSeriesInPrometheus() throws Exception {
        Map<String, DashboardQueries.Query> queries = DashboardQueries.byPanelAndRef();
        assertThat(queries.keySet()).as("every query has an expectation").containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());

        StringBuilder tests = new StringBuilder();
        for (var query : queries.entrySet()) {
            tests.append("      - expr: '").append(query.getValue().executable("5m", "10m").replace("'", "''")).append("'\n")
                    .append("        eval_time: 10m\n")
                    .append("        exp_samples:\n");
            for (var sample : EXPECTED.get(query.getKey()).entrySet()) {
                tests.append("          - labels: '").append(sample.getKey()).append("'\n")
                        .append("            value: ").append(sample.getValue()).append('\n');
            }
        }
        String file = "rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
                + SERIES.indent(6) + "    promql_expr_test:\n" + tests;
        Path testFile = Files.createDirectories(Path.of("target", "promtool")).resolve("dashboard-queries.yaml");
        Files.writeString(testFile, file);

        Promtool.Result result = Promtool.run("test", "rules", testFile.toString());

        assertThat(result.exitCode()).as("promtool test rules %s:%n%s", testFile, result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS");
    }

    @Test
    void aQueryThatReturnsOtherSeriesFails() throws Exception {
        // The check is not vacuous: promtool fails when a query's result differs from the expectation.
        String file = "rule_files: []\ntests:\n  - interval: 1m\n    input_series:\n" + SERIES.indent(6)
                + "    promql_expr_test:\n      - expr: 'sum by (tool) (toolgate_policy_info)'\n        eval_time: 10m\n"
                + "        exp_samples: []\n";
        Path testFile = Files.createDirectories(Path.of("target", "promtool")).resolve("negative-control.yaml");
        Files.writeString(testFile, file);

        assertThat(Promtool.run("test", "rules", testFile.toString()).exitCode()).isNotZero();
    }
}
