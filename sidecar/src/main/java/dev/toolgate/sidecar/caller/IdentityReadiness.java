package dev.toolgate.sidecar.caller;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only when every trusted issuer has signing keys: a sidecar that would refuse every token must not receive
 * traffic. Eager ({@link Startup}), so a bad identity setting stops the sidecar at startup and the first key fetch
 * starts before the first request.
 */
@Readiness
@Startup
@ApplicationScoped
public class IdentityReadiness implements HealthCheck {

    @Inject
    CallerResolver resolver;

    @Override
    public HealthCheckResponse call() {
        var builder = HealthCheckResponse.named("toolgate-identity");
        if (!(resolver instanceof BearerCallerResolver bearer)) {
            return builder.up().withData("source", "header").build();
        }
        for (TrustedIssuer issuer : bearer.issuers()) {
            builder.withData(issuer.issuer(), issuer.keys().problem() == null ? "keys " + issuer.keys().keyIds() : issuer.keys().problem());
        }
        return bearer.problems().isEmpty() ? builder.up().build() : builder.down().build();
    }
}
