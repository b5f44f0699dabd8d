package dev.toolgate.sidecar.approval;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.policy.ArgumentsDigest;
import dev.toolgate.policy.Caller;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.Verdict;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import dev.toolgate.sidecar.mcp.JsonRpcMessage;
import dev.toolgate.sidecar.mcp.ParsedBody;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * Approval elicit mode, the 2026-07-28 revision's multi round-trip requests: a call whose McpApproval is pending is
 * answered with an "input required" result holding one form elicitation (keyed {@value #INPUT_KEY}: the approval, what
 * an approver runs, accept once approved) and a sealed {@code requestState} ({@link RequestStates}). The client shows
 * it to its user and re-sends the same {@code tools/call} with {@code inputResponses} and the state. On that call the
 * state is opened before anything is decided ({@link #open}), and Toolgate's state and answer are taken out of the body,
 * so the MCP server never sees them; then an accepted answer is decided as a retry (approved: consumed once and
 * forwarded; still pending: asked again with a new state; rejected or expired: as retry mode answers), a declined or
 * cancelled one is refused and its approval left pending.
 *
 * <p>Only clients that can take it are asked: the request's {@code _meta} names revision 2026-07-28 or later and a
 * client capability {@code elicitation} with form mode (an empty object means form). A client of an earlier revision
 * whose session's {@code initialize} declared form elicitation, and whose POST takes an event stream, is asked on that
 * stream instead ({@link AskedOnStream}): an {@code elicitation/create} request from the sidecar, whose response the
 * client POSTs back and {@link #takeAnswers} takes out of its body. Every other client, a batch, and a legacy HTTP+SSE
 * client get retry mode's answer.
 */
@Singleton
public class Elicitation {

    /** The key of Toolgate's request in {@code inputRequests}, and of the client's answer in {@code inputResponses}. */
    public static final String INPUT_KEY = "toolgate.dev/approval";
    static final String PROTOCOL_VERSION_META = "io.modelcontextprotocol/protocolVersion";
    static final String CLIENT_CAPABILITIES_META = "io.modelcontextprotocol/clientCapabilities";
    /** The first revision with multi round-trip requests. Revisions are ISO dates: they order as strings. */
    static final String FIRST_REVISION = "2026-07-28";
    /** How the ids of the sidecar's own {@code elicitation/create} requests on a call's stream begin. */
    public static final String STREAM_ID_PREFIX = "toolgate.dev/approval-";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /**
     * The client's answer on a re-sent call: the state it carried (opened) and the elicitation's {@code action}
     * ({@code accept}, {@code decline} or {@code cancel}).
     */
    public record Answer(RequestStates.Opened state, String action) {
        public boolean accepted() {
            return "accept".equals(action);
        }
    }

    private final RequestStates states;
    private final ApprovalStep step;
    /** Elicitations asked on a call's stream and not answered yet, by session, caller and request id. */
    private final java.util.concurrent.ConcurrentHashMap<String, AskedOnStream> outstanding = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.security.SecureRandom random = new java.security.SecureRandom();

    @Inject
    public Elicitation(RequestStates states, ApprovalStep step) {
        this.states = states;
        this.step = step;
    }

    /**
     * For a re-sent call: opens Toolgate's {@code requestState} and reads the answer, and takes both out of the body
     * (whatever is decided after, they are never forwarded). Null when the body carries no state of Toolgate's (a
     * {@code requestState} without the {@code tg1.} prefix is the server's own, left as it is; an answer keyed
     * {@value #INPUT_KEY} without Toolgate's state is dropped and the call decided as a first one).
     *
     * @throws RequestStates.Refused the state does not open for this call (changed, expired, another caller, tool,
     *                               arguments or policy, used already), comes in a batch, or comes without an answer
     */
    public Answer open(ParsedBody parsed, EnforcementFilter.Prepared prepared, Caller caller, String policyHash) throws RequestStates.Refused {
        Answer answer = null;
        int call = -1;
        for (JsonRpcMessage message : parsed.messages()) {
            if (!message.isToolCall()) {
                continue;
            }
            call++;
            JsonNode paramsNode = message.node().get("params");
            if (!(paramsNode instanceof ObjectNode params)) {
                continue;
            }
            JsonNode state = params.get("requestState");
            boolean ours = state != null && state.isTextual() && state.textValue().startsWith(RequestStates.PREFIX);
            JsonNode responses = params.get("inputResponses");
            JsonNode response = responses instanceof ObjectNode ? responses.get(INPUT_KEY) : null;
            if (!ours && response == null) {
                continue;
            }
            if (ours) {
                params.remove("requestState");
            }
            if (response != null) {
                ((ObjectNode) responses).remove(INPUT_KEY);
                if (responses.isEmpty()) {
                    params.remove("inputResponses");
                }
            }
            if (!ours) {
                continue;
            }
            if (parsed.batch()) {
                throw new RequestStates.Refused("Toolgate's requestState is taken on a single tools/call, not in a batch");
            }
            ToolCall toolCall = prepared.calls().get(call);
            RequestStates.Opened opened = states.open(state.textValue(), caller.subject(), source(caller), toolCall.tool(),
                    ArgumentsDigest.sha256Hex(toolCall.arguments()), policyHash);
            String action = response == null ? null : response.path("action").asText(null);
            if (!"accept".equals(action) && !"decline".equals(action) && !"cancel".equals(action)) {
                throw new RequestStates.Refused("it came without an answer to Toolgate's elicitation (inputResponses[\"" + INPUT_KEY
                        + "\"] with action accept, decline or cancel)");
            }
            answer = new Answer(opened, action);
        }
        return answer;
    }

    /**
     * The decisions of a re-sent call whose user declined or cancelled: its call that needs approval is refused, and
     * nobody is asked (the approval the state names stays pending, for a later call).
     */
    public EnforcementFilter.Inspection declined(EnforcementFilter.Inspection decided, Answer answer) {
        List<CallDecision> decisions = new ArrayList<>(decided.decisions());
        RequestStates.Binding bound = answer.state().binding();
        for (int i = 0; i < decisions.size(); i++) {
            CallDecision call = decisions.get(i);
            Decision d = call.decision();
            if (d.verdict() == Verdict.APPROVAL_REQUIRED && d.enforced() && d.approval() != null) {
                step.count("elicitation_declined");
                ApprovalTicket ticket = new ApprovalTicket(bound.approval(), bound.namespace(), ApprovalTicket.PENDING,
                        Instant.ofEpochMilli(answer.state().expiresAtMillis()).toString(), null, null, null).elicited(ApprovalTicket.ANSWERED);
                CallDecision refused = ApprovalStep.refuse(call.with(d, ticket), "approval", "the user " + ("cancel".equals(answer.action())
                        ? "cancelled" : "declined") + " Toolgate's request to wait for it");
                decisions.set(i, refused);
            }
        }
        return new EnforcementFilter.Inspection(List.copyOf(decisions));
    }

    /** The decisions of a re-sent call, recorded as answering an elicitation. */
    public EnforcementFilter.Inspection answered(EnforcementFilter.Inspection settled) {
        List<CallDecision> decisions = new ArrayList<>(settled.decisions().size());
        for (CallDecision call : settled.decisions()) {
            decisions.add(call.approval() == null || call.approval().elicitation() != null ? call
                    : call.with(call.decision(), call.approval().elicited(ApprovalTicket.ANSWERED)));
        }
        return new EnforcementFilter.Inspection(List.copyOf(decisions));
    }

    /**
     * True when the settled body is one call whose approval is pending in elicit mode, from a client that can take an
     * elicitation: the walk then answers it with {@link #inputRequired} instead of retry mode's error. Never after the
     * user declined or cancelled ({@code answer}, null on a first call): that call is refused.
     */
    public boolean asks(EnforcementFilter.Inspection settled, ParsedBody parsed, Answer answer) {
        if (answer != null && !answer.accepted()) {
            return false;
        }
        return pendingInElicitMode(settled, parsed) && canElicit(parsed.messages().get(0));
    }

    /**
     * True when the settled body is one first call (no answer of Toolgate's in it) whose approval is pending in elicit
     * mode, from a client of a revision before 2026-07-28 that declared form elicitation in its session
     * ({@code sessionTakesForm}) and takes an event stream as the answer ({@code takesEventStream}): the walk then asks
     * it on that stream ({@link #askOnStream}).
     */
    public boolean asksOnStream(EnforcementFilter.Inspection settled, ParsedBody parsed, Answer answer, boolean sessionTakesForm,
            boolean takesEventStream) {
        return answer == null && sessionTakesForm && takesEventStream && pendingInElicitMode(settled, parsed)
                && !canElicit(parsed.messages().get(0));
    }

    private static boolean pendingInElicitMode(EnforcementFilter.Inspection settled, ParsedBody parsed) {
        if (parsed.batch() || settled.decisions().size() != 1 || parsed.messages().size() != 1) {
            return false;
        }
        CallDecision call = settled.decisions().get(0);
        Decision d = call.decision();
        return d.verdict() == Verdict.APPROVAL_REQUIRED && d.enforced() && d.approval() != null && d.approval().elicits()
                && call.approval() != null && ApprovalTicket.PENDING.equals(call.approval().state());
    }

    /**
     * Asks the pending call of {@code settled} (see {@link #asksOnStream}) on its own event stream: {@code send} writes
     * one message to the client on it. Run on the request's context, whose timers it uses.
     */
    public AskedOnStream askOnStream(EnforcementFilter.Prepared prepared, EnforcementFilter.Inspection settled, Caller caller, String session,
            io.vertx.core.Vertx vertx, io.vertx.core.Context context, WaitingCall.Progress progress,
            java.util.function.Consumer<ObjectNode> send) {
        return new AskedOnStream(this, step, vertx, context, prepared, settled.decisions().get(0), caller, session, progress, send);
    }

    /**
     * Takes the client's responses to the sidecar's own elicitations ({@link #STREAM_ID_PREFIX} ids) out of a body: each
     * goes to the call that asked it, when it is of the same session and caller and still waits for it, and none ever
     * reaches the server (a stale or foreign one is dropped). Returns the rest of the body, the same body when it held
     * none, or null when it held nothing else (then answered 202).
     */
    public ParsedBody takeAnswers(ParsedBody parsed, String session, Caller caller) {
        boolean any = false;
        for (JsonRpcMessage message : parsed.messages()) {
            if (isStreamAnswer(message)) {
                any = true;
                break;
            }
        }
        if (!any) {
            return parsed;
        }
        List<JsonRpcMessage> rest = new ArrayList<>(parsed.messages().size());
        for (JsonRpcMessage message : parsed.messages()) {
            if (!isStreamAnswer(message)) {
                rest.add(message);
                continue;
            }
            String id = message.id().textValue();
            AskedOnStream asked = outstanding.remove(key(session, caller.subject(), id));
            if (asked != null) {
                asked.answer(id, message.node());
            } else {
                io.quarkus.logging.Log.debugf("toolgate approvals: dropped an answer to elicitation %s that nothing waits for in session %s of %s",
                        id, session, caller.subject());
            }
        }
        return rest.isEmpty() ? null : new ParsedBody(parsed.batch(), List.copyOf(rest));
    }

    private static boolean isStreamAnswer(JsonRpcMessage message) {
        return message.method() == null && message.id() != null && message.id().isTextual()
                && message.id().textValue().startsWith(STREAM_ID_PREFIX);
    }

    /** A new id for an elicitation asked on a call's stream, registered until answered or {@link #unregister}ed. */
    String register(String session, String subject, AskedOnStream asked) {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        String id = STREAM_ID_PREFIX + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
        outstanding.put(key(session, subject, id), asked);
        return id;
    }

    void unregister(String session, String subject, String id) {
        outstanding.remove(key(session, subject, id));
    }

    private static String key(String session, String subject, String id) {
        return (session == null ? "" : session) + "\n" + subject + "\n" + id;
    }

    /**
     * The sidecar's own {@code elicitation/create} request {@code id} on a call's stream: the same form as elicit mode's
     * "input required" (the approval, what an approver runs, accept once approved); {@code asks} counts the times this
     * call was asked. {@code mode} is left out: a form, in every revision that has elicitation.
     */
    ObjectNode streamRequest(String id, CallDecision call, int asks) {
        ObjectNode params = JSON.objectNode().put("message", (asks > 1 ? "Still pending (asked " + asks + " times). " : "") + question(call));
        params.putObject("requestedSchema").put("type", "object").putObject("properties");
        ObjectNode request = JSON.objectNode().put("jsonrpc", "2.0").put("id", id).put("method", "elicitation/create");
        request.set("params", params);
        step.count("elicited");
        return request;
    }

    /**
     * Whether the client of {@code message} takes a form elicitation in an "input required" result: its request
     * {@code _meta} names revision 2026-07-28 or later and declares {@code elicitation} with form mode (an empty
     * object is form mode, for backwards compatibility).
     */
    public static boolean canElicit(JsonRpcMessage message) {
        JsonNode meta = message.node().path("params").path("_meta");
        JsonNode version = meta.get(PROTOCOL_VERSION_META);
        if (version == null || !version.isTextual() || !version.textValue().matches("\\d{4}-\\d{2}-\\d{2}")
                || version.textValue().compareTo(FIRST_REVISION) < 0) {
            return false;
        }
        JsonNode elicitation = meta.path(CLIENT_CAPABILITIES_META).get("elicitation");
        return elicitation != null && elicitation.isObject() && (elicitation.isEmpty() || elicitation.path("form").isObject());
    }

    /**
     * The answer that asks: the JSON-RPC response to {@code id} with an "input required" result, one form elicitation
     * naming the approval and what an approver runs, and a new state bound to the call, the caller, the policy and the
     * approval, good until the approval expires. The call's ticket is to be recorded {@link ApprovalTicket#ASKED}.
     */
    public ObjectNode inputRequired(JsonNode id, CallDecision call, Caller caller, String policyHash) {
        ApprovalTicket ticket = call.approval();
        Decision d = call.decision();
        long expires = expiry(ticket.expiresAt(), d.approval().expiresAfterMillis());
        String state = states.seal(new RequestStates.Binding(caller.subject(), source(caller), call.tool(),
                ArgumentsDigest.sha256Hex(call.arguments()), policyHash, ticket.name(), ticket.namespace()), expires);
        ObjectNode params = JSON.objectNode().put("mode", "form").put("message", question(call));
        params.putObject("requestedSchema").put("type", "object").putObject("properties");
        ObjectNode request = JSON.objectNode().put("method", "elicitation/create");
        request.set("params", params);
        ObjectNode result = JSON.objectNode().put("resultType", "input_required");
        result.putObject("inputRequests").set(INPUT_KEY, request);
        result.put("requestState", state);
        ObjectNode response = JSON.objectNode().put("jsonrpc", "2.0");
        response.set("id", id);
        response.set("result", result);
        step.count("elicited");
        return response;
    }

    /** What the form says: the tool, why it needs approval, which approval waits until when, what an approver runs. */
    private static String question(CallDecision call) {
        ApprovalTicket ticket = call.approval();
        Decision d = call.decision();
        return "Toolgate: tool \"" + call.tool() + "\" needs a human's approval: " + d.reason()
                + (d.reason().endsWith(".") ? " " : ". ") + "Approval " + ticket.namespace() + "/" + ticket.name() + " is pending"
                + (ticket.expiresAt() == null ? "" : " until " + ticket.expiresAt())
                + (ApprovalTicket.CONSUMED.equals(ticket.previousState()) ? " (the previous approval of this call was used)" : "")
                + "; an approver runs: " + ticket.approveCommand() + ". Accept once it is approved to run the call; decline to give up "
                + "(the approval stays pending).";
    }

    private static long expiry(String expiresAt, long expiresAfterMillis) {
        if (expiresAt != null) {
            try {
                return Instant.parse(expiresAt).toEpochMilli();
            } catch (DateTimeParseException e) {
                // fall through to the entry's own expiry
            }
        }
        return System.currentTimeMillis() + expiresAfterMillis;
    }

    static String source(Caller caller) {
        return caller.source().name();
    }
}
