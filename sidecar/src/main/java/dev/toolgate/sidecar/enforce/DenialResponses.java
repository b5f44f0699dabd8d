package dev.toolgate.sidecar.enforce;

import dev.toolgate.sidecar.approval.ApprovalTicket;

import dev.toolgate.sidecar.mcp.ErrorCodes;
import dev.toolgate.sidecar.mcp.JsonRpcMessage;
import dev.toolgate.sidecar.mcp.JsonRpcParser;
import dev.toolgate.sidecar.mcp.ParsedBody;
import dev.toolgate.sidecar.observe.RefusalReason;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Verdict;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds the JSON-RPC error responses the sidecar sends instead of forwarding. Pure. */
public final class DenialResponses {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private DenialResponses() {
    }

    /** The error for a call the policy did not allow. Its message carries the reason so clients surface it as is. */
    public static ObjectNode denial(JsonNode id, Decision decision) {
        return denial(id, decision, null);
    }

    /**
     * As {@link #denial(JsonNode, Decision)}, with where the call's approval stands: a pending one is named in the
     * message and in {@code data.approval}, with what the agent should do (retry the same call once approved) and what
     * a human runs to approve it.
     */
    public static ObjectNode denial(JsonNode id, Decision decision, ApprovalTicket ticket) {
        ObjectNode data = JSON.objectNode()
                .put("decision", decision.verdict().label())
                .put("tool", decision.tool())
                .put("reason", decision.reason());
        if (decision.rule() != null) {
            data.put("rule", decision.rule());
        }
        if (decision.verdict() == Verdict.RATE_LIMITED) {
            data.put("retryAfterSeconds", decision.retryAfterSeconds());
            if (decision.counter() != null) {
                data.put("counter", decision.counter());
            }
        }
        String message = message(decision);
        if (ticket != null) {
            ObjectNode approval = data.putObject("approval").put("name", ticket.name()).put("namespace", ticket.namespace())
                    .put("state", ticket.state());
            if (ticket.expiresAt() != null) {
                approval.put("expiresAt", ticket.expiresAt());
            }
            if (ticket.approver() != null) {
                approval.put("approver", ticket.approver());
            }
            if (decision.verdict() == Verdict.APPROVAL_REQUIRED && ApprovalTicket.PENDING.equals(ticket.state())) {
                approval.put("retry", "send the same call again, with the same arguments, once a human approved it");
                approval.put("approve", ticket.approveCommand());
                message += (message.endsWith(".") ? " " : ". ") + "Approval " + ticket.namespace() + "/" + ticket.name() + " is pending"
                        + (ticket.expiresAt() == null ? "" : " until " + ticket.expiresAt())
                        + (ApprovalTicket.CONSUMED.equals(ticket.previousState()) ? " (the previous approval of this call was used)" : "")
                        + "; retry the same call once a human approved it (" + ticket.approveCommand() + ")";
            }
        }
        return error(id, ErrorCodes.forVerdict(decision.verdict()), message, data);
    }

    static String message(Decision decision) {
        String what = switch (decision.verdict()) {
            case DENIED -> "denied";
            case RATE_LIMITED -> "rate limited (retry after " + decision.retryAfterSeconds() + "s)";
            case INVALID_ARGUMENTS -> "refused"; // the engine's reason starts with "invalid arguments: <path>"
            case APPROVAL_REQUIRED -> "requires approval";
            case ALLOWED -> "allowed";
        };
        return "Toolgate: tool \"" + decision.tool() + "\" " + what + ": " + decision.reason();
    }

    /** Error for an allowed batch element held back because a sibling was refused (batches are all-or-nothing). */
    public static ObjectNode notForwarded(JsonNode id, List<CallDecision> refused) {
        ArrayNode refusedIds = JSON.arrayNode();
        refused.forEach(r -> refusedIds.add(r.id()));
        ObjectNode data = JSON.objectNode().put("decision", "not_forwarded");
        data.set("refusedIds", refusedIds);
        return error(id, ErrorCodes.NOT_FORWARDED,
                "Toolgate: not forwarded because another call in the same batch was refused; resend it on its own", data);
    }

    public static ObjectNode protocolError(JsonNode id, int code, String message) {
        return error(id, code, message, null);
    }

    public static ObjectNode upstreamError(JsonNode id, String kind, String detail) {
        ObjectNode data = JSON.objectNode().put("kind", kind);
        return error(id, ErrorCodes.UPSTREAM_UNAVAILABLE, "Toolgate: MCP server unavailable (" + kind + "): " + detail, data);
    }

    /** Error for a request whose answer from the MCP server was not relayed because it could not be inspected. */
    public static ObjectNode upstreamRefused(JsonNode id, String detail) {
        ObjectNode data = JSON.objectNode().put("kind", RefusalReason.UPSTREAM_MESSAGE.label());
        return error(id, ErrorCodes.UPSTREAM_MESSAGE_REFUSED, "Toolgate: the MCP server's answer was not relayed: " + detail, data);
    }

    private static ObjectNode error(JsonNode id, int code, String message, ObjectNode data) {
        ObjectNode error = JSON.objectNode().put("code", code).put("message", message);
        if (data != null) {
            error.set("data", data);
        }
        ObjectNode response = JSON.objectNode().put("jsonrpc", "2.0");
        response.set("id", id == null ? JSON.nullNode() : id);
        response.set("error", error);
        return response;
    }

    /**
     * Answers for a refused body: for a single message its one answer; for a batch one entry per request (refused
     * calls get their denial, every other request {@link #notForwarded}); notifications and responses get none.
     */
    public static List<ObjectNode> forRefusedBody(ParsedBody body, List<CallDecision> decisions) {
        List<CallDecision> refused = decisions.stream().filter(d -> !d.proceeds()).toList();
        List<ObjectNode> answers = new ArrayList<>();
        for (JsonRpcMessage message : body.messages()) {
            if (!message.isRequest()) {
                continue;
            }
            CallDecision own = refused.stream().filter(d -> d.id().equals(message.id())).findFirst().orElse(null);
            if (own != null && message.isToolCall()) {
                answers.add(denial(message.id(), own.decision(), own.approval()));
            } else {
                answers.add(notForwarded(message.id(), refused));
            }
        }
        return answers;
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return JsonRpcParser.STRICT.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
