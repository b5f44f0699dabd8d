package dev.toolgate.sidecar.caller;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.tracing.TracingPolicy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Reads an issuer's JWKS over HTTP(S), asynchronously: from a configured URL, or from the {@code jwks_uri} of the
 * issuer's OpenID discovery document (whose {@code issuer} must equal the configured one). Optionally trusts a PEM CA
 * file instead of the JVM's roots and sends a bearer read from a file on every fetch (a rotated token is picked up).
 * Redirects are not followed; answers are bounded in size.
 */
public final class JwksFetcher implements Supplier<Future<String>> {

    static final int MAX_DOCUMENT_BYTES = 1 << 20;
    private static final long TIMEOUT_MILLIS = 10_000;

    private final Vertx vertx;
    private final String issuer;
    private final Optional<String> jwksUrl;
    private final Optional<Path> bearerFile;
    private final HttpClient client;
    private final io.vertx.core.Context context;
    private volatile String discoveredJwksUrl;

    public JwksFetcher(Vertx vertx, String issuer, Optional<String> jwksUrl, Optional<Path> caFile, Optional<Path> bearerFile) {
        this.vertx = vertx;
        this.issuer = issuer;
        this.jwksUrl = jwksUrl;
        this.bearerFile = bearerFile;
        jwksUrl.ifPresent(url -> checkUrl("jwks-url", url));
        checkUrl("issuer", issuer);
        HttpClientOptions options = new HttpClientOptions().setConnectTimeout((int) TIMEOUT_MILLIS).setVerifyHost(true)
                .setMaxPoolSize(1).setKeepAlive(false)
                // key fetches run on timers, outside any request: with tracing on each would start a trace of its own
                .setTracingPolicy(TracingPolicy.IGNORE);
        caFile.ifPresent(ca -> {
            if (!Files.isReadable(ca)) {
                throw new IllegalArgumentException("CA file " + ca + " for " + issuer + " is not readable");
            }
            options.setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()));
        });
        this.client = vertx.createHttpClient(options);
        this.context = vertx.getOrCreateContext();
    }

    static URI checkUrl(String setting, String url) {
        return TrustedIssuer.checkUrl(setting, url);
    }

    /**
     * Fetches on this fetcher's own event loop whoever asks (a timer, a request's loop, a test thread): a response's
     * body is only safe to collect when its handlers are set in the same loop task that received it.
     */
    @Override
    public Future<String> get() {
        io.vertx.core.Promise<String> body = io.vertx.core.Promise.promise();
        context.runOnContext(v -> jwksUrl.map(Future::succeededFuture).orElseGet(this::discover).compose(this::read).onComplete(body));
        return body.future();
    }

    private Future<String> discover() {
        if (discoveredJwksUrl != null) {
            return Future.succeededFuture(discoveredJwksUrl);
        }
        String url = (issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer) + "/.well-known/openid-configuration";
        return read(url).compose(body -> {
            JsonObject document;
            try {
                document = new JsonObject(body);
            } catch (RuntimeException e) {
                return Future.failedFuture("discovery document " + url + " is not a JSON object");
            }
            if (!issuer.equals(document.getValue("issuer"))) {
                return Future.failedFuture("discovery document " + url + " names issuer \"" + document.getValue("issuer")
                        + "\", not \"" + issuer + "\"");
            }
            if (!(document.getValue("jwks_uri") instanceof String jwks)) {
                return Future.failedFuture("discovery document " + url + " has no jwks_uri");
            }
            URI uri = checkUrl("jwks_uri", jwks);
            if ("http".equals(uri.getScheme()) && issuer.startsWith("https:")) {
                return Future.failedFuture("discovery document " + url + " points to a plain-http jwks_uri " + jwks);
            }
            discoveredJwksUrl = jwks;
            return Future.succeededFuture(jwks);
        });
    }

    private Future<String> read(String url) {
        return bearer().compose(token -> {
            URI uri = URI.create(url);
            RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
                    .setSsl("https".equals(uri.getScheme())).setTimeout(TIMEOUT_MILLIS).setFollowRedirects(false)
                    .putHeader("Accept", "application/json, application/jwk-set+json"); // the API server serves only the latter
            token.ifPresent(t -> request.putHeader("Authorization", "Bearer " + t));
            return client.request(request).compose(req -> req.send()).compose(response -> {
                if (response.statusCode() != 200) {
                    return Future.failedFuture(url + " answered HTTP " + response.statusCode());
                }
                String length = response.getHeader("Content-Length");
                if (length != null && length.length() < 20 && Long.parseLong(length.trim()) > MAX_DOCUMENT_BYTES) {
                    response.request().reset();
                    return Future.failedFuture(url + " announced more than " + MAX_DOCUMENT_BYTES + " bytes");
                }
                // body() collects whatever already arrived too (a handler set now could miss a body that ended).
                return response.body().compose(body -> body.length() > MAX_DOCUMENT_BYTES
                        ? Future.failedFuture(url + " answered more than " + MAX_DOCUMENT_BYTES + " bytes")
                        : Future.succeededFuture(body.toString(java.nio.charset.StandardCharsets.UTF_8)));
            }).recover(e -> Future.failedFuture(e.getMessage() != null && e.getMessage().contains(url) ? e.getMessage() : url + ": " + e));
        });
    }

    /** The bearer for the fetch, read afresh (the kubelet rewrites projected tokens); none when no file is configured or it is missing. */
    private Future<Optional<String>> bearer() {
        if (bearerFile.isEmpty()) {
            return Future.succeededFuture(Optional.empty());
        }
        String file = bearerFile.get().toString();
        return vertx.fileSystem().exists(file).compose(exists -> !exists ? Future.succeededFuture(Optional.<String>empty())
                : vertx.fileSystem().readFile(file).map(content -> Optional.of(content.toString().trim()).filter(t -> !t.isEmpty())));
    }

    public void close() {
        client.close();
    }
}
