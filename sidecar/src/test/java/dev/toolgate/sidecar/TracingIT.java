package dev.toolgate.sidecar;

import dev.toolgate.policy.Policy;
import dev.toolgate.sidecar.OtlpReceiver.ReceivedSpan;
import dev.toolgate.sidecar.enforce.PolicyHolder;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tracing on: the sidecar exports OTLP/HTTP to a receiver on loopback, which decodes the spans. Each call is a server
 * span continuing the client's trace, with the policy decision and (only when forwarded) the upstream call as its
 * children; the MCP server receives the traceparent of that client span, so its own spans join the same trace.
 */
@QuarkusTest
@TestProfile(Profiles.Tracing.class)
class TracingIT {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    PolicyHolder holder;

    @BeforeEach
    void setUp() {
        TestSupport.usePolicyResource(holder, "policies/everything.json");
        SidecarTestResource.recorder.mode(RecordingUpstream.Mode.PASS);
    }

    private static String hex(int bytes) {
        byte[] id = new byte[bytes];
        RANDOM.nextBytes(id);
        id[0] |= 1; // never all zeros
        return HexFormat.of().formatHex(id);
    }

    private static boolean has(List<ReceivedSpan> spans, String kind) {
        return spans.stream().anyMatch(s -> s.kind().equals(kind));
    }

    private static ReceivedSpan only(List<ReceivedSpan> spans, String kind) {
        List<ReceivedSpan> of = spans.stream().filter(s -> s.kind().equals(kind)).toList();
        assertThat(of).as("%s spans in %s", kind, spans).hasSize(1);
        return of.get(0);
    }

    @Test
    void anAllowedCallIsTheServerSpanWithTheDecisionAndTheUpstreamCallUnderIt() throws Exception {
        var session = new TestSupport.RawSession();
        String agent = "traced-" + UUID.randomUUID();
        String marker = "marker-" + UUID.randomUUID();
        String traceId = hex(16);
        String clientParent = hex(8);
        HttpResponse<String> answer = session.post("/mcp", TestSupport.callBody(11, "echo", "{\"message\":\"" + marker + "\"}"),
                Map.of("X-Agent-Id", agent, "traceparent", "00-" + traceId + "-" + clientParent + "-01", "tracestate", "vendor=opaque"));
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).contains("Echo: " + marker);

        List<ReceivedSpan> spans = SidecarTestResource.otlp.trace(traceId,
                s -> has(s, "SPAN_KIND_SERVER") && has(s, "SPAN_KIND_INTERNAL") && has(s, "SPAN_KIND_CLIENT"));
        ReceivedSpan server = only(spans, "SPAN_KIND_SERVER");
        ReceivedSpan decision = only(spans, "SPAN_KIND_INTERNAL");
        ReceivedSpan upstream = only(spans, "SPAN_KIND_CLIENT");
        assertThat(spans).hasSize(3);
        // the client's trace goes on in the sidecar: its span is the server span's parent
        assertThat(server.parentSpanId()).isEqualTo(clientParent);
        assertThat(server.attribute("http.request.method")).isEqualTo("POST");
        assertThat(server.attribute("url.path")).isEqualTo("/mcp");
        assertThat(server.attribute("http.response.status_code")).isEqualTo("200");

        assertThat(decision.name()).isEqualTo("toolgate.decision");
        assertThat(decision.parentSpanId()).isEqualTo(server.spanId());
        assertThat(decision.scope()).isEqualTo("dev.toolgate.sidecar");
        assertThat(decision.attributes()).containsEntry("gen_ai.tool.name", "echo")
                .containsEntry("rpc.jsonrpc.request_id", "11")
                .containsEntry("toolgate.decision", "allowed")
                .containsEntry("toolgate.enforcement", "enforce")
                .containsEntry("toolgate.outcome", "forwarded")
                .containsEntry("toolgate.rule", "tools[\"echo\"]")
                .containsEntry("toolgate.policy", "server-everything")
                .containsEntry("toolgate.policy.hash", holder.policy().map(Policy::hash).orElseThrow())
                .doesNotContainKeys("toolgate.grant", "toolgate.counter");

        assertThat(upstream.parentSpanId()).isEqualTo(server.spanId());
        assertThat(upstream.attribute("http.request.method")).isEqualTo("POST");
        assertThat(upstream.attribute("url.full")).isEqualTo("http://127.0.0.1:" + SidecarTestResource.recorder.port() + "/mcp");
        assertThat(upstream.attribute("http.response.status_code")).isEqualTo("200");
        assertThat(server.resource()).containsEntry("service.name", "toolgate-sidecar");

