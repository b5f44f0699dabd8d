package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's shape: the panels the issue asks for, queries on the contract's metrics only. */
class DashboardTest {

    /** docs/CONTRACTS.md, the sidecar's and the operator's metrics (histograms appear as their _bucket series). */
    private static final Set<String> CONTRACT_METRICS = Set.of(
            "toolgate_tool_calls_total",
            "toolgate_upstream_duration_seconds_bucket",
            "toolgate_policy_reloads_total",
            "toolgate_policy_info",
            "toolgate_upstream_errors_total",
            "toolgate_shadow_decisions_total",
            "toolgate_approvals_total",
            "toolgate_operator_unprotected_pods",
            "toolgate_tool_definition_changes_total");
    private static final Pattern METRIC = Pattern.compile("\\btoolgate_[a-z_]+");

    @Test
    void hasThePanelsOperatorsNeed() {
        assertThat(DashboardQueries.dashboard().path("panels")).extracting(p -> p.path("title").asText()).containsExactly(
                "Tool calls by decision",
                "Denials by tool and decision",
                "Rate-limited calls by tool",
                "Upstream latency by tool (p50, p99)",
                "Upstream errors",
                "Policy reloads",
                "Loaded policy hash per pod",
                "Shadow decisions (audit mode) by tool and decision",
                "Approvals by outcome",
                "Pods running without the sidecar, by policy",
                "Pinned tool definition changes");
    }

    @Test
    void queriesUseOnlyTheSidecarsContractMetrics() {
        List<DashboardQueries.Query> queries = DashboardQueries.all();
        assertThat(queries).hasSize(12);
        for (DashboardQueries.Query query : queries) {
            Matcher metric = METRIC.matcher(query.expr());
            assertThat(metric.find()).as("%s queries a toolgate metric", query.panel()).isTrue();
            do {
                assertThat(metric.group()).as("metric in %s", query.panel()).isIn(CONTRACT_METRICS);
            } while (metric.find());
            assertThat(query.expr()).as("%s filters by the namespace variable", query.panel()).contains("namespace=~\"$namespace\"");
        }
    }

    @Test
    void latencyPanelShowsP50AndP99FromTheHistogram() {
        assertThat(DashboardQueries.all()).filteredOn(q -> q.panel().startsWith("Upstream latency"))
                .extracting(DashboardQueries.Query::expr)
                .containsExactly(
                        "histogram_quantile(0.5, sum by (tool, le) (rate(toolgate_upstream_duration_seconds_bucket{namespace=~\"$namespace\"}[$__rate_interval])))",
                        "histogram_quantile(0.99, sum by (tool, le) (rate(toolgate_upstream_duration_seconds_bucket{namespace=~\"$namespace\"}[$__rate_interval])))");
    }

    @Test
    void denialPanelSaysReasonsAreInTheAuditLog() {
        JsonNode denials = panel("Denials by tool and decision");
        assertThat(denials.path("description").asText()).contains("audit log");
    }

    @Test
    void everyPanelUsesTheDatasourceVariableAndHasAUniqueId() {
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : DashboardQueries.dashboard().path("panels")) {
            assertThat(ids.add(panel.path("id").asInt())).as("unique id %s", panel.path("id")).isTrue();
            assertThat(panel.at("/datasource/uid").asText()).isEqualTo("${datasource}");
            panel.path("targets").forEach(t -> assertThat(t.at("/datasource/uid").asText()).isEqualTo("${datasource}"));
        }
        assertThat(DashboardQueries.dashboard().at("/templating/list")).extracting(v -> v.path("name").asText())
                .containsExactly("datasource", "namespace");
        assertThat(DashboardQueries.dashboard().path("uid").asText()).isEqualTo("toolgate");
    }

    private static JsonNode panel(String title) {
        for (JsonNode panel : DashboardQueries.dashboard().path("panels")) {
            if (title.equals(panel.path("title").asText())) {
                return panel;
            }
        }
        throw new AssertionError("no panel " + title);
    }
}
