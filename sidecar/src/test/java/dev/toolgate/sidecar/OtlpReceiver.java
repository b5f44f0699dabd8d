package dev.toolgate.sidecar;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * An OTLP/HTTP (protobuf) trace receiver on loopback, as a collector's {@code otlphttp} receiver is: it decodes every
 * {@code POST /v1/traces} with the OpenTelemetry protocol's own classes and keeps the spans, and counts every
 * connection made to it, so a test can tell that nothing was even attempted.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** One received span, ids in lower-case hex as W3C Trace Context writes them; {@code parentSpanId} empty for a root. */
    public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, String kind, Map<String, String> attributes,
                               String statusCode, String scope, Map<String, String> resource) {
        public String attribute(String key) {
            return attributes.get(key);
        }
    }

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger exports = new AtomicInteger();

    public OtlpReceiver() {
        server = vertx.createHttpServer().connectionHandler(c -> connections.incrementAndGet()).requestHandler(request -> {
            if (!request.path().equals("/v1/traces")) {
                request.response().setStatusCode(404).end();
                return;
            }
            request.body().onSuccess(body -> {
                try {
                    receive(ExportTraceServiceRequest.parseFrom(body.getBytes()));
                    exports.incrementAndGet();
                    request.response().putHeader("Content-Type", "application/x-protobuf")
                            .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
                } catch (Exception e) {
                    request.response().setStatusCode(400).end(String.valueOf(e));
                }
            });
        });
        try {
            server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void receive(ExportTraceServiceRequest request) {
        HexFormat hex = HexFormat.of();
        for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
            Map<String, String> resource = attributes(resourceSpans.getResource().getAttributesList());
            for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                for (var span : scopeSpans.getSpansList()) {
                    spans.add(new ReceivedSpan(hex.formatHex(span.getTraceId().toByteArray()), hex.formatHex(span.getSpanId().toByteArray()),
                            hex.formatHex(span.getParentSpanId().toByteArray()), span.getName(), span.getKind().name(),
                            attributes(span.getAttributesList()), span.getStatus().getCode().name(), scopeSpans.getScope().getName(), resource));
                }
            }
        }
    }

    private static Map<String, String> attributes(List<KeyValue> list) {
        return list.stream().collect(Collectors.toMap(KeyValue::getKey, kv -> text(kv.getValue()), (a, b) -> b));
    }

    private static String text(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> Long.toString(value.getIntValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            default -> value.toString();
        };
    }

    /** The endpoint to configure ({@code quarkus.otel.exporter.otlp.traces.endpoint}). */
    public String endpoint() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    /** The spans of one trace once {@code until} holds for them, or what came within the time (exports are batched). */
    public List<ReceivedSpan> trace(String traceId, Predicate<List<ReceivedSpan>> until) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            List<ReceivedSpan> mine = spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
            if (until.test(mine) || System.nanoTime() > deadline) {
                return mine;
            }
            Thread.sleep(20);
        }
    }

    /** TCP connections accepted since the start, export or not. */
    public int connections() {
        return connections.get();
    }

    /** Export requests decoded. */
    public int exports() {
        return exports.get();
    }

    @Override
    public void close() {
        vertx.close();
    }
}
