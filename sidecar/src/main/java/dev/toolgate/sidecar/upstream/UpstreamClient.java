package dev.toolgate.sidecar.upstream;

import java.net.URI;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.caller.CallerResolver;
import dev.toolgate.sidecar.observe.Tracing;
import io.netty.channel.EventLoop;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.impl.ContextInternal;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * The MCP server's side of a forwarded request: the pooled client, the target, and the headers the server receives
 * (the client's, minus what the sidecar consumed or rewrites, plus the verified identity). With tracing on, Quarkus's
 * Vert.x tracer makes each request a client span and writes its {@code traceparent}.
 */
@Singleton // no client proxy: these run on every request
public class UpstreamClient {
    /**
     * Headers never forwarded besides hop-by-hop ones: we set Host, the length and the type (the body is the sidecar's own
     * UTF-8 JSON, so no charset or other parameter of the client's may reach a server that would read the body by it),
     * the body is never encoded, digests of the client's bytes would not match, and responses must arrive uncompressed.
     */
    private static final Set<String> REQUEST_DROP = HopByHopHeaders.names("host", "content-length", "content-type", "content-encoding",
            "content-md5", "digest", "content-digest", "repr-digest", "accept-encoding", "expect");

    /** {@link #REQUEST_DROP} plus what the caller step consumed (credentials, a claimed identity, the forward headers). */
    private final Set<String> requestDrop;
    private final Optional<String> forwardHeader;
    private final Optional<String> forwardGroupsHeader;
    private final SidecarConfig config;
    private final Vertx vertx;
    private final HttpClientOptions clientOptions;
    private final PoolOptions poolOptions;
    /**
     * One client (so one connection pool) per event loop. A pooled connection lives on the event loop that opened it;
     * with one shared pool a request arriving on loop A often got a connection of loop B, and every read and write then
     * crossed threads twice (measured: a single event loop was faster than four). Per-loop pools keep each exchange on
     * the loop that accepted the request.
     */
    private final Map<EventLoop, HttpClient> clients = new ConcurrentHashMap<>();
    private final String host;
    private final int port;
    private final String basePath;
    private final String authority;

    @Inject
    public UpstreamClient(Vertx vertx, SidecarConfig config, CallerResolver resolver, Tracing tracing) {
        this.vertx = vertx;
        this.config = config;
        Set<String> drop = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        drop.addAll(REQUEST_DROP);
        drop.addAll(resolver.consumedHeaders());
        // Tracing on: Vert.x's tracer adds the client span's traceparent (and the trace state and baggage it carries on);
        // the client's copies would go out beside it. Off, the set is empty and the client's headers pass unchanged.
        drop.addAll(tracing.propagationHeaders());
        // The forward headers carry only what the sidecar verified: a client's copy never passes, whatever the source.
        config.identity().forwardHeader().ifPresent(drop::add);
        config.identity().forwardGroupsHeader().ifPresent(drop::add);
        this.requestDrop = Collections.unmodifiableSet(drop);
        this.forwardHeader = config.identity().forwardHeader();
        this.forwardGroupsHeader = config.identity().forwardGroupsHeader();
        URI upstream = URI.create(config.upstream());
        if (!"http".equalsIgnoreCase(upstream.getScheme()) || upstream.getHost() == null) {
            throw new IllegalArgumentException("toolgate.upstream must be an http:// URL with a host, got " + config.upstream());
        }
        this.host = upstream.getHost();
        this.port = upstream.getPort() < 0 ? 80 : upstream.getPort();
        String path = upstream.getRawPath() == null ? "" : upstream.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.authority = upstream.getPort() < 0 ? host : host + ":" + port;
        this.clientOptions = new HttpClientOptions()
                .setConnectTimeout((int) config.upstreamConnectTimeout().toMillis())
                .setKeepAlive(true)
                .setDecompressionSupported(false);
        int loops = 0;
        for (var ignored : vertx.nettyEventLoopGroup()) {
            loops++;
        }
        // the configured bound is for the whole sidecar: split evenly across the loops' pools (at least one each)
        this.poolOptions = new PoolOptions().setHttp1MaxSize(Math.max(1, config.upstreamMaxConnections() / Math.max(1, loops)));
    }

    /** Path and query of a request, whatever form its request-target had (absolute-form loses scheme and host). */
    public static String originForm(HttpServerRequest request) {
        String path = request.path() == null || request.path().isEmpty() ? "/" : request.path();
        return request.query() == null ? path : path + "?" + request.query();
    }

    /**
     * Opens the server's request for a client's request, on the calling event loop's pool, with the headers the server
     * receives. Requests other than a GET event stream carry the idle timeout until their response head.
     */
    Future<HttpClientRequest> open(HttpServerRequest request, Caller caller, boolean hasBody) {
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setHost(host)
                .setPort(port)
                .setURI(basePath + originForm(request));
        if (request.method() != HttpMethod.GET && !config.upstreamIdleTimeout().isZero()) {
            options.setIdleTimeout(config.upstreamIdleTimeout().toMillis());
        }
        return client().request(options).map(upstream -> {
            HopByHopHeaders.copy(request.headers(), upstream.headers(), requestDrop);
            upstream.putHeader(HttpHeaders.HOST, authority);
            passVerifiedIdentity(caller, upstream.headers());
            if (hasBody || request.headers().contains(HttpHeaders.CONTENT_TYPE)) {
                upstream.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
            }
            return upstream;
        });
    }

    /** Sends the body (the sidecar's own bytes, never the client's) and completes with the server's response head. */
    static Future<HttpClientResponse> send(HttpClientRequest upstream, HttpServerRequest request, byte[] bytes) {
        return bytes.length > 0 || request.method() == HttpMethod.POST || request.method() == HttpMethod.PUT
                ? upstream.send(Buffer.buffer(bytes)) : upstream.send();
    }

    /** The verified subject (and groups) in the operator's headers; a caller nobody verified passes none (the client's copies were dropped). */
    private void passVerifiedIdentity(Caller caller, MultiMap headers) {
        if (caller == null || (caller.source() != Caller.Source.JWT && caller.source() != Caller.Source.SERVICE_ACCOUNT)) {
            return;
        }
        forwardHeader.ifPresent(name -> headers.set(name, caller.subject()));
        forwardGroupsHeader.ifPresent(name -> headers.set(name, String.join(",", new TreeSet<>(caller.groups()))));
    }

    /** The calling event loop's client (created on first use). */
    private HttpClient client() {
        EventLoop loop = ((ContextInternal) Vertx.currentContext()).nettyEventLoop();
        HttpClient client = clients.get(loop);
        return client != null ? client : clients.computeIfAbsent(loop, l -> vertx.createHttpClient(clientOptions, poolOptions));
    }

    void close(@Observes ShutdownEvent event) {
        clients.values().forEach(HttpClient::close);
    }
}
