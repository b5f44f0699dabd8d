import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Set;
import java.util.TreeSet;

/**
 * JVM floor, Vert.x flavour: a reverse proxy on the sidecar's own HTTP stack (Vert.x core, the version Quarkus ships)
 * that does nothing but forward. Same shape as the sidecar's relay: the whole request body is read, then sent to the
 * upstream over the accepting event loop's own client pool; the response is streamed back with back-pressure.
 * No policy, no parsing, no metrics, no logging on the hot path. A benchmark fixture (bench/floor/README.md), not a product.
 *
 * <p>Usage: {@code java -cp <classes>:<quarkus-app/lib/main/*> VertxFloorProxy <listen-port> <upstream-port>}, both on 127.0.0.1.
 */
public final class VertxFloorProxy extends AbstractVerticle {
    /** Quarkus's default on 2 CPUs (2 × cores), which the sidecar runs with; one verticle (server + client) per loop. */
    static final int EVENT_LOOPS = 4;
    /** The sidecar's default toolgate.max-body-bytes. */
    static final int MAX_BODY_BYTES = 4 << 20;
    /** The sidecar's default toolgate.upstream-max-connections (512), split across the loops' pools as it does. */
    static final int POOL_PER_LOOP = 512 / EVENT_LOOPS;
    static final int CONNECT_TIMEOUT_MS = 5_000;

    /** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded, nor any header named in Connection. */
    private static final Set<String> HOP_BY_HOP = names("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "http2-settings");

    /** Set by this proxy itself. */
    private static final Set<String> REQUEST_DROP = names("host", "content-length", "expect");
    private static final Set<String> RESPONSE_DROP = names("content-length");

    private final int listenPort;
    private final int upstreamPort;
    private final String upstreamAuthority;
    private HttpClient client;

    VertxFloorProxy(int listenPort, int upstreamPort) {
        this.listenPort = listenPort;
        this.upstreamPort = upstreamPort;
        this.upstreamAuthority = "127.0.0.1:" + upstreamPort;
    }

    public static void main(String[] args) {
        int[] ports = FloorArgs.ports(args, "VertxFloorProxy");
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(EVENT_LOOPS));
        vertx.deployVerticle(() -> new VertxFloorProxy(ports[0], ports[1]), new DeploymentOptions().setInstances(EVENT_LOOPS))
                .onFailure(e -> {
                    System.err.println("VertxFloorProxy: cannot start: " + e);
                    System.exit(1);
                });
    }

    @Override
    public void start(Promise<Void> started) {
        // this verticle's event loop owns the client, so every pooled connection stays on the loop of its requests
        client = vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(true)
                        .setConnectTimeout(CONNECT_TIMEOUT_MS)
                        .setDecompressionSupported(false),
                new PoolOptions().setHttp1MaxSize(POOL_PER_LOOP));
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(listenPort)
                        .setHandle100ContinueAutomatically(true))
                .requestHandler(this::accept)
                .listen()
                .<Void>mapEmpty()
                .onComplete(started);
    }

    private void accept(HttpServerRequest request) {
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (declared != null && tooLong(declared)) {
            closeWith(request, 413, "request body larger than " + MAX_BODY_BYTES + " bytes\n");
            return;
        }
        request.exceptionHandler(e -> { }); // the client broke off: its connection is closing, nothing to report
        Buffer body = Buffer.buffer();
        boolean[] refused = {false};
        request.handler(chunk -> {
            if (refused[0]) {
                return;
            }
            if (body.length() + chunk.length() > MAX_BODY_BYTES) {
                refused[0] = true;
                closeWith(request, 413, "request body larger than " + MAX_BODY_BYTES + " bytes\n");
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> {
            if (!refused[0]) {
                forward(request, body);
            }
        });
    }

    private void forward(HttpServerRequest request, Buffer body) {
        RequestOptions options = new RequestOptions()
                .setMethod(request.method())
                .setHost("127.0.0.1")
                .setPort(upstreamPort)
                .setURI(originForm(request));
        client.request(options).onComplete(created -> {
            if (created.failed()) {
                badGateway(request);
                return;
            }
            HttpClientRequest upstream = created.result();
            copyEndToEnd(request.headers(), upstream.headers(), REQUEST_DROP);
            upstream.putHeader(HttpHeaders.HOST, upstreamAuthority);
            request.response().closeHandler(v -> upstream.reset()); // the client left: stop the upstream's work for it
            boolean hasBody = body.length() > 0 || request.method() == HttpMethod.POST || request.method() == HttpMethod.PUT;
            (hasBody ? upstream.send(body) : upstream.send()).onComplete(answered -> {
                if (answered.failed()) {
                    badGateway(request);
                } else {
                    relay(request, answered.result());
                }
            });
        });
    }

    private static void relay(HttpServerRequest request, HttpClientResponse upstream) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            upstream.request().reset();
            return;
        }
        response.setStatusCode(upstream.statusCode());
        if (upstream.statusMessage() != null) {
            response.setStatusMessage(upstream.statusMessage());
        }
        copyEndToEnd(upstream.headers(), response.headers(), RESPONSE_DROP);
        String length = upstream.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
        } else if (request.method() != HttpMethod.HEAD && upstream.statusCode() >= 200 && upstream.statusCode() != 204
                && upstream.statusCode() != 304) {
            response.setChunked(true); // the upstream streams without a length: so do we
        }
        upstream.handler(chunk -> {
            response.write(chunk);
            if (response.writeQueueFull()) {
                upstream.pause();
                response.drainHandler(v -> upstream.resume());
            }
        });
        upstream.exceptionHandler(e -> badGateway(request));
        upstream.endHandler(v -> response.end());
    }

    /** The upstream failed: a 502 if nothing was sent yet, else a reset; either way the client connection ends. */
    private static void badGateway(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (response.headWritten()) {
            response.reset(); // HTTP/1.x: closes the connection, so the client cannot take a truncated body for whole
            return;
        }
        closeWith(request, 502, "upstream unavailable\n");
    }

    private static void closeWith(HttpServerRequest request, int status, String text) {
        HttpServerResponse response = request.response();
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(text)
                .onComplete(v -> request.connection().close());
    }

    /** Copies end-to-end headers: not hop-by-hop, not named in Connection, not in {@code alsoDrop}. */
    static void copyEndToEnd(MultiMap from, MultiMap to, Set<String> alsoDrop) {
        Set<String> named = null;
        for (String connection : from.getAll(HttpHeaders.CONNECTION)) {
            for (String token : connection.split(",")) {
                if (named == null) {
                    named = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
                }
                named.add(token.trim());
            }
        }
        for (var entry : from) {
            String name = entry.getKey();
            if (!HOP_BY_HOP.contains(name) && !alsoDrop.contains(name) && (named == null || !named.contains(name))) {
                to.add(name, entry.getValue());
            }
        }
    }

    static Set<String> names(String... names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(java.util.Arrays.asList(names));
        return set;
    }

    static String originForm(HttpServerRequest request) {
        String path = request.path() == null || request.path().isEmpty() ? "/" : request.path();
        return request.query() == null ? path : path + "?" + request.query();
    }

    static boolean tooLong(String contentLength) {
        try {
            return Long.parseLong(contentLength.trim()) > MAX_BODY_BYTES;
        } catch (NumberFormatException e) {
            return false; // the server's decoder rejects it
        }
    }
}
