package dev.toolgate.sidecar.observe;

import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.enforce.PolicyHolder;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;

/** Readiness = a valid policy is loaded and the MCP server accepts connections. */
public final class SidecarHealth {

    private SidecarHealth() {
    }

    @Readiness
    @ApplicationScoped
    public static class PolicyLoaded implements HealthCheck {
        @Inject
        PolicyHolder policies;

        @Override
        public HealthCheckResponse call() {
            var state = policies.state();
            var builder = HealthCheckResponse.named("toolgate-policy").withData("file", policies.file().toString());
            if (state.policy() == null) {
                return builder.down().withData("problem", state.problem()).build();
            }
            return builder.up().withData("hash", state.policy().hash()).build();
        }
    }

    @Readiness
    @ApplicationScoped
    public static class UpstreamReachable implements HealthCheck {
        @Inject
        SidecarConfig config;

        @Override
        public HealthCheckResponse call() {
            URI upstream = URI.create(config.upstream());
            int port = upstream.getPort() < 0 ? 80 : upstream.getPort();
            var builder = HealthCheckResponse.named("toolgate-upstream").withData("upstream", config.upstream());
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(upstream.getHost(), port), 1000);
                return builder.up().build();
            } catch (IOException e) {
                return builder.down().withData("error", e.toString()).build();
            }
        }
    }

    @Startup
    @ApplicationScoped
    public static class Started implements HealthCheck {
        @Override
        public HealthCheckResponse call() {
            // Reached only once the application, and so the proxy route, is up.
            return HealthCheckResponse.up("toolgate-started");
        }
    }
}
