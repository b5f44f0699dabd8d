package dev.toolgate.sidecar.observe;

import dev.toolgate.sidecar.SidecarConfig;

import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.Verdict;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The sidecar's Prometheus metrics (names in docs/CONTRACTS.md). */
@Singleton // no client proxy: these run on every request
public class ToolCallMetrics {

    private final MeterRegistry registry;
    private final ToolLabels labels;
    private Gauge policyInfo;
    // Meters resolved once per label: registering through a builder on every call costs an id, tag sorting and a map
    // lookup (and, for the histogram, its config). Labels are bounded (ToolLabels), so these maps are too.
    private final Map<Verdict, Map<String, Counter>> callCounters = new EnumMap<>(Verdict.class);
    private final Map<Verdict, Map<String, Counter>> shadowCounters = new EnumMap<>(Verdict.class);
    private final Map<String, Timer> upstreamTimers = new ConcurrentHashMap<>();
    private final Map<String, Counter> definitionChanges = new ConcurrentHashMap<>();
    private final Map<String, Counter> definitionReverifications = new ConcurrentHashMap<>();
    private final Map<RefusalReason, Counter> refusals = new EnumMap<>(RefusalReason.class);

    @Inject
    public ToolCallMetrics(MeterRegistry registry, SidecarConfig config) {
        this.registry = registry;
        this.labels = new ToolLabels(config.maxToolLabels());
        for (Verdict v : Verdict.values()) {
            callCounters.put(v, new ConcurrentHashMap<>());
            shadowCounters.put(v, new ConcurrentHashMap<>());
        }
        // Pre-register every series a dashboard expects, so they exist at zero before the first event.
        Arrays.stream(Verdict.values()).forEach(v -> callCounter(ToolLabels.OTHER, v, ""));
        Arrays.stream(Verdict.values()).forEach(v -> shadowCounter(ToolLabels.OTHER, v, ""));
        reloads("success");
        reloads("failure");
        for (String kind : new String[] {"connect", "timeout", "reset", "status"}) {
            upstreamErrors(kind);
        }
        for (RefusalReason reason : RefusalReason.values()) {
            refusals.put(reason, Counter.builder("toolgate.refused")
                    .description("Requests and server messages refused before any policy decision, by reason")
                    .tag("reason", reason.label())
                    .register(registry));
        }
    }

    /** A request (or a server-to-client message) the sidecar refused to pass because it could not be inspected safely. */
    public void refused(RefusalReason reason) {
        refusals.get(reason).increment();
    }

    public ToolLabels labels() {
        return labels;
    }

    /**
     * One decided call: {@code toolgate_tool_calls_total} by what the sidecar did with it (a call in audit mode goes
     * ahead, so it counts as {@code allowed} there) and, in audit mode, {@code toolgate_shadow_decisions_total} by its
     * would-be verdict. The grant is a name from the policy ({@code ""} for the document's own entries).
     */
    public void decided(String tool, Decision decision) {
        String label = labels.label(tool);
        String grant = decision.grant() == null ? "" : decision.grant();
        if (decision.enforced()) {
            callCounter(label, decision.verdict(), grant).increment();
            return;
        }
        callCounter(label, Verdict.ALLOWED, grant).increment();
        shadowCounter(label, decision.verdict(), grant).increment();
    }

    /** The upstream latency histogram's buckets (plus +Inf). */
    static final Duration[] UPSTREAM_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofSeconds(60), Duration.ofSeconds(120)};

    public void upstreamDuration(String tool, long nanos) {
        upstreamTimers.computeIfAbsent(labels.label(tool), this::upstreamTimer).record(nanos, TimeUnit.NANOSECONDS);
    }

    private Timer upstreamTimer(String label) {
        return Timer.builder("toolgate.upstream.duration")
                .description("Time the MCP server took to answer allowed tools/call requests")
                .tag("tool", label)
                // explicit buckets that fit a proxy's upstream (1 ms to 2 min): 16 series per tool, where Micrometer's
                // percentile histogram gives 70 and more, which a server with a hundred tools multiplies
                .serviceLevelObjectives(UPSTREAM_BUCKETS)
                .register(registry);
    }

    /**
     * A pinned tool's announced definition moved away from its pin ({@code toolgate_tool_definition_changes_total}):
     * once per change, not per listing. The tool is a pinned name of the policy, so the label stays bounded.
     */
    public void definitionChanged(String tool) {
        definitionChanges.computeIfAbsent(labels.label(tool), label -> Counter.builder("toolgate.tool.definition.changes")
                .description("Changes of a pinned tool's definition announced in tools/list, away from its pin")
                .tag("tool", label)
                .register(registry)).increment();
    }

    /**
     * A pinned tool unverified by {@code notifications/tools/list_changed} announced again: {@code result} is
     * {@code verified} (its pinned definition) or {@code changed}. Bounded: pinned names × 2.
     */
    public void definitionReverified(String tool, boolean matches) {
        String result = matches ? "verified" : "changed";
        definitionReverifications.computeIfAbsent(labels.label(tool) + "\n" + result, key -> Counter.builder("toolgate.tool.definition.reverifications")
                .description("Pinned tools announced again in tools/list after notifications/tools/list_changed, by outcome")
                .tag("tool", labels.label(tool))
                .tag("result", result)
                .register(registry)).increment();
    }

    public void upstreamError(String kind) {
        upstreamErrors(kind).increment();
    }

    public synchronized void policyLoaded(Policy policy) {
        reloads("success").increment();
        labels.policyNames(policy.exactToolNames());
        if (policyInfo != null) {
            registry.remove(policyInfo);
        }
        policyInfo = Gauge.builder("toolgate.policy.info", () -> 1)
                .description("The loaded policy; its hash is the label")
                .tag("hash", policy.hash())
                .register(registry);
    }

    public void policyReloadFailed() {
        reloads("failure").increment();
    }

    private Counter callCounter(String tool, Verdict decision, String grant) {
        return counter(callCounters, "toolgate.tool.calls",
                "tools/call requests decided, by tool, decision and the grant that decided (empty: the policy's own entries)", tool, decision, grant);
    }

    private Counter shadowCounter(String tool, Verdict decision, String grant) {
        return counter(shadowCounters, "toolgate.shadow.decisions",
                "tools/call requests decided in audit mode (enforcement: audit) and forwarded, by tool, would-be decision and grant", tool, decision,
                grant);
    }

    private Counter counter(Map<Verdict, Map<String, Counter>> counters, String name, String description, String tool, Verdict decision,
            String grant) {
        // keyed by the tool label alone without a grant (no key built on the common path); grant names hold no newline
        String key = grant.isEmpty() ? tool : grant + "\n" + tool;
        return counters.get(decision).computeIfAbsent(key, k -> Counter.builder(name)
                .description(description)
                .tag("tool", tool)
                .tag("decision", decision.label())
                .tag("grant", grant)
                .register(registry));
    }

    private Counter reloads(String result) {
        return Counter.builder("toolgate.policy.reloads")
                .description("Policy file loads, by result")
                .tag("result", result)
                .register(registry);
    }

    private Counter upstreamErrors(String kind) {
        return Counter.builder("toolgate.upstream.errors")
                .description("Failures talking to the MCP server, by kind")
                .tag("kind", kind)
                .register(registry);
    }
}
