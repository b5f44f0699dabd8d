package dev.toolgate.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The chart's PrometheusRule, rendered by the real Helm engine, run by Prometheus' own rule engine ({@code promtool
 * check rules} and {@code promtool test rules}, Debian's prometheus package) over series shaped like the sidecar's and
 * the operator's metrics as a PodMonitor/ServiceMonitor scrape labels them: each alert fires for exactly the series
 * it is about, with its labels and annotations, and stays silent for the healthy ones.
 */
class PrometheusRuleIT {

    private static final String SERIES = """
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="get-env",decision="denied",grant=""}'
              values: '0+120x30'
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="echo",decision="allowed",grant=""}'
              values: '0+60x30'
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="echo",decision="rate_limited",grant=""}'
              values: '0+30x30'
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="get-sum",decision="allowed",grant=""}'
              values: '0+60x30'
            - series: 'toolgate_tool_calls_total{namespace="demo",pod="p1",tool="get-sum",decision="denied",grant=""}'
              values: '0+6x30'
            - series: 'toolgate_policy_reloads_total{namespace="demo",pod="p1",result="success"}'
              values: '1x30'
            - series: 'toolgate_policy_info{namespace="demo",pod="p1",hash="h1"}'
              values: '1x30'
            - series: 'toolgate_policy_reloads_total{namespace="demo",pod="p2",result="failure"}'
              values: '1x30'
            - series: 'toolgate_counter_store_up{namespace="demo",pod="p1"}'
              values: '1x30'
            - series: 'toolgate_counter_store_up{namespace="demo",pod="p3"}'
              values: '0x30'
            - series: 'toolgate_operator_approvals_pending{namespace="toolgate-system",pod="op"}'
              values: '0x5 1x25'
            - series: 'toolgate_operator_unprotected_pods{namespace="toolgate-system",pod="op-a",policy_namespace="demo",policy="shop"}'
              values: '0x5 2x25'
            - series: 'toolgate_operator_unprotected_pods{namespace="toolgate-system",pod="op-b",policy_namespace="demo",policy="shop"}'
              values: '0x5 2x25'
            - series: 'toolgate_operator_unprotected_pods{namespace="toolgate-system",pod="op-a",policy_namespace="demo",policy="guarded"}'
              values: '0x30'
            """;

    private static final String ALERTS = """
            - eval_time: 25m
              alertname: ToolgateDenialsSpiking
              exp_alerts:
                - exp_labels: {severity: warning, namespace: demo, tool: get-env}
                  exp_annotations:
                    summary: Tool get-env in demo is refused 2 times a second
                    description: An agent keeps calling a tool the policy refuses; see the sidecar's audit log (kubectl logs -c toolgate-sidecar) for who and why.
            - eval_time: 25m
              alertname: ToolgateRateLimitSaturated
              exp_alerts:
                - exp_labels: {severity: warning, namespace: demo, tool: echo}
                  exp_annotations:
                    summary: More than 20% of the calls of echo in demo are rate limited
                    description: The tool's limit is saturated; an agent is looping, or the limit is too low for real use.
            - eval_time: 25m
              alertname: ToolgateSidecarWithoutPolicy
              exp_alerts:
                - exp_labels: {severity: critical, namespace: demo, pod: p2}
                  exp_annotations:
                    summary: 'The sidecar of demo/p2 has no valid policy: it refuses every tool call'
                    description: Check the McpPolicy's status (kubectl get mcppolicies) and the sidecar's log.
            - eval_time: 25m
              alertname: ToolgateCounterStoreDown
              exp_alerts:
                - exp_labels: {severity: critical, namespace: demo, pod: p3}
                  exp_annotations:
                    summary: The sidecar of demo/p3 cannot reach its Redis
                    description: Calls with shared limits are refused (failMode closed) or counted per sidecar (failMode local) until Redis answers.
            - eval_time: 8m
              alertname: ToolgateUnprotectedPods
              exp_alerts: []
            - eval_time: 25m
              alertname: ToolgateUnprotectedPods
              exp_alerts:
                - exp_labels: {severity: critical, policy_namespace: demo, policy: shop}
                  exp_annotations:
                    summary: 2 pods selected by McpPolicy demo/shop run without the Toolgate sidecar
                    description: 'Their tool calls are not checked. kubectl describe mcppolicy shop -n demo names them; pods started before the policy or the webhook need a restart (spec.restartUnprotected).'
            - eval_time: 15m
              alertname: ToolgateApprovalsWaiting
              exp_alerts: []
            - eval_time: 25m
              alertname: ToolgateApprovalsWaiting
              exp_alerts:
                - exp_labels: {severity: info}
                  exp_annotations:
                    summary: 1 tool calls wait for a human approval
                    description: 'kubectl get mcpapprovals -A; decide with kubectl toolgate approve|reject NAME -n NAMESPACE'
            """;

    @Test
    void everyAlertFiresForWhatItIsAboutAndNothingElse() throws Exception {
        JsonNode rule = RenderedChart.render("metrics: {prometheusRule: {enabled: true, labels: {release: prometheus}}}")
                .get("PrometheusRule", "toolgate");
        assertThat(rule.at("/metadata/labels/release").asText()).isEqualTo("prometheus");
        ObjectNode rules = RenderedChart.YAML.createObjectNode();
        rules.set("groups", rule.at("/spec/groups"));
        Path dir = Files.createDirectories(Path.of("target", "promtool"));
        Path rulesFile = dir.resolve("toolgate-rules.yaml");
        Files.writeString(rulesFile, RenderedChart.YAML.writeValueAsString(rules));

        Promtool.Result check = Promtool.run("check", "rules", rulesFile.toString());
        assertThat(check.exitCode()).as("promtool check rules:%n%s", check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS: 6 rules found");

        String tests = "rule_files: [" + rulesFile.getFileName() + "]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n"
                + SERIES.indent(6) + "    alert_rule_test:\n" + ALERTS.indent(6);
        Path testFile = dir.resolve("toolgate-rules-test.yaml");
        Files.writeString(testFile, tests);
        Promtool.Result test = Promtool.run("test", "rules", testFile.toString());
        assertThat(test.exitCode()).as("promtool test rules %s:%n%s", testFile, test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }

    @Test
    void offByDefault() {
        assertThat(RenderedChart.render("").summary()).noneMatch(s -> s.startsWith("PrometheusRule/"));
    }
}
