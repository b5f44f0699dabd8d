package dev.toolgate.sidecar.observe;

import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Verdict;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import dev.toolgate.sidecar.mcp.JsonRpcParser;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The decision spans' tree and attributes, on the OpenTelemetry SDK with an in-memory exporter. */
class TracingTest {
    private final List<SpanData> exported = new CopyOnWriteArrayList<>();
    private final SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            exported.addAll(spans);
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    })).build();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider)
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
    private final Tracing tracing = new Tracing(sdk, "payments", true);

    @AfterEach
    void close() {
        sdk.close();
    }

    private static EnforcementFilter.Prepared prepared(String body) throws Exception {
        return EnforcementFilter.prepare(JsonRpcParser.parse(body.getBytes(StandardCharsets.UTF_8)), null, "test", Caller.fromHeader("alice"), "s1");
    }

    private SpanData span(String tool) {
        return exported.stream().filter(s -> tool.equals(s.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.name")))).findFirst()
                .orElseThrow(() -> new AssertionError("no span for " + tool + " in " + exported));
    }

    private static String attribute(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }

    @Test
    void aBatchGetsOneSpanPerCallUnderTheCurrentSpanNamingWhatDecidedNeverTheArguments() throws Exception {
        var prepared = prepared("""
                [{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","arguments":{"q":"s3cret-value"}}},
                 {"jsonrpc":"2.0","id":"b","method":"tools/call","params":{"name":"refund","arguments":{"amount":5}}},
                 {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"write","arguments":{}}}]""");
        Span request = sdk.getTracer("test").spanBuilder("POST").startSpan();
        Tracing.DecisionSpans spans;
        try (Scope ignored = request.makeCurrent()) {
            assertThat(tracing.currentTraceId()).isEqualTo(request.getSpanContext().getTraceId());
            spans = tracing.start(prepared);
        }
        var inspection = new EnforcementFilter.Inspection(List.of(
                new CallDecision(IntNode.valueOf(1), "read", null, new Decision(Verdict.ALLOWED, "read", "tools[\"read\"]", "allowed", null, 0)),
                new CallDecision(TextNode.valueOf("b"), "refund", null,
                        new Decision(Verdict.DENIED, "refund", "grants[0].tools[\"refund\"].deny_if[0]", "too much", null, 0, "finance")),
                new CallDecision(IntNode.valueOf(3), "write", null,
                        new Decision(Verdict.RATE_LIMITED, "write", "tools[\"write\"].limits[0]", "slow down", "writes", 7))));
        tracing.end(spans, inspection, null, "abc123");
        request.end();

        assertThat(exported).hasSize(4);
        for (String tool : List.of("read", "refund", "write")) {
            SpanData span = span(tool);
            assertThat(span.getName()).isEqualTo("toolgate.decision");
            assertThat(span.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
            assertThat(span.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
            assertThat(attribute(span, "toolgate.policy")).isEqualTo("payments");
            assertThat(attribute(span, "toolgate.policy.hash")).isEqualTo("abc123");
            assertThat(attribute(span, "toolgate.enforcement")).isEqualTo("enforce");
            assertThat(span.getAttributes().asMap().values()).noneMatch(v -> String.valueOf(v).contains("s3cret"));
        }
        SpanData read = span("read");
        assertThat(attribute(read, "toolgate.decision")).isEqualTo("allowed");
        assertThat(attribute(read, "toolgate.outcome")).as("held back: another call of the batch was refused").isEqualTo("not_forwarded");
        assertThat(attribute(read, "rpc.jsonrpc.request_id")).isEqualTo("1");
        assertThat(attribute(read, "toolgate.grant")).isNull();
        SpanData refund = span("refund");
        assertThat(attribute(refund, "toolgate.decision")).isEqualTo("denied");
        assertThat(attribute(refund, "toolgate.outcome")).isEqualTo("refused");
        assertThat(attribute(refund, "toolgate.grant")).isEqualTo("finance");
        assertThat(attribute(refund, "toolgate.rule")).isEqualTo("grants[0].tools[\"refund\"].deny_if[0]");
        assertThat(attribute(refund, "rpc.jsonrpc.request_id")).isEqualTo("b");
        SpanData write = span("write");
        assertThat(attribute(write, "toolgate.decision")).isEqualTo("rate_limited");
        assertThat(attribute(write, "toolgate.counter")).isEqualTo("writes");
        assertThat(write.getStatus().getStatusCode()).as("a refusal is a decision, not an error").isEqualTo(StatusCode.UNSET);
    }

    @Test
    void aShadowedRefusalIsForwardedAndSaysSo() throws Exception {
        var prepared = prepared("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"drop\",\"arguments\":{}}}");
        var spans = tracing.start(prepared);
        tracing.end(spans, new EnforcementFilter.Inspection(List.of(new CallDecision(IntNode.valueOf(1), "drop", null,
                new Decision(Verdict.DENIED, "drop", "tools[\"drop\"]", "no", null, 0, "", null, false)))), null, "h");
        SpanData drop = span("drop");
        assertThat(attribute(drop, "toolgate.decision")).isEqualTo("denied");
        assertThat(attribute(drop, "toolgate.enforcement")).isEqualTo("audit");
        assertThat(attribute(drop, "toolgate.outcome")).isEqualTo("forwarded");
        assertThat(drop.getParentSpanId()).as("no current span: a root").isEqualTo("0000000000000000");
    }

    @Test
    void aFaultOrAnEngineErrorMarksTheSpanAsAnError() throws Exception {
        var prepared = prepared("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"arguments\":{}}}");
        tracing.end(tracing.start(prepared), null, new IllegalStateException("boom"), null);
        assertThat(span("x").getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(attribute(span("x"), "toolgate.policy.hash")).isNull();

        exported.clear();
        tracing.end(tracing.start(prepared), new EnforcementFilter.Inspection(List.of(new CallDecision(IntNode.valueOf(1), "x", null,
                new Decision(Verdict.DENIED, "x", "error", "the policy could not be evaluated: boom", null, 0)))), null, "h");
        assertThat(span("x").getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    @Test
    void offItRecordsNothingAndTakesNoHeaderFromTheClient() throws Exception {
        Tracing off = new Tracing(OpenTelemetry.noop(), "payments", false);
        var prepared = prepared("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"arguments\":{}}}");
        Span request = sdk.getTracer("test").spanBuilder("POST").startSpan();
        try (Scope ignored = request.makeCurrent()) {
            assertThat(off.currentTraceId()).isNull();
            off.end(off.start(prepared), EnforcementFilter.Inspection.NONE, null, "h");
        }
        assertThat(exported).isEmpty();
        assertThat(off.propagationHeaders()).isEmpty();
        assertThat(tracing.propagationHeaders()).containsExactlyInAnyOrder("traceparent", "tracestate");
        assertThat(tracing.propagationHeaders().contains("TraceParent")).as("header names in any case").isTrue();
    }

    @Test
    void aBodyWithoutToolCallsHasNoDecisionSpan() throws Exception {
        var prepared = prepared("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        tracing.end(tracing.start(prepared), EnforcementFilter.Inspection.NONE, null, "h");
        assertThat(exported).isEmpty();
    }
}
