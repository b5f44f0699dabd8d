package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.mcp.JsonRpcMessage;
import dev.toolgate.sidecar.mcp.JsonRpcRejection;
import dev.toolgate.sidecar.mcp.ParsedBody;
import dev.toolgate.sidecar.mcp.ToolCallExtractor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.AnnouncedDefinitions;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.Verdict;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The walk's decide step for one parsed body, knowing nothing of HTTP. {@link #prepare} checks every call's shape first,
 * so a malformed element refuses the body before any counter is touched; {@link Prepared#decide} then evaluates the
 * calls together ({@link Policy#evaluate}), asks the policy's {@link dev.toolgate.policy.CounterStore} for their
 * counters in one acquisition and completes the decisions, so a body with a refused call consumes no capacity.
 * Every fault — an engine exception, a store stage that fails — denies the whole body (fail closed).
 */
public final class EnforcementFilter {

    /**
     * Result for a body: one decision per tools/call in body order; {@link #forward()} when every one goes ahead
     * (allowed, or decided in audit mode: a body whose only refusals are shadowed is forwarded whole).
     */
    public record Inspection(List<CallDecision> decisions) {

        public static final Inspection NONE = new Inspection(List.of());

        public boolean forward() {
            for (CallDecision d : decisions) {
                if (!d.proceeds()) {
                    return false;
                }
            }
            return true;
        }

        /** The calls that go ahead (all of them when the body is forwarded), shadowed ones included. */
        public List<CallDecision> allowed() {
            return forward() ? decisions : decisions.stream().filter(CallDecision::proceeds).toList();
        }

        public long maxRetryAfterSeconds() {
            return decisions.stream().filter(d -> d.decision().verdict() == Verdict.RATE_LIMITED && d.decision().enforced())
                    .mapToLong(d -> d.decision().retryAfterSeconds()).max().orElse(0);
        }
    }

    /** A body's calls, shape-checked and ready to be decided. */
    public static final class Prepared {
        private final List<JsonNode> ids;
        private final List<ToolCall> calls;
        private final Policy policy;
        private final String noPolicyWhy;
        private final AnnouncedDefinitions announced;

        private Prepared(List<JsonNode> ids, List<ToolCall> calls, Policy policy, String noPolicyWhy, AnnouncedDefinitions announced) {
            this.announced = announced;
            this.ids = ids;
            this.calls = calls;
            this.policy = policy;
            this.noPolicyWhy = noPolicyWhy;
        }

        /** True when the body has no tools/call: there is nothing to decide. */
        public boolean empty() {
            return calls.isEmpty();
        }

        /**
         * The decisions at {@code nowMillis}. The stage completes normally, on the thread that completes the store's
         * stage (at once for the in-memory store); a fault anywhere becomes a denial of every call.
         */
        public CompletionStage<Inspection> decide(long nowMillis) {
            return decide(nowMillis, calls);
        }

        /**
         * The decisions with the calls at {@code approved} (indices into the body's calls) approved by a human: their
         * entries go on to their limits instead of asking again. Everything else as {@link #decide(long)}.
         */
        public CompletionStage<Inspection> decideApproved(long nowMillis, java.util.Set<Integer> approved) {
            List<ToolCall> withApprovals = new ArrayList<>(calls.size());
            for (int i = 0; i < calls.size(); i++) {
                withApprovals.add(approved.contains(i) ? calls.get(i).approve() : calls.get(i));
            }
            return decide(nowMillis, withApprovals);
        }

        /** The calls as the policy sees them, in body order. */
        public List<ToolCall> calls() {
            return calls;
        }

        /** The policy the calls are decided under; null when none is valid. */
        public Policy policy() {
            return policy;
        }

        private CompletionStage<Inspection> decide(long nowMillis, List<ToolCall> calls) {
            if (calls.isEmpty()) {
                return CompletableFuture.completedFuture(Inspection.NONE);
            }
            if (policy == null) {
                return CompletableFuture.completedFuture(inspection(denyAll("no_policy",
                        "no valid policy is loaded (" + noPolicyWhy + "), so every tool call is denied")));
            }
            CompletionStage<List<Decision>> decisions;
            try {
                // enforced counters first, then (only with calls in audit mode) their shadow counters
                decisions = policy.evaluate(calls, announced).decide(policy.limiter(), nowMillis);
            } catch (RuntimeException e) {
                return CompletableFuture.completedFuture(inspection(engineFault(e)));
            }
            return decisions.handle((decided, failure) -> failure != null ? inspection(engineFault(failure)) : inspection(decided));
        }

        private List<Decision> engineFault(Throwable e) {
            return denyAll("error", "the policy could not be evaluated: " + e);
        }

        private List<Decision> denyAll(String rule, String reason) {
            return calls.stream().map(call -> new Decision(Verdict.DENIED, call.tool(), rule, reason, null, 0)).toList();
        }

        private Inspection inspection(List<Decision> decided) {
            List<CallDecision> decisions = new ArrayList<>(calls.size());
            for (int i = 0; i < calls.size(); i++) {
                ToolCall call = calls.get(i);
                decisions.add(new CallDecision(ids.get(i), call.tool(), call.arguments(), decided.get(i)));
            }
            return new Inspection(List.copyOf(decisions));
        }
    }

    private EnforcementFilter() {
    }

    /** {@link #prepare(ParsedBody, Policy, String, Caller, String, AnnouncedDefinitions)} with nothing announced. */
    public static Prepared prepare(ParsedBody body, Policy policy, String noPolicyWhy, Caller caller, String session)
            throws JsonRpcRejection {
        return prepare(body, policy, noPolicyWhy, caller, session, NOTHING_ANNOUNCED);
    }

    /** No tools/list seen: every pinned tool is denied (fail closed). */
    private static final AnnouncedDefinitions NOTHING_ANNOUNCED = tool -> null;

    /**
     * Extracts every tools/call of {@code body}; throws on the first malformed one, before anything is decided.
     *
     * @param policy      the policy in force, or {@code null} when none is valid (every call is then denied)
     * @param noPolicyWhy why there is no policy, for the denial reason
     * @param announced   the definitions the server announced ({@link ToolDefinitions}), against which pinned tools are
     *                    decided
     */
    public static Prepared prepare(ParsedBody body, Policy policy, String noPolicyWhy, Caller caller, String session,
            AnnouncedDefinitions announced) throws JsonRpcRejection {
        List<JsonNode> ids = new ArrayList<>();
        List<ToolCall> calls = new ArrayList<>();
        for (JsonRpcMessage message : body.messages()) {
            if (message.isToolCall()) {
                ToolCallExtractor.ExtractedCall call = ToolCallExtractor.extract(message);
                ids.add(message.id());
                calls.add(new ToolCall(call.tool(), call.arguments(), caller, session));
            }
        }
        return new Prepared(ids, calls, policy, noPolicyWhy, announced);
    }

    /** {@link #prepare} and {@link Prepared#decide} now, for a store that answers at once (tests, tools). */
    public static Inspection inspect(ParsedBody body, Policy policy, String noPolicyWhy, String identity, String session)
            throws JsonRpcRejection {
        return prepare(body, policy, noPolicyWhy, Caller.fromHeader(identity), session).decide(System.currentTimeMillis())
                .toCompletableFuture().join();
    }
}
