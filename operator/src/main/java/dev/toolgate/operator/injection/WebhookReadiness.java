package dev.toolgate.operator.injection;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import jakarta.enterprise.context.ApplicationScoped;

/** Ready only while the webhook serves a usable certificate (certManager mode: until cert-manager has issued one, not ready). */
@Readiness
@ApplicationScoped
public class WebhookReadiness implements HealthCheck {

    private final WebhookServer webhook;

    public WebhookReadiness(WebhookServer webhook) {
        this.webhook = webhook;
    }

    @Override
    public HealthCheckResponse call() {
        String reason = webhook.notServingReason();
        return reason == null ? HealthCheckResponse.named("toolgate-webhook").up().build()
                : HealthCheckResponse.named("toolgate-webhook").down().withData("reason", reason).build();
    }
}