        // the MCP server got the sidecar's client span as its parent, once, with the client's trace state carried on
        List<RecordingUpstream.Received> received = SidecarTestResource.recorder.received().stream()
                .filter(r -> r.body().contains(marker)).toList();
        assertThat(received).hasSize(1);
        assertThat(received.get(0).headers().getAll("traceparent")).containsExactly("00-" + traceId + "-" + upstream.spanId() + "-01");
        assertThat(received.get(0).headers().getAll("tracestate")).containsExactly("vendor=opaque");

        // no span says what the arguments were
        assertThat(spans).allSatisfy(s -> assertThat(s.attributes().values()).noneMatch(v -> v.contains(marker)));
        // the audit line names the same trace
        List<JsonNode> lines = TestSupport.auditLinesOf(agent, 1);
        assertThat(lines).singleElement().satisfies(line -> assertThat(line.path("traceId").asText()).isEqualTo(traceId));
    }

    @Test
    void aDeniedCallHasItsDecisionSpanAndNoUpstreamSpan() throws Exception {
        var session = new TestSupport.RawSession();
        String traceId = hex(16);
        String clientParent = hex(8);
        HttpResponse<String> answer = session.post("/mcp", TestSupport.callBody(12, "get-env", "{}"),
                Map.of("traceparent", "00-" + traceId + "-" + clientParent + "-01"));
        assertThat(answer.body()).contains("-31001");

        // the server span ends last: once it is in, every span of the request was exported with it or before it
        List<ReceivedSpan> spans = SidecarTestResource.otlp.trace(traceId, s -> has(s, "SPAN_KIND_SERVER"));
        ReceivedSpan server = only(spans, "SPAN_KIND_SERVER");
        ReceivedSpan decision = only(spans, "SPAN_KIND_INTERNAL");
        assertThat(spans).noneMatch(s -> s.kind().equals("SPAN_KIND_CLIENT")).hasSize(2);
        assertThat(server.parentSpanId()).isEqualTo(clientParent);
        assertThat(decision.parentSpanId()).isEqualTo(server.spanId());
        assertThat(decision.attributes()).containsEntry("gen_ai.tool.name", "get-env")
                .containsEntry("toolgate.decision", "denied")
                .containsEntry("toolgate.outcome", "refused")
                .containsEntry("toolgate.rule", "tools[\"get-env\"]");
        assertThat(SidecarTestResource.recorder.received()).noneMatch(r -> r.body().contains("get-env"));
    }

    @Test
    void withoutTraceparentTheSidecarStartsTheTraceAndTheAuditLineNamesIt() throws Exception {
        var session = new TestSupport.RawSession();
        String agent = "untraced-" + UUID.randomUUID();
        String marker = "marker-" + UUID.randomUUID();
        HttpResponse<String> answer = session.post("/mcp", TestSupport.callBody(13, "echo", "{\"message\":\"" + marker + "\"}"),
                Map.of("X-Agent-Id", agent));
        assertThat(answer.statusCode()).isEqualTo(200);

        String traceId = TestSupport.auditLinesOf(agent, 1).get(0).path("traceId").asText();
        assertThat(traceId).hasSize(32);
        List<ReceivedSpan> spans = SidecarTestResource.otlp.trace(traceId, s -> has(s, "SPAN_KIND_SERVER"));
        ReceivedSpan server = only(spans, "SPAN_KIND_SERVER");
        ReceivedSpan upstream = only(spans, "SPAN_KIND_CLIENT");
        assertThat(server.parentSpanId()).as("a root span").isEmpty();
        RecordingUpstream.Received received = SidecarTestResource.recorder.received().stream().filter(r -> r.body().contains(marker))
                .findFirst().orElseThrow();
        assertThat(received.headers().getAll("traceparent")).containsExactly("00-" + traceId + "-" + upstream.spanId() + "-01");
    }

    @Test
    void healthAndMetricsAreNotTraced() throws Exception {
        TestSupport.rawMetrics();
        TestSupport.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(SidecarTestResource.managementUrl() + "/q/health/ready"))
                .build(), HttpResponse.BodyHandlers.ofString());
        // a traced request after them: once its spans are in, theirs would be too
        String traceId = hex(16);
        TestSupport.post("/mcp", TestSupport.callBody(14, "get-env", "{}"), Map.of("traceparent", "00-" + traceId + "-" + hex(8) + "-01"));
        assertThat(SidecarTestResource.otlp.trace(traceId, s -> has(s, "SPAN_KIND_SERVER"))).isNotEmpty();
        assertThat(SidecarTestResource.otlp.spans()).noneMatch(s -> String.valueOf(s.attribute("url.path")).startsWith("/q/"));
    }
}
