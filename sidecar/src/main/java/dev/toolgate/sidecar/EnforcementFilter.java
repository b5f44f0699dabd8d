package dev.toolgate.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.Verdict;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides every {@code tools/call} of a parsed body. All calls are checked for shape first, so a malformed element
 * refuses the body before any rate-limit counter is consumed; then they are decided together ({@link Policy#decideAll}),
 * so a body with a refused call consumes no capacity either. Knows nothing of HTTP.
 */
public final class EnforcementFilter {

    /** Result for a body: one decision per tools/call in body order; {@link #forward()} when every one is allowed. */
    public record Inspection(List<CallDecision> decisions) {
        public boolean forward() {
            for (CallDecision d : decisions) {
                if (!d.allowed()) {
                    return false;
                }
            }
            return true;
        }

        public List<CallDecision> allowed() {
            return forward() ? decisions : decisions.stream().filter(CallDecision::allowed).toList();
        }

        public long maxRetryAfterSeconds() {
            return decisions.stream().filter(d -> d.decision().verdict() == Verdict.RATE_LIMITED)
                    .mapToLong(d -> d.decision().retryAfterSeconds()).max().orElse(0);
        }
    }

    private EnforcementFilter() {
    }

    /**
     * @param policy     the policy in force, or {@code null} when none is valid (every call is then denied)
     * @param noPolicyWhy why there is no policy, for the denial reason
     */
    public static Inspection inspect(ParsedBody body, Policy policy, String noPolicyWhy, String identity, String session)
            throws JsonRpcRejection {
        // every call's shape is checked (extract throws) before any is decided, so a malformed one consumes nothing
        List<JsonNode> ids = new ArrayList<>();
        List<ToolCall> calls = new ArrayList<>();
        for (JsonRpcMessage message : body.messages()) {
            if (message.isToolCall()) {
                ToolCallExtractor.ExtractedCall call = ToolCallExtractor.extract(message);
                ids.add(message.id());
                calls.add(new ToolCall(call.tool(), call.arguments(), identity, session));
            }
        }
        List<Decision> decided = decideAll(policy, noPolicyWhy, calls);
        List<CallDecision> decisions = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            decisions.add(new CallDecision(ids.get(i), call.tool(), call.arguments(), decided.get(i)));
        }
        return new Inspection(List.copyOf(decisions));
    }

    /** The body's calls decided together: a body with a refused call consumes no rate-limit capacity (it is not forwarded). */
    private static List<Decision> decideAll(Policy policy, String noPolicyWhy, List<ToolCall> calls) {
        if (policy == null) {
            return calls.stream().map(call -> new Decision(Verdict.DENIED, call.tool(), "no_policy",
                    "no valid policy is loaded (" + noPolicyWhy + "), so every tool call is denied", null, 0)).toList();
        }
        try {
            return policy.decideAll(calls);
        } catch (RuntimeException e) {
            // Fail closed: an engine fault must never let a call through (the whole body is refused, as for any refusal).
            return calls.stream().map(call -> new Decision(Verdict.DENIED, call.tool(), "error",
                    "the policy could not be evaluated: " + e, null, 0)).toList();
        }
    }
}
