package dev.toolgate.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.toolgate.policy.PolicyModel.Action;
import dev.toolgate.policy.PolicyModel.DenyRule;
import dev.toolgate.policy.PolicyModel.Enforcement;
import dev.toolgate.policy.PolicyModel.Grant;
import dev.toolgate.policy.PolicyModel.LimitSpec;
import dev.toolgate.policy.PolicyModel.ToolEntry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A compiled policy: immutable, thread-safe, decides calls without taking locks on the hot path (the counter store locks
 * only the counters a call consumes). Decision order is POLICY.md's: 1. entry selection, 2. action deny, 3. args schema,
 * 4. deny_if, 5. require_approval, 6. limits, 7. allowed.
 *
 * <p>Steps 1–5 are pure and need nothing but the call; step 6 asks the {@link CounterStore}. {@link #evaluate} runs
 * steps 1–5 and states what the calls need from the store, so that the store may answer asynchronously (a round trip
 * to a shared store) before {@link Evaluation#complete} finishes the decisions. {@link #decide} and {@link #decideAll}
 * do the same on the calling thread, for a store that answers at once.
 *
 * <p>Step 1 first tries the {@code grants} in document order: the first grant that matches the caller and has an entry
 * for the tool decides with that entry (its name is the decision's {@link Decision#grant()}); when none does, the
 * document's own {@code tools}, then {@code default}, decide.
 *
 * <p>An entry in audit mode ({@code "enforcement": "audit"}, its own or the document's) decides exactly as it would
 * enforced, but its decisions say {@link Decision#enforced()} false: the caller forwards the call and reports the
 * verdict. Its limits count in shadow counters ({@link LimitDefinition#asShadow()}), kept apart from the enforced ones,
 * so a would-be {@code rate_limited} is accurate while enforced counters only ever see enforced calls.
 *
 * <p>A document's {@code baselines} ({@link PolicyDocument#baselines()}) are compiled as policies of their own, over the
 * same store under counter names of their own ({@code source:counter}), and every call is decided by every layer:
 * the strongest refusal wins, as {@link LayeredEvaluation} says. Only the document's own rules decide which tools are
 * pinned and whether denied tools are hidden; a tool a baseline never lets through counts as never callable.
 */
public final class Policy {

    /** Glob lookups are remembered for this many distinct tool names; beyond that, globs are matched on every call. */
    static final int GLOB_CACHE_SIZE = 4096;
    static final String DEFAULT_DENY = "no policy entry matches this tool and the default is deny";
    static final String LIMITER_FULL = "rate limited: the limiter is tracking its maximum number of keys and none has been idle for its window; retry later";
    static final String STORE_UNAVAILABLE = "rate limited: the rate-limit counters cannot be reached, so no call is admitted; retry later";
    private static final JsonNode EMPTY_ARGUMENTS = JsonNodeFactory.instance.objectNode();

    private final PolicyDocument document;
    private final boolean defaultDeny;
    private final boolean hideDeniedTools;
    /** The document's {@code enforcement} is {@code audit}: for its default and the entries without their own. */
    private final boolean audit;
    /** The document's own {@code tools}. */
    private final EntryTable tools;
    /** In document order; empty for a document without grants, which then decides exactly as before grants existed. */
    private final CompiledGrant[] grants;
    private final CounterStore store;
    /** The same store when it is the in-memory one, which {@link #decide} asks directly; otherwise null. */
    private final InMemoryCounterStore inMemory;
    private final Limits defaultLimits;
    private final Set<String> exactToolNames;
    /** Per pinned tool name: its pin and where it is written (the first entry naming it; all agree, validated). */
    private final Map<String, Pin> pins;
    private final Map<String, String> pinDigests;
    /** The baselines, compiled, in the order they are combined; their sources in the same order. */
    private final Policy[] baselines;
    private final List<String> baselineSources;

    private Policy(PolicyDocument document, CounterStore store) {
        PolicyModel model = document.model();
        this.document = document;
        this.store = store;
        this.inMemory = store instanceof InMemoryCounterStore local ? local : null;
        this.defaultDeny = model.defaultDeny();
        this.hideDeniedTools = model.hideDeniedTools();
        this.audit = model.enforcement() == Enforcement.AUDIT;
        this.defaultLimits = bind(store, model.limits(), List.of(), audit);
        Set<String> names = new LinkedHashSet<>();
        this.tools = new EntryTable(store, model.limits(), model.tools(), "", names, audit);
        this.grants = new CompiledGrant[model.grants().size()];
        for (int i = 0; i < grants.length; i++) {
            Grant grant = model.grants().get(i);
            grants[i] = new CompiledGrant(grant.name(), new GrantCallers(grant.subjects(), grant.groups()),
                    new EntryTable(store, model.limits(), grant.tools(), grant.name(), names, audit));
        }
        List<PolicyDocument.Baseline> layers = document.baselines();
        this.baselines = new Policy[layers.size()];
        List<String> sources = new ArrayList<>();
        for (int i = 0; i < baselines.length; i++) {
            PolicyDocument.Baseline baseline = layers.get(i);
            baselines[i] = new Policy(baseline.document(), new BaselineCounters(store, baseline.source()));
            names.addAll(baselines[i].exactToolNames);
            sources.add(baseline.source());
        }
        this.baselineSources = List.copyOf(sources);
        this.exactToolNames = Collections.unmodifiableSet(names);
        Map<String, Pin> pinned = new LinkedHashMap<>();
        List<ToolEntry> all = new ArrayList<>(model.tools());
        model.grants().forEach(grant -> all.addAll(grant.tools()));
        for (ToolEntry entry : all) {
            if (entry.pin() != null) {
                pinned.putIfAbsent(entry.name(), new Pin(entry.pin(), PolicyPaths.field(entry.path(), "pin")));
            }
        }
        this.pins = Collections.unmodifiableMap(pinned);
        Map<String, String> digests = new LinkedHashMap<>();
        pinned.forEach((name, pin) -> digests.put(name, pin.digest()));
        this.pinDigests = Collections.unmodifiableMap(digests);
    }

    /** A tool's pin: the digest its announced definition must have, and the path of the {@code pin} field. */
    record Pin(String digest, String path) {
    }

    /**
     * Top-level and entry limits, one per distinct counter: a call consumes each counter once even if named twice. In
     * audit mode ({@code shadow}) each is bound as its shadow counter.
     */
    private static Limits bind(CounterStore store, List<LimitSpec> top, List<LimitSpec> own, boolean shadow) {
        Map<String, LimitSpec> byCounter = new LinkedHashMap<>();
        for (List<LimitSpec> specs : List.of(top, own)) {
            for (LimitSpec spec : specs) {
                byCounter.putIfAbsent(spec.definition().counter(), spec);
            }
        }
        Limit[] limits = new Limit[byCounter.size()];
        CounterRef[] counters = new CounterRef[limits.length];
        int i = 0;
        for (LimitSpec spec : byCounter.values()) {
            LimitDefinition definition = spec.definition();
            counters[i] = store.bind(shadow ? definition.asShadow() : definition);
            if (counters[i] == null) {
                throw new IllegalStateException("the counter store returned no handle for counter " + PolicyPaths.quote(definition.counter()));
            }
            limits[i++] = new Limit(spec.path(), definition,
                    "rate limit exceeded: counter " + PolicyPaths.quote(definition.counter()) + " admits " + definition.describe());
        }
        return new Limits(limits, List.of(counters), shadow);
    }

    /** Compiles a validated document; its limits count in {@code store}. */
    public static Policy compile(PolicyDocument document, CounterStore store) {
        if (document == null || store == null) {
            throw new IllegalArgumentException("document and counter store are required");
        }
        return new Policy(document, store);
    }

    /** Convenience: parse, then compile. */
    public static Policy load(String json, CounterStore store) throws PolicyException {
        return compile(PolicyDocument.parse(json), store);
    }

    /** Decides a call now (wall clock). */
    public Decision decide(ToolCall call) {
        return decide(call, System.currentTimeMillis());
    }

    /**
     * Decides a call at the given time (epoch milliseconds), asking the store on this thread. Limits stay exact for any
     * order of timestamps; a call stamped earlier than a counter's newest admission is checked against every window
     * around its stamp.
     *
     * @throws IllegalStateException when the store's answer is not complete once {@link CounterStore#acquire} returns
     *                               (use {@link #evaluate} with such a store)
     */
    public Decision decide(ToolCall call, long nowMillis) {
        if (baselines.length > 0) {
            Evaluation layered = evaluate(List.of(call));
            return decided(layered, nowMillis).get(0);
        }
        String tool = toolOf(call);
        CompiledEntry entry = entryFor(tool, call.caller());
        Decision refused = refusedBeforeLimits(call, tool, entry, null);
        if (refused != null) {
            return refused;
        }
        Limits limits = limitsOf(entry);
        if (limits.isEmpty()) {
            return allowed(tool, entry, audit);
        }
        Demand demand = new Demand(limits.counters(), grantOf(entry), call.caller().subject(), call.session());
        // the in-memory store is asked directly, without a stage
        Admission admission = inMemory != null
                ? inMemory.acquireOne(demand, nowMillis)
                : answered(store.acquire(List.of(demand), nowMillis, true), 1).get(0);
        return admission.isAdmitted() ? allowed(tool, entry, audit) : rateLimited(tool, entry, limits, admission);
    }

    /** Decides the calls of one batch now (wall clock); see {@link #decideAll(List, long)}. */
    public List<Decision> decideAll(List<ToolCall> calls) {
        return decideAll(calls, System.currentTimeMillis());
    }

    /**
     * Decides the calls of one batch together, all or nothing: capacity is consumed only when every call is allowed.
     * Steps 1–5 run first for every call; then the limits of the calls that passed are checked together, in order, each
     * allowed call counting against the later ones (two calls on one counter and key need two units). If any call is
     * refused, at any step, no call consumes anything, and each call gets the verdict it would get in this batch: a call
     * that fits is {@link Verdict#ALLOWED} although nothing was consumed for it — the caller must not forward it (the
     * batch is refused). A call that does not fit after the earlier allowed ones is {@link Verdict#RATE_LIMITED}, its
     * retry-after being when its counter could take the units the batch needs up to it. One call decides exactly as
     * {@link #decide(ToolCall, long)}. The same as {@link #evaluate}, {@link CounterStore#acquire} and
     * {@link Evaluation#complete}, on this thread.
     *
     * @return one decision per call, in the same order
     * @throws IllegalStateException when the store's answer is not complete once {@link CounterStore#acquire} returns
     */
    public List<Decision> decideAll(List<ToolCall> calls, long nowMillis) {
        if (calls == null) {
            throw new IllegalArgumentException("calls is required");
        }
        int n = calls.size();
        if (n == 0) {
            return List.of();
        }
        if (n == 1) {
            return List.of(decide(requireCall(calls, 0), nowMillis));
        }
        return decided(evaluate(calls), nowMillis);
    }

    /** An evaluation's decisions, the store asked on this thread. */
    private List<Decision> decided(Evaluation evaluation, long nowMillis) {
        int n = evaluation.demands().size();
        List<Admission> admissions = answered(store.acquire(evaluation.demands(), nowMillis, evaluation.mayConsume()), n);
        if (!evaluation.hasShadowDemands()) {
            return evaluation.complete(admissions);
        }
        return evaluation.complete(admissions, answered(store.acquire(evaluation.shadowDemands(), nowMillis,
                evaluation.shadowMayConsume(admissions)), n));
    }

    /**
     * Steps 1–5 for every call of one request (a single call or a JSON-RPC batch), without the store: pure and
     * synchronous. The result holds each call's decision when it is already final, and otherwise the counters the call
     * needs. To decide:
     * <pre>{@code
     * Evaluation e = policy.evaluate(calls);
     * store.acquire(e.demands(), nowMillis, e.mayConsume()).thenApply(e::complete)   // List<Decision>, in call order
     * }</pre>
     * which decides exactly as {@link #decideAll(List, long)} (and, for one call, {@link #decide(ToolCall, long)}).
     *
     * @throws IllegalArgumentException when {@code calls} or one of them is null
     */
    public Evaluation evaluate(List<ToolCall> calls) {
        return evaluate(calls, null);
    }

    /**
     * {@link #evaluate(List)} with the pins checked against what the server announced: after steps 1 and 2, a call to a
     * pinned tool is {@code denied} (rule: the pin's path, enforced unless the deciding entry is in audit mode) when
     * {@code announced} has no digest for it or another digest than the pin. {@code null} checks no pin (as
     * {@link #decide} and {@link #decideAll} do: offline there is no server to compare with).
     */
    public Evaluation evaluate(List<ToolCall> calls, AnnouncedDefinitions announced) {
        if (calls == null) {
            throw new IllegalArgumentException("calls is required");
        }
        if (baselines.length == 0) {
            return evaluateOwn(calls, announced);
        }
        List<DocumentEvaluation> layers = new ArrayList<>(baselines.length + 1);
        List<String> sources = new ArrayList<>(baselines.length + 1);
        for (Policy baseline : baselines) {
            layers.add(baseline.evaluateOwn(calls, null));
        }
        sources.addAll(baselineSources);
        layers.add(evaluateOwn(calls, announced));
        sources.add(null);
        return new LayeredEvaluation(layers, sources, calls.size());
    }

    /** Steps 1–5 under this document's own rules only. */
    private DocumentEvaluation evaluateOwn(List<ToolCall> calls, AnnouncedDefinitions announced) {
        int n = calls.size();
        String[] tools = new String[n];
        CompiledEntry[] entries = new CompiledEntry[n];
        Limits[] limits = new Limits[n];
        Decision[] decided = new Decision[n];
        Demand[] demands = new Demand[n];
        Demand[] shadowDemands = new Demand[n];
        boolean anyRefused = false;
        boolean anyShadowRefused = false;
        boolean anyShadowCounters = false;
        for (int i = 0; i < n; i++) {
            ToolCall call = requireCall(calls, i);
            tools[i] = toolOf(call);
            entries[i] = entryFor(tools[i], call.caller());
            decided[i] = refusedBeforeLimits(call, tools[i], entries[i], announced);
            demands[i] = Demand.NONE;
            shadowDemands[i] = Demand.NONE;
            if (decided[i] != null) {
                // a refusal in audit mode refuses nothing: only the other shadow calls' counters are left untouched
                if (decided[i].enforced()) {
                    anyRefused = true;
                } else {
                    anyShadowRefused = true;
                }
                limits[i] = Limits.NONE;
            } else {
                limits[i] = limitsOf(entries[i]);
                Demand demand = new Demand(limits[i].counters(), grantOf(entries[i]), call.caller().subject(), call.session());
                if (limits[i].shadow()) {
                    shadowDemands[i] = demand;
                    anyShadowCounters |= !limits[i].isEmpty();
                } else {
                    demands[i] = demand;
                }
            }
        }
        // with a call refused, the others' limits are still checked, without consuming, for their would-be verdict
        return new DocumentEvaluation(tools, entries, limits, decided, List.of(demands), !anyRefused,
                anyShadowCounters ? List.of(shadowDemands) : null, !anyRefused && !anyShadowRefused, audit);
    }

    /** The store's answer, which {@link #decide} and {@link #decideAll} need at once. */
    private List<Admission> answered(CompletionStage<List<Admission>> stage, int expected) {
        CompletableFuture<List<Admission>> future = stage.toCompletableFuture();
        if (!future.isDone()) {
            throw new IllegalStateException("decide and decideAll need a counter store that answers at once, and "
                    + store.getClass().getName() + " did not: use evaluate, CounterStore.acquire and Evaluation.complete");
        }
        List<Admission> admissions = future.join();
        if (admissions == null || admissions.size() != expected) {
            throw new IllegalStateException("the counter store answered " + (admissions == null ? "null" : admissions.size() + " admissions")
                    + " for " + expected + " demands");
        }
        return admissions;
    }

    private static ToolCall requireCall(List<ToolCall> calls, int index) {
        ToolCall call = calls.get(index);
        if (call == null) {
            throw new IllegalArgumentException("calls[" + index + "] is null");
        }
        return call;
    }

    private static String toolOf(ToolCall call) {
        return call.tool() == null ? "" : call.tool();
    }

    /** Steps 1–5: the decision when the call is refused before its limits, else {@code null}. */
    private Decision refusedBeforeLimits(ToolCall call, String tool, CompiledEntry entry, AnnouncedDefinitions announced) {
        if (entry == null) {
            return defaultDeny ? new Decision(Verdict.DENIED, tool, "default", DEFAULT_DENY, null, 0, "", null, !audit)
                    : pinRefusal(tool, null, announced);
        }
        ToolEntry spec = entry.spec;
        if (spec.action() == Action.DENY) {
            return entry.denied(tool);
        }
        Decision changed = pinRefusal(tool, entry, announced);
        if (changed != null) {
            return changed;
        }
        JsonNode arguments = call.arguments() == null || call.arguments().isMissingNode() || call.arguments().isNull()
                ? EMPTY_ARGUMENTS : call.arguments();
        if (spec.args() != null && !spec.args().accepts(arguments)) {
            return new Decision(Verdict.INVALID_ARGUMENTS, tool, entry.argsPath,
                    "invalid arguments: " + spec.args().explain(arguments), null, 0);
        }
        if (spec.action() == Action.REQUIRE_APPROVAL && call.approved()) {
            return null; // a human approved this very call: its limits still apply
        }
        List<DenyRule> denyIf = spec.denyIf();
        for (int i = 0; i < denyIf.size(); i++) {
            if (allHold(denyIf.get(i).conditions(), arguments)) {
                return entry.denyIfMatched(i, tool);
            }
        }
        if (spec.action() == Action.REQUIRE_APPROVAL && denyIf.isEmpty()) {
            return entry.approvalRequired(tool);
        }
        return null;
    }

    /** The denial of a call to a pinned tool whose announced definition is not the pinned one; null otherwise. */
    private Decision pinRefusal(String tool, CompiledEntry entry, AnnouncedDefinitions announced) {
        if (announced == null || pins.isEmpty()) {
            return null;
        }
        Pin pin = pins.get(tool);
        if (pin == null) {
            return null;
        }
        String seen = announced.digest(tool);
        if (pin.digest().equals(seen)) {
            return null;
        }
        String reason = seen == null && announced.unverified(tool)
                ? "tool definition unverified: tool " + PolicyPaths.quote(tool) + " is pinned to " + pin.digest()
                        + " and the server announced notifications/tools/list_changed since this sidecar last saw its definition;"
                        + " it is denied until a tools/list result announces the pinned definition again (list the tools again)"
                : seen == null
                ? "tool definition not announced: tool " + PolicyPaths.quote(tool) + " is pinned to " + pin.digest()
                        + " and the server has not announced its definition in a tools/list result this sidecar relayed; list the tools first"
                : "tool definition changed: tool " + PolicyPaths.quote(tool) + " is pinned to " + pin.digest() + " but the server announces "
                        + seen + "; it is hidden and denied until the pin is updated or the server announces the pinned definition again";
        boolean enforced = entry == null ? !audit : !entry.audit;
        return new Decision(Verdict.DENIED, tool, pin.path(), reason, null, 0, grantOf(entry), null, enforced);
    }

    /**
     * The pinned digest of {@code tool}'s definition ({@code "pin"} on an entry naming it exactly, the document's own or a
     * grant's), or {@code null} when it has none.
     */
    public String pin(String tool) {
        Pin pin = tool == null ? null : pins.get(tool);
        return pin == null ? null : pin.digest();
    }

    /**
     * Whether {@code caller}'s calls of {@code tool} are enforced: the entry that would decide them (grants first), or
     * the document for its default, is not in audit mode.
     */
    public boolean enforced(String tool, Caller caller) {
        CompiledEntry entry = entryFor(tool == null ? "" : tool, caller == null ? Caller.anonymous() : caller);
        return entry == null ? !audit : !entry.audit;
    }

    /** Every pinned tool name with its pin, in document order. */
    public Map<String, String> pins() {
        return pinDigests;
    }

    /** Step 6's limits: the entry's, or the top-level ones for a call allowed by the default ({@code entry} null). */
    private Limits limitsOf(CompiledEntry entry) {
        return entry == null ? defaultLimits : entry.limits;
    }

    /** The deciding grant's name; {@code ""} for the document's own entries and the default ({@code entry} null). */
    static String grantOf(CompiledEntry entry) {
        return entry == null ? "" : entry.grant;
    }

    /** Step 6 refused the call: the admission names which of its limits, and why. */
    static Decision rateLimited(String tool, CompiledEntry entry, Limits limits, Admission admission) {
        int index = admission.counterIndex();
        if (index >= limits.limits().length) {
            throw new IllegalStateException("the counter store refused counter " + index + " of a call that needs "
                    + limits.limits().length);
        }
        Limit limit = limits.limits()[index];
        String reason = switch (admission.kind()) {
            case EXHAUSTED -> limit.exceeded();
            case STORE_FULL -> LIMITER_FULL;
            case STORE_UNAVAILABLE -> STORE_UNAVAILABLE;
            case ADMITTED -> throw new IllegalArgumentException("an admitted call is not rate limited");
        };
        return new Decision(Verdict.RATE_LIMITED, tool, limit.path(), reason, limit.definition().counter(), admission.retryAfterSeconds(),
                grantOf(entry), null, !limits.shadow());
    }

    /** Step 7; {@code audit} is the document's enforcement, for a call allowed by the default ({@code entry} null). */
    static Decision allowed(String tool, CompiledEntry entry, boolean audit) {
        if (entry != null) {
            return entry.allowed(tool);
        }
        return new Decision(Verdict.ALLOWED, tool, "default", "allowed by default", null, 0, "", null, !audit);
    }

    private static boolean allHold(List<Condition> conditions, JsonNode arguments) {
        for (int i = 0; i < conditions.size(); i++) {
            if (!conditions.get(i).holds(arguments)) {
                return false;
            }
        }
        return true;
    }

    /** Step 1: the first grant that matches the caller and has an entry for the tool, else the document's own entry. */
    private CompiledEntry entryFor(String tool, Caller caller) {
        for (CompiledGrant grant : grants) {
            if (grant.callers.matches(caller)) {
                CompiledEntry entry = grant.entries.lookup(tool);
                if (entry != null) {
                    return entry;
                }
            }
        }
        return tools.lookup(tool);
    }

    /** Whether the document's own {@code enforcement} is {@code audit} (entries may say otherwise). */
    public boolean audit() {
        return audit;
    }

    /** The document's {@code hide_denied_tools}. */
    public boolean hideDeniedTools() {
        return hideDeniedTools;
    }

    /**
     * {@link #neverCallable(String, Caller)} for a caller no grant matches (the anonymous caller): what the document's own
     * {@code tools} and {@code default} leave callable. With grants, a caller's own answer needs its {@link Caller}.
     */
    public boolean neverCallable(String tool) {
        return neverCallable(tool, Caller.anonymous());
    }

    /**
     * True when {@code caller} could never call {@code tool}: the entry that would decide its call (step 1, grants
     * included) has action deny or an always-matching deny_if, or there is none under default deny. An entry with
     * {@code require_approval} is not "never callable": approval may be given. Nor is one in audit mode, whose calls are
     * forwarded whatever their verdict.
     */
    public boolean neverCallable(String tool, Caller caller) {
        for (Policy baseline : baselines) {
            if (baseline.neverCallable(tool, caller)) {
                return true;
            }
        }
        CompiledEntry entry = entryFor(tool == null ? "" : tool, caller == null ? Caller.anonymous() : caller);
        if (entry == null) {
            return defaultDeny && !audit;
        }
        if (entry.audit) {
            return false;
        }
        if (entry.spec.action() == Action.DENY) {
            return true;
        }
        for (DenyRule rule : entry.spec.denyIf()) {
            if (rule.alwaysMatches() && entry.spec.action() != Action.REQUIRE_APPROVAL) {
                return true;
            }
        }
        return false;
    }

    /**
     * The exact (non-glob) tool names the policy names, its own entries' and then each grant's, in document order; the
     * sidecar uses them to bound metric labels.
     */
    public Set<String> exactToolNames() {
        return exactToolNames;
    }

    /** The glob patterns of the document's own entries, most specific first. */
    public List<String> toolGlobs() {
        List<String> result = new ArrayList<>();
        for (CompiledEntry glob : tools.globs) {
            result.add(glob.spec.name());
        }
        return List.copyOf(result);
    }

    /** The grants' names, in document order (the order they are tried in). */
    public List<String> grantNames() {
        List<String> result = new ArrayList<>();
        for (CompiledGrant grant : grants) {
            result.add(grant.name);
        }
        return List.copyOf(result);
    }

    public PolicyDocument document() {
        return document;
    }

    /** The counter store this policy counts in. */
    public CounterStore limiter() {
        return store;
    }

    /** The sources of the document's baselines ({@code McpClusterPolicy/name}, …), in the order they are combined. */
    public List<String> baselineSources() {
        return baselineSources;
    }

    /**
     * The store as a baseline's limits see it: each counter under the baseline's own name ({@code source:counter}), so
     * that a baseline's counter never shares counts with a counter of the same name in the document or another baseline.
     */
    private record BaselineCounters(CounterStore store, String source) implements CounterStore {
        @Override
        public CounterRef bind(LimitDefinition definition) {
            return store.bind(new LimitDefinition(source + ":" + definition.counter(), definition.windowMillis(), definition.max(),
                    definition.scope(), definition.shadow()));
        }

        @Override
        public CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume) {
            return store.acquire(demands, nowMillis, consume);
        }
    }

    /** Same as {@code document().hash()}. */
    public String hash() {
        return document().hash();
    }

    /** A limit of a compiled policy: where it is written, what it counts, and its prebuilt rate_limited reason. */
    record Limit(String path, LimitDefinition definition, String exceeded) {
    }

    /**
     * The limits one call meets, one per distinct counter, and their counters in the store, in the same order; with
     * {@code shadow}, the counters are the shadow ones of an entry in audit mode.
     */
    record Limits(Limit[] limits, List<CounterRef> counters, boolean shadow) {
        static final Limits NONE = new Limits(new Limit[0], List.of(), false);

        boolean isEmpty() {
            return limits.length == 0;
        }
    }

    /** One grant, compiled: who it matches and its entries. */
    record CompiledGrant(String name, GrantCallers callers, EntryTable entries) {
    }

    /** The entries of one {@code tools} object (the document's own or a grant's) and step 1 over them. */
    static final class EntryTable {
        private final Map<String, CompiledEntry> exact = new HashMap<>();
        /** Sorted by literal-character count, most first; ties cannot match a common name (validated). */
        private final CompiledEntry[] globs;
        private final ConcurrentHashMap<String, CompiledEntry> globCache = new ConcurrentHashMap<>();

        EntryTable(CounterStore store, List<LimitSpec> topLimits, List<ToolEntry> entries, String grant, Set<String> exactNames,
                boolean documentAudit) {
            List<CompiledEntry> globEntries = new ArrayList<>();
            for (ToolEntry entry : entries) {
                // a tool's own enforcement overrides the document's
                boolean audit = entry.enforcement() == null ? documentAudit : entry.enforcement() == Enforcement.AUDIT;
                CompiledEntry compiled = new CompiledEntry(entry, grant, bind(store, topLimits, entry.limits(), audit), audit);
                if (entry.isGlob()) {
                    globEntries.add(compiled);
                } else {
                    exact.put(entry.name(), compiled);
                    exactNames.add(entry.name());
                }
            }
            globEntries.sort(Comparator.comparingInt((CompiledEntry e) -> e.glob.literalCount()).reversed());
            this.globs = globEntries.toArray(new CompiledEntry[0]);
        }

        /** An exact name beats every glob; among globs, more literal characters win. Null when no entry matches. */
        CompiledEntry lookup(String tool) {
            CompiledEntry entry = exact.get(tool);
            if (entry != null || globs.length == 0) {
                return entry;
            }
            CompiledEntry cached = globCache.get(tool);
            if (cached != null) {
                return cached == CompiledEntry.NONE ? null : cached;
            }
            CompiledEntry found = CompiledEntry.NONE;
            for (CompiledEntry glob : globs) {
                if (glob.glob.matches(tool)) {
                    found = glob;
                    break;
                }
            }
            // tool names come from agents: remember only a bounded number so hostile names cannot grow memory
            if (globCache.size() < GLOB_CACHE_SIZE && tool.length() <= 256) {
                globCache.putIfAbsent(tool, found);
            }
            return found == CompiledEntry.NONE ? null : found;
        }
    }

    /** One entry, compiled: reasons precomputed, limits bound, and for exact names the fixed decisions prebuilt. */
    static final class CompiledEntry {
        static final CompiledEntry NONE = new CompiledEntry();

        final ToolEntry spec;
        /** The name of the grant the entry belongs to; {@code ""} for the document's own entries. */
        final String grant;
        /** Audit mode: the entry's decisions are reported, not enforced. */
        final boolean audit;
        final ToolGlob glob;
        final Limits limits;
        final String argsPath;
        private final Decision denied;
        private final Decision approvalRequired;
        private final Decision allowed;
        /** Per deny_if item: denied or approval_required, with its on_deny. */
        private final Decision[] denyIfMatched;

        private CompiledEntry() {
            spec = null;
            grant = "";
            audit = false;
            glob = null;
            limits = Limits.NONE;
            argsPath = null;
            denied = approvalRequired = allowed = null;
            denyIfMatched = new Decision[0];
        }

        CompiledEntry(ToolEntry spec, String grant, Limits limits, boolean audit) {
            this.spec = spec;
            this.grant = grant;
            this.audit = audit;
            this.glob = spec.isGlob() ? new ToolGlob(spec.name()) : null;
            this.limits = limits;
            this.argsPath = PolicyPaths.field(spec.path(), "args");
            String subject = spec.isGlob() ? "tools matching " + PolicyPaths.quote(spec.name()) : "tool " + PolicyPaths.quote(spec.name());
            String approvalReason = spec.reason() != null ? spec.reason() : subject + " requires human approval";
            // the tool field is filled per call for globs; for exact entries these decisions are final and shared
            this.denied = new Decision(Verdict.DENIED, spec.name(), spec.path(),
                    spec.reason() != null ? spec.reason() : subject + " is denied by policy", null, 0, grant, null, !audit);
            ApprovalTerms terms = spec.approval() != null ? spec.approval() : ApprovalTerms.DEFAULT;
            this.approvalRequired = new Decision(Verdict.APPROVAL_REQUIRED, spec.name(), spec.path(), approvalReason, null, 0, grant, terms, !audit);
            this.allowed = new Decision(Verdict.ALLOWED, spec.name(), spec.path(), "allowed by " + spec.path(), null, 0, grant, null, !audit);
            Verdict onMatch = spec.action() == Action.REQUIRE_APPROVAL ? Verdict.APPROVAL_REQUIRED : Verdict.DENIED;
            this.denyIfMatched = new Decision[spec.denyIf().size()];
            for (int i = 0; i < denyIfMatched.length; i++) {
                DenyRule rule = spec.denyIf().get(i);
                String reason = rule.onDeny() != null ? rule.onDeny()
                        : onMatch == Verdict.APPROVAL_REQUIRED ? approvalReason : "denied by " + rule.path();
                denyIfMatched[i] = new Decision(onMatch, spec.name(), rule.path(), reason, null, 0, grant,
                        onMatch == Verdict.APPROVAL_REQUIRED ? terms : null, !audit);
            }
        }

        Decision denied(String tool) {
            return forTool(denied, tool);
        }

        Decision approvalRequired(String tool) {
            return forTool(approvalRequired, tool);
        }

        Decision allowed(String tool) {
            return forTool(allowed, tool);
        }

        Decision denyIfMatched(int index, String tool) {
            return forTool(denyIfMatched[index], tool);
        }

        private Decision forTool(Decision prebuilt, String tool) {
            if (glob == null) {
                return prebuilt;
            }
            return new Decision(prebuilt.verdict(), tool, prebuilt.rule(), prebuilt.reason(), null, 0, grant, prebuilt.approval(), !audit);
        }
    }
}
