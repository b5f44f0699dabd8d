package dev.toolgate.sidecar.approval;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.sidecar.SidecarConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.tracing.TracingPolicy;
import jakarta.inject.Singleton;

/**
 * The operator's approval API over HTTPS ({@code POST <url>/approvals/v1/request|consume}), asynchronous and bounded
 * by {@code toolgate.approvals.timeout}. The sidecar authenticates with its pod's projected token (audience
 * {@code toolgate-operator}), read afresh on each call because the kubelet rotates it; it holds no Kubernetes rights.
 */
@Singleton
public class ApprovalClient {

    static final String PATH = "/approvals/v1/";
    private static final int MAX_ANSWER_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final String policy;
    private final Path tokenFile;
    private final Path caFile;
    private final long timeoutMillis;
    private final Vertx vertx;
    private final io.vertx.core.Context context;
    /** The client for the CA last read from {@link #caFile}; replaced when the file changes (the operator's CA rotated). */
    private HttpClient client;
    private String clientCa;

    @jakarta.inject.Inject
    public ApprovalClient(SidecarConfig config, Vertx vertx) {
        this(config.approvals().url().orElse(null), config.approvals().policy().orElse(null),
                config.approvals().tokenFile().map(Path::of).orElse(null), config.approvals().caFile().map(Path::of).orElse(null),
                config.approvals().timeout().toMillis(), vertx);
    }

    /** {@code url} null or blank: not configured. */
    public ApprovalClient(String url, String policy, Path tokenFile, Path caFile, long timeoutMillis, Vertx vertx) {
        this.url = url == null || url.isBlank() ? null : url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.policy = policy;
        this.tokenFile = tokenFile;
        this.caFile = caFile;
        this.timeoutMillis = timeoutMillis;
        this.vertx = vertx;
        if (url == null) {
            this.context = null;
            return;
        }
        URI uri = URI.create(url);
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("toolgate.approvals.url must be an http(s) URL, got " + url);
        }
        if (policy == null || policy.isBlank()) {
            throw new IllegalArgumentException("toolgate.approvals.policy is required with toolgate.approvals.url");
        }
        this.context = vertx.getOrCreateContext();
    }

    /** The HTTP client trusting the CA file as it is now (read on every call: it is small, and it may rotate). */
    private Future<HttpClient> client() {
        if (caFile == null) {
            if (client == null) {
                client = vertx.createHttpClient(options());
            }
            return Future.succeededFuture(client);
        }
        return vertx.fileSystem().readFile(caFile.toString()).recover(e -> Future.failedFuture("the operator's CA " + caFile
                + " is not readable yet (" + e.getMessage() + ")")).map(content -> {
                    String ca = content.toString();
                    if (client == null || !ca.equals(clientCa)) {
                        if (client != null) {
                            client.close();
                        }
                        client = vertx.createHttpClient(options().setTrustOptions(new PemTrustOptions().addCertValue(content)));
                        clientCa = ca;
                    }
                    return client;
                });
    }

    private HttpClientOptions options() {
        // calls run on this client's own context, outside the request's trace: with tracing on each would be a trace of
        // its own, so they are not traced (their time is inside the call's decision span)
        return new HttpClientOptions().setConnectTimeout((int) timeoutMillis).setVerifyHost(true).setMaxPoolSize(4)
                .setTracingPolicy(TracingPolicy.IGNORE);
    }

    /** False when no approval API is configured: nobody can approve a call here. */
    public boolean configured() {
        return url != null;
    }

    /** The McpPolicy approvals are filed under. */
    public String policy() {
        return policy;
    }

    /** POSTs {@code body} to {@code operation}; fails with the operator's own message on anything but 200. */
    public CompletionStage<JsonNode> call(String operation, ObjectNode body) {
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        if (url == null) {
            answer.completeExceptionally(new IllegalStateException("no approval service is configured (toolgate.approvals.url)"));
            return answer;
        }
        body.put("policy", policy);
        context.runOnContext(v -> client().compose(http -> token().compose(token -> {
            RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url + PATH + operation)
                    .setSsl(url.startsWith("https:")).setTimeout(timeoutMillis).setFollowRedirects(false)
                    .putHeader("Content-Type", "application/json").putHeader("Accept", "application/json");
            if (token != null) {
                request.putHeader("Authorization", "Bearer " + token);
            }
            return http.request(request).compose(req -> req.send(Buffer.buffer(body.toString()))).compose(response ->
                    response.body().compose(content -> {
                        if (content.length() > MAX_ANSWER_BYTES) {
                            return Future.failedFuture("the operator answered more than " + MAX_ANSWER_BYTES + " bytes");
                        }
                        JsonNode parsed;
                        try {
                            parsed = JSON.readTree(content.getBytes());
                        } catch (java.io.IOException e) {
                            return Future.failedFuture("the operator answered HTTP " + response.statusCode() + " with no JSON");
                        }
                        if (response.statusCode() != 200) {
                            return Future.failedFuture("the operator answered HTTP " + response.statusCode() + ": "
                                    + parsed.path("error").asText("(no reason given)"));
                        }
                        return Future.succeededFuture(parsed);
                    }));
        })).onComplete(result -> {
            if (result.succeeded()) {
                answer.complete(result.result());
            } else {
                Throwable cause = result.cause();
                answer.completeExceptionally(cause instanceof RuntimeException ? cause : new IllegalStateException(cause.getMessage(), cause));
            }
        }));
        return answer;
    }

    private Future<String> token() {
        if (tokenFile == null) {
            return Future.succeededFuture(null);
        }
        return vertx.fileSystem().readFile(tokenFile.toString()).map(content -> content.toString().trim())
                .recover(e -> Future.failedFuture("cannot read the approval token " + tokenFile + ": " + e.getMessage()));
    }
}
