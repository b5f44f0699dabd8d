package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The PromQL queries of the chart's Grafana dashboard, extracted so tests can run them in Prometheus. */
public final class DashboardQueries {

    /** One target of one panel. */
    public record Query(String panel, String refId, String expr, boolean instant) {

        /** The expression with Grafana's variables replaced, as Grafana would send it for "All namespaces". */
        public String executable(String rateInterval, String range) {
            return expr.replace("$__rate_interval", rateInterval)
                    .replace("$__range", range)
                    .replace("$namespace", ".*");
        }
    }

    private DashboardQueries() {
    }

    public static Path dashboardFile() {
        return RenderedChart.chartDir().resolve("dashboards/toolgate.json");
    }

    public static JsonNode dashboard() {
        try {
            return new ObjectMapper().readTree(dashboardFile().toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Query> all() {
        List<Query> queries = new ArrayList<>();
        for (JsonNode panel : dashboard().path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new Query(panel.path("title").asText(), target.path("refId").asText(),
                        target.path("expr").asText(), target.path("instant").asBoolean(false)));
            }
        }
        return queries;
    }

    public static Map<String, Query> byPanelAndRef() {
        Map<String, Query> map = new java.util.LinkedHashMap<>();
        all().forEach(q -> map.put(q.panel() + "/" + q.refId(), q));
        return map;
    }
}
