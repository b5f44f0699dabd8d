package dev.toolgate.sidecar.caller;

import dev.toolgate.sidecar.SidecarConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.List;

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728), which the MCP authorization spec asks of a protected server: when
 * bearer tokens are configured, {@code GET /.well-known/oauth-protected-resource} (and the same with the resource's
 * path appended, §3.1) is answered by the sidecar, not forwarded, so a client can find the authorization server. The
 * URL of this document is named in every 401's {@code WWW-Authenticate} ({@link #url}).
 */
@Singleton
public class ProtectedResourceMetadata {

    static final String WELL_KNOWN = "/.well-known/oauth-protected-resource";

    @Inject
    SidecarConfig config;
    @Inject
    CallerResolver resolver;

    void install(@Observes Router router) {
        if (!(resolver instanceof BearerCallerResolver)) {
            return;
        }
        // Before the proxy's catch-all route (orders count up from 0 in the order routes are added).
        router.route(HttpMethod.GET, WELL_KNOWN).order(-2).handler(ctx -> answer(ctx.request()));
        router.route(HttpMethod.GET, WELL_KNOWN + "/*").order(-1).handler(ctx -> answer(ctx.request()));
    }

    private void answer(HttpServerRequest request) {
        request.response().setStatusCode(200).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "max-age=300").end(document(request).encode());
    }

    JsonObject document(HttpServerRequest request) {
        JsonObject document = new JsonObject().put("resource", resource(request));
        List<String> servers = authorizationServers();
        if (!servers.isEmpty()) {
            document.put("authorization_servers", new JsonArray(servers));
        }
        return document.put("bearer_methods_supported", new JsonArray().add("header"))
                .put("resource_name", "MCP server behind Toolgate");
    }

    /** The configured resource identifier, or this request's origin plus the path after the well-known prefix. */
    String resource(HttpServerRequest request) {
        SidecarConfig.ResourceMetadata settings = config.identity().resourceMetadata();
        if (settings.resource().isPresent()) {
            return settings.resource().get();
        }
        String path = request.path() != null && request.path().startsWith(WELL_KNOWN) ? request.path().substring(WELL_KNOWN.length()) : "";
        return origin(request) + path;
    }

    private List<String> authorizationServers() {
        SidecarConfig.ResourceMetadata settings = config.identity().resourceMetadata();
        return settings.authorizationServers().orElseGet(() -> config.identity().jwt().issuer().map(List::of).orElse(List.of()));
    }

    /** Where this document is for a request to the protected resource, for {@code WWW-Authenticate: Bearer resource_metadata=...}. */
    public String url(HttpServerRequest request) {
        SidecarConfig.ResourceMetadata settings = config.identity().resourceMetadata();
        if (settings.resource().isPresent()) {
            java.net.URI resource = java.net.URI.create(settings.resource().get());
            String path = resource.getRawPath() == null || resource.getRawPath().equals("/") ? "" : resource.getRawPath();
            return resource.getScheme() + "://" + resource.getRawAuthority() + WELL_KNOWN + path;
        }
        return origin(request) + WELL_KNOWN;
    }

    private static String origin(HttpServerRequest request) {
        String host = request.authority() != null ? request.authority().toString() : "localhost";
        return (request.isSSL() ? "https" : "http") + "://" + host;
    }
}
