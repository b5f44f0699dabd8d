package dev.toolgate.operator.approval;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.OperatorConfig;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Tells a person that a call waits for them, and that it stopped waiting: a JSON POST to
 * {@code toolgate.operator.approvals.notify-url} when an approval is requested ({@code status: firing}) and when it is
 * decided or expires ({@code resolved}). One body suits both common receivers: Slack-style incoming webhooks read
 * {@code text}; Alertmanager-style webhook receivers read {@code version: "4"}, {@code status} and {@code alerts} (one
 * alert {@code ToolgateApprovalPending} with the approval's labels and the command to approve it). Sent in the
 * background, bounded by a 5 s timeout; a failed delivery is logged and counted
 * ({@code toolgate_operator_approval_notifications_total{result}}) and never holds up the approval itself.
 */
@ApplicationScoped
public class ApprovalNotifier {

    private static final Logger LOG = Logger.getLogger(ApprovalNotifier.class);
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final Optional<URI> url;
    private final MeterRegistry meters;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();

    public ApprovalNotifier(OperatorConfig config, MeterRegistry meters) {
        this.url = config.approvals().notifyUrl().filter(u -> !u.isBlank()).map(u -> {
            URI uri = URI.create(u.trim());
            if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
                throw new IllegalArgumentException("toolgate.operator.approvals.notify-url must be an http(s) URL");
            }
            return uri;
        });
        this.meters = meters;
    }

    void requested(McpApproval approval) {
        send(approval, "firing", approval.getSpec().getRequester().getSubject() + " asks to call " + approval.getSpec().getTool()
                + " (McpPolicy " + approval.getSpec().getPolicy() + "): kubectl toolgate show " + name(approval) + " -n "
                + approval.getMetadata().getNamespace() + ", then approve or reject it before " + approval.getSpec().getExpiresAt());
    }

    void ended(McpApproval approval, ApprovalState state) {
        ApprovalDecision decision = approval.getSpec().getDecision();
        String how = state == ApprovalState.EXPIRED ? "expired without a decision"
                : state.spelling().toLowerCase(java.util.Locale.ROOT) + " by " + decision.getApprover();
        send(approval, "resolved", "The request of " + approval.getSpec().getRequester().getSubject() + " to call "
                + approval.getSpec().getTool() + " (" + name(approval) + ") was " + how);
    }

    /** The body: Slack's {@code text} and an Alertmanager-style webhook message in one. */
    static ObjectNode body(McpApproval approval, String status, String text) {
        McpApprovalSpec spec = approval.getSpec();
        ObjectNode body = ApprovalService.JSON.createObjectNode();
        body.put("text", text);
        body.put("version", "4");
        body.put("status", status);
        body.put("receiver", "toolgate");
        ObjectNode labels = ApprovalService.JSON.createObjectNode();
        labels.put("alertname", "ToolgateApprovalPending");
        labels.put("namespace", approval.getMetadata().getNamespace());
        labels.put("approval", name(approval));
        labels.put("policy", spec.getPolicy());
        labels.put("tool", spec.getTool());
        labels.put("requester", spec.getRequester().getSubject());
        body.set("groupLabels", ApprovalService.JSON.createObjectNode().put("alertname", "ToolgateApprovalPending"));
        body.set("commonLabels", labels.deepCopy());
        ObjectNode annotations = ApprovalService.JSON.createObjectNode();
        annotations.put("summary", text);
        annotations.put("approve", "kubectl toolgate approve " + name(approval) + " -n " + approval.getMetadata().getNamespace());
        annotations.put("reject", "kubectl toolgate reject " + name(approval) + " -n " + approval.getMetadata().getNamespace()
                + " --reason '...'");
        body.set("commonAnnotations", annotations.deepCopy());
        ObjectNode alert = body.putArray("alerts").addObject();
        alert.put("status", status);
        alert.set("labels", labels);
        alert.set("annotations", annotations);
        alert.put("startsAt", spec.getRequestedAt());
        alert.put("endsAt", "resolved".equals(status) ? java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()
                : spec.getExpiresAt());
        alert.put("fingerprint", approval.getMetadata().getLabels() == null ? name(approval)
                : approval.getMetadata().getLabels().getOrDefault(dev.toolgate.operator.ToolgateNames.APPROVAL_KEY_LABEL, name(approval)));
        return body;
    }

    private void send(McpApproval approval, String status, String text) {
        if (url.isEmpty()) {
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(url.get()).timeout(TIMEOUT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(approval, status, text).toString())).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            String result = failure != null ? "error" : response.statusCode() / 100 == 2 ? "sent" : "refused";
            meters.counter("toolgate.operator.approval.notifications", "result", result).increment();
            if (failure != null) {
                LOG.warnf("Approval notification for %s/%s not delivered: %s", approval.getMetadata().getNamespace(), name(approval),
                        failure.getMessage());
            } else if (!"sent".equals(result)) {
                LOG.warnf("Approval notification for %s/%s refused by the receiver: HTTP %d", approval.getMetadata().getNamespace(),
                        name(approval), response.statusCode());
            }
        });
    }

    private static String name(McpApproval approval) {
        return approval.getMetadata().getName();
    }
}
