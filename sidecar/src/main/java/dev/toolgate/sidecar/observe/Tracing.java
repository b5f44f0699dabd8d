package dev.toolgate.sidecar.observe;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;

import dev.toolgate.policy.Decision;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The sidecar's own spans: one per {@code tools/call} decision, a child of the request's server span (which Quarkus's
 * Vert.x instrumentation starts from the client's {@code traceparent}, as it starts the upstream call's client span).
 * Attributes name what decided, never the arguments. With tracing off ({@link TracingSwitch}) every method returns at
 * once and nothing is allocated.
 */
@Singleton // no client proxy: these run on every request
public class Tracing {
    /** The span of one decision. */
    public static final String DECISION_SPAN = "toolgate.decision";
    static final AttributeKey<String> TOOL = AttributeKey.stringKey("gen_ai.tool.name");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("rpc.jsonrpc.request_id");
    static final AttributeKey<String> DECISION = AttributeKey.stringKey("toolgate.decision");
    static final AttributeKey<String> ENFORCEMENT = AttributeKey.stringKey("toolgate.enforcement");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("toolgate.outcome");
    static final AttributeKey<String> RULE = AttributeKey.stringKey("toolgate.rule");
    static final AttributeKey<String> GRANT = AttributeKey.stringKey("toolgate.grant");
    static final AttributeKey<String> COUNTER = AttributeKey.stringKey("toolgate.counter");
    static final AttributeKey<String> APPROVAL = AttributeKey.stringKey("toolgate.approval");
    static final AttributeKey<String> POLICY = AttributeKey.stringKey("toolgate.policy");
    static final AttributeKey<String> POLICY_HASH = AttributeKey.stringKey("toolgate.policy.hash");

    /** The decision spans of one body, started together; {@link #NONE} when tracing is off or there is nothing to decide. */
    public static final class DecisionSpans {
        static final DecisionSpans NONE = new DecisionSpans(new Span[0]);
        private final Span[] spans;

        private DecisionSpans(Span[] spans) {
            this.spans = spans;
        }
    }

    private final boolean enabled;
    private final Tracer tracer;
    private final Set<String> propagationHeaders;
    private final String policyName;

    @Inject
    Tracing(OpenTelemetry openTelemetry, SidecarConfig config, @ConfigProperty(name = TracingSwitch.SDK_DISABLED) boolean sdkDisabled) {
        this(openTelemetry, config.policyName().orElse(null), !sdkDisabled);
    }

    /** @param policyName the McpPolicy enforced ({@code toolgate.policy-name}), named on every decision span; null when unset */
    public Tracing(OpenTelemetry openTelemetry, String policyName, boolean enabled) {
        this.enabled = enabled;
        this.tracer = openTelemetry.getTracer("dev.toolgate.sidecar");
        Set<String> headers = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        if (enabled) {
            headers.addAll(openTelemetry.getPropagators().getTextMapPropagator().fields());
        }
        this.propagationHeaders = Collections.unmodifiableSet(headers);
        this.policyName = policyName;
    }

    /** Whether spans are recorded and exported (toolgate.tracing.enabled). */
    public boolean enabled() {
        return enabled;
    }

    /**
     * The headers the propagators write ({@code traceparent}, {@code tracestate}, {@code baggage}); empty when tracing is
     * off. With tracing on, the client's copies are not forwarded: the upstream request carries the sidecar's client
     * span instead (the client's trace state and baggage carried on in it), once.
     */
    public Set<String> propagationHeaders() {
        return propagationHeaders;
    }

    /** The trace id of the current span (the request's server span), or null when tracing is off or there is none. */
    public String currentTraceId() {
        if (!enabled) {
            return null;
        }
        SpanContext span = Span.current().getSpanContext();
        return span.isValid() ? span.getTraceId() : null;
    }

    /** Starts one span per call of {@code prepared}, children of the current span (the request's). */
    public DecisionSpans start(EnforcementFilter.Prepared prepared) {
        if (!enabled || prepared.empty()) {
            return DecisionSpans.NONE;
        }
        Context parent = Context.current();
        List<ToolCall> calls = prepared.calls();
        Span[] spans = new Span[calls.size()];
        for (int i = 0; i < spans.length; i++) {
            spans[i] = tracer.spanBuilder(DECISION_SPAN).setParent(parent).setSpanKind(SpanKind.INTERNAL)
                    .setAttribute(TOOL, calls.get(i).tool()).startSpan();
        }
        return new DecisionSpans(spans);
    }

    /**
     * Ends the spans with what was decided: the verdict ({@code toolgate.decision}), whether the call went on
     * ({@code toolgate.outcome}: {@code forwarded}, {@code refused}, or {@code not_forwarded} when another call of the
     * batch was refused), the rule, grant, counter, approval state and the policy's hash. A fault marks them as errors.
     */
    public void end(DecisionSpans started, EnforcementFilter.Inspection inspection, Throwable fault, String policyHash) {
        if (started.spans.length == 0) {
            return;
        }
        List<CallDecision> decisions = inspection == null ? List.of() : inspection.decisions();
        boolean forwarded = inspection != null && inspection.forward();
        for (int i = 0; i < started.spans.length; i++) {
            Span span = started.spans[i];
            if (span.isRecording()) {
                if (policyName != null) {
                    span.setAttribute(POLICY, policyName);
                }
                if (policyHash != null) {
                    span.setAttribute(POLICY_HASH, policyHash);
                }
                if (fault != null || i >= decisions.size()) {
                    span.setStatus(StatusCode.ERROR, fault == null ? "not decided" : fault.getClass().getName());
                } else {
                    describe(span, decisions.get(i), forwarded);
                }
            }
            span.end();
        }
    }

    private static void describe(Span span, CallDecision call, boolean forwarded) {
        Decision d = call.decision();
        JsonNode id = call.id();
        if (id != null && id.isValueNode()) {
            span.setAttribute(REQUEST_ID, id.asText());
        }
        span.setAttribute(DECISION, d.verdict().label());
        span.setAttribute(ENFORCEMENT, d.enforcement());
        span.setAttribute(OUTCOME, !call.proceeds() ? "refused" : forwarded ? "forwarded" : "not_forwarded");
        span.setAttribute(RULE, d.rule());
        if (!d.grant().isEmpty()) {
            span.setAttribute(GRANT, d.grant());
        }
        if (d.counter() != null) {
            span.setAttribute(COUNTER, d.counter());
        }
        if (call.approval() != null && call.approval().state() != null) {
            span.setAttribute(APPROVAL, call.approval().state());
        }
        if ("error".equals(d.rule())) {
            span.setStatus(StatusCode.ERROR, "the policy could not be evaluated");
        }
    }
}
