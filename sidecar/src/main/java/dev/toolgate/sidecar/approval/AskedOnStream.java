package dev.toolgate.sidecar.approval;

import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.enforce.CallDecision;
import dev.toolgate.sidecar.enforce.EnforcementFilter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * One call asked on its own event stream (elicit mode, a client of a revision before 2026-07-28 that declared form
 * elicitation in its {@code initialize}): the sidecar answers the POST with an event stream and sends the client an
 * {@code elicitation/create} request on it, as a server asks during a call. The client's response, POSTed in the same
 * session by the same caller, is taken by {@link Elicitation#takeAnswers} and never reaches the server. Accept: the
 * approval is looked up (approved: the call is decided again, consumed once and forwarded, and the server's answer is
 * the stream's last event; still pending: asked again after {@code hold-poll-interval}); decline, cancel or an error
 * response: refused, the approval stays pending. Besides what ends every {@link WaitingCall}, the wait ends at
 * {@code toolgate.approvals.elicitation-wait}; an elicitation still unanswered then is cancelled
 * ({@code notifications/cancelled} to the client) before the refusal.
 */
public final class AskedOnStream extends WaitingCall {

    private final Elicitation elicitation;
    private final String session;
    private final String subject;
    private final Consumer<ObjectNode> send;
    private final long reaskMillis;
    /** The id of the elicitation the client has not answered yet; null while none is out. */
    private String outstanding;
    private boolean answeredOnce;
    private int asks;
    private long deadlineTimer = -1;
    private long reaskTimer = -1;

    AskedOnStream(Elicitation elicitation, ApprovalStep step, Vertx vertx, Context context, EnforcementFilter.Prepared prepared,
            CallDecision pending, Caller caller, String session, Progress progress, Consumer<ObjectNode> send) {
        super(step, step.client(), vertx, context, prepared, pending, caller, step.elicitationWait().toMillis(), step.progressInterval(), progress);
        this.elicitation = elicitation;
        this.session = session;
        this.subject = caller.subject();
        this.send = send;
        this.reaskMillis = Math.max(50, step.pollInterval().toMillis());
    }

    @Override
    void begin() {
        deadlineTimer = vertx.setTimer(Math.max(1, holdMillis), t -> {
            deadlineTimer = -1;
            if (!ended) {
                step.count("hold_timeout");
                end(Ending.TIMEOUT, ApprovalStep.refuse(pending, "approval", "still waiting after " + seconds(waited())
                        + (outstanding != null ? " for an answer to Toolgate's elicitation" : " for a human")
                        + "; the approval stays pending: retry the same call to be asked again, or once a human approved it"));
            }
        });
        ask();
    }

    private void ask() {
        reaskTimer = -1;
        if (ended) {
            return;
        }
        asks++;
        outstanding = elicitation.register(session, subject, this);
        send.accept(elicitation.streamRequest(outstanding, pending, asks));
    }

    /** The client's JSON-RPC response to elicitation {@code id} (a result with {@code action}, or an error). Any thread. */
    void answer(String id, JsonNode response) {
        context.runOnContext(v -> {
            if (ended || !id.equals(outstanding)) {
                return;
            }
            outstanding = null;
            answeredOnce = true;
            JsonNode error = response.get("error");
            if (error != null) {
                step.count("elicitation_declined");
                end(Ending.DECLINED, ApprovalStep.refuse(pending, "approval", "the client answered Toolgate's elicitation with error "
                        + error.path("code").asText("?") + " " + error.path("message").asText("") + "; the approval stays pending"));
                return;
            }
            String action = response.path("result").path("action").asText("");
            switch (action) {
                case "accept" -> lookUp();
                case "decline", "cancel" -> {
                    step.count("elicitation_declined");
                    end(Ending.DECLINED, ApprovalStep.refuse(pending, "approval", "the user " + ("cancel".equals(action) ? "cancelled" : "declined")
                            + " Toolgate's request to wait for it"));
                }
                default -> {
                    step.count("elicitation_declined");
                    end(Ending.DECLINED, ApprovalStep.refuse(pending, "approval", "the client's answer to Toolgate's elicitation has no action "
                            + "accept, decline or cancel; the approval stays pending"));
                }
            }
        });
    }

    @Override
    void stillPending(boolean due) {
        if (!due) {
            reaskTimer = vertx.setTimer(reaskMillis, t -> ask()); // accepted too early: the user is asked again
        }
        // due: the deadline timer ends it
    }

    @Override
    void unreachable(Throwable failure, boolean due) {
        end(Ending.UNAVAILABLE, step.unavailable(pending, failure));
    }

    @Override
    void stopped(Ending how) {
        if (deadlineTimer >= 0) {
            vertx.cancelTimer(deadlineTimer);
            deadlineTimer = -1;
        }
        if (reaskTimer >= 0) {
            vertx.cancelTimer(reaskTimer);
            reaskTimer = -1;
        }
        if (outstanding != null) {
            elicitation.unregister(session, subject, outstanding);
            if (how != Ending.CLIENT_GONE) {
                ObjectNode cancelled = JsonNodeFactory.instance.objectNode().put("jsonrpc", "2.0").put("method", "notifications/cancelled");
                cancelled.putObject("params").put("requestId", outstanding).put("reason", "Toolgate stopped waiting (" + how.label() + ")");
                send.accept(cancelled);
            }
            outstanding = null;
        }
    }

    @Override
    ApprovalTicket recorded(ApprovalTicket ticket) {
        return ticket.elicited(answeredOnce ? ApprovalTicket.ANSWERED : ApprovalTicket.ASKED);
    }
}
