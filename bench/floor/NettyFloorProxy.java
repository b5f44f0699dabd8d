import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * JVM floor, raw Netty flavour: a reverse proxy on the Netty version under the sidecar's Vert.x, with nothing between the
 * codecs but forwarding. Whole requests and responses are aggregated (as the sidecar reads whole request bodies), the
 * upstream connections are kept alive in a pool per event loop, and each exchange stays on the loop that accepted the
 * client connection. No policy, no parsing beyond HTTP, no logging on the hot path. A benchmark fixture
 * (bench/floor/README.md), not a product.
 *
 * <p>Usage: {@code java -cp <classes>:<quarkus-app/lib/main/*> NettyFloorProxy <listen-port> <upstream-port>}, both on 127.0.0.1.
 */
public final class NettyFloorProxy {
    /** As many loops as the sidecar's Vert.x runs on 2 CPUs; NIO, the transport the sidecar uses. */
    static final int EVENT_LOOPS = 4;
    static final int MAX_BODY_BYTES = 4 << 20; // the sidecar's default toolgate.max-body-bytes
    static final int MAX_RESPONSE_BYTES = 16 << 20;
    static final int MAX_IDLE_PER_LOOP = 512 / EVENT_LOOPS;
    static final int CONNECT_TIMEOUT_MS = 5_000;

    /** Hop-by-hop headers (RFC 9110 §7.6.1), never forwarded, nor any header named in Connection. */
    private static final List<CharSequence> HOP_BY_HOP = List.of(HttpHeaderNames.CONNECTION, "keep-alive",
            "proxy-connection", HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE, "http2-settings");

    /** Idle upstream connections of the current event loop: touched only by that loop's thread, so no locking. */
    private static final FastThreadLocal<ArrayDeque<UpstreamConnection>> IDLE = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<UpstreamConnection> initialValue() {
            return new ArrayDeque<>();
        }
    };

    public static void main(String[] args) throws InterruptedException {
        int[] ports = FloorArgs.ports(args, "NettyFloorProxy");
        EventLoopGroup acceptor = new NioEventLoopGroup(1);
        EventLoopGroup loops = new NioEventLoopGroup(EVENT_LOOPS);
        Bootstrap upstream = new Bootstrap()
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .remoteAddress("127.0.0.1", ports[1])
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_RESPONSE_BYTES),
                                new UpstreamConnection());
                    }
                });
        String authority = "127.0.0.1:" + ports[1];
        ChannelFuture bound = new ServerBootstrap()
                .group(acceptor, loops)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // the keep-alive handler answers Connection: close / HTTP/1.0 and closes after such a response;
                        // the aggregator answers Expect: 100-continue and refuses bodies over the bound with a 413
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                                new HttpObjectAggregator(MAX_BODY_BYTES), new ClientConnection(upstream, authority));
                    }
                })
                .bind("127.0.0.1", ports[0])
                .await();
        if (!bound.isSuccess()) {
            System.err.println("NettyFloorProxy: cannot listen on 127.0.0.1:" + ports[0] + ": " + bound.cause());
            System.exit(1);
        }
    }

    /** One client connection: its requests are forwarded one at a time, in order (pipelined ones wait their turn). */
    static final class ClientConnection extends ChannelInboundHandlerAdapter {
        private final Bootstrap upstreamTemplate;
        private final String authority;
        private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
        private ChannelHandlerContext ctx;
        private boolean busy;
        private boolean http10KeepAlive;
        /** The upstream connection serving the current request, once it has one. */
        private UpstreamConnection upstream;

        ClientConnection(Bootstrap upstreamTemplate, String authority) {
            this.upstreamTemplate = upstreamTemplate;
            this.authority = authority;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpRequest request)) {
                ReferenceCountUtil.release(msg); // the aggregator sends nothing else
                return;
            }
            if (request.decoderResult().isFailure()) {
                request.release();
                fail(HttpResponseStatus.BAD_REQUEST, "malformed request\n");
                return;
            }
            if (request.method() == HttpMethod.CONNECT) { // would turn the codecs into a tunnel
                request.release();
                fail(HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not forwarded\n");
                return;
            }
            waiting.add(request);
            if (busy) {
                ctx.channel().config().setAutoRead(false); // pipelining client: read more once the queue is worked off
            } else {
                next();
            }
        }

        /** Starts the next waiting request, if any. */
        private void next() {
            FullHttpRequest request = waiting.poll();
            if (request == null) {
                if (!ctx.channel().config().isAutoRead()) {
                    ctx.channel().config().setAutoRead(true);
                }
                return;
            }
            busy = true;
            http10KeepAlive = request.protocolVersion().equals(HttpVersion.HTTP_1_0) && HttpUtil.isKeepAlive(request);
            // the request object itself goes upstream: its content is handed over, not copied
            HttpHeaders headers = request.headers();
            removeHopByHop(headers);
            headers.remove(HttpHeaderNames.EXPECT);
            headers.set(HttpHeaderNames.HOST, authority);
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, request.content().readableBytes());
            request.setProtocolVersion(HttpVersion.HTTP_1_1);
            request.setUri(originForm(request.uri()));

            ArrayDeque<UpstreamConnection> idle = IDLE.get();
            UpstreamConnection pooled;
            while ((pooled = idle.pollLast()) != null && !pooled.channel.isActive()) {
                // closed while idle; its inactive handler removes it too, this only skips a race
            }
            if (pooled != null) {
                send(pooled, request);
                return;
            }
            upstreamTemplate.clone(ctx.channel().eventLoop()).connect().addListener((ChannelFutureListener) connected -> {
                if (!connected.isSuccess()) {
                    request.release();
                    upstreamFailed();
                } else if (!ctx.channel().isActive()) {
                    request.release();
                    connected.channel().close();
                } else {
                    send(connected.channel().pipeline().get(UpstreamConnection.class), request);
                }
            });
        }

        private void send(UpstreamConnection connection, FullHttpRequest request) {
            upstream = connection;
            connection.client = this;
            connection.channel.writeAndFlush(request).addListener((ChannelFutureListener) written -> {
                if (!written.isSuccess()) {
                    written.channel().close(); // its inactive handler answers the client with a 502
                }
            });
        }

        /** The upstream's whole response: relayed as it is, minus hop-by-hop headers. */
        void respond(FullHttpResponse response) {
            upstream = null;
            if (!ctx.channel().isActive()) {
                response.release();
                return;
            }
            removeHopByHop(response.headers());
            int status = response.status().code();
            if (status < 200 || status == 204) {
                response.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
            } // else the aggregator has set Content-Length (for HEAD and 304 it keeps the upstream's)
            response.setProtocolVersion(HttpVersion.HTTP_1_1);
            if (http10KeepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            busy = false;
            ctx.writeAndFlush(response, ctx.voidPromise());
            next();
        }

        /** The upstream connection failed or closed before a whole response came: a 502, then the client connection ends. */
        void upstreamFailed() {
            upstream = null;
            fail(HttpResponseStatus.BAD_GATEWAY, "upstream unavailable\n");
        }

        private void fail(HttpResponseStatus status, String text) {
            busy = true; // nothing more is started on this connection
            releaseWaiting();
            if (!ctx.channel().isActive()) {
                return;
            }
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
            response.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            releaseWaiting();
            UpstreamConnection inFlight = upstream;
            upstream = null;
            if (inFlight != null) {
                // its answer has no one to go to, and a connection with a response pending cannot be reused
                inFlight.client = null;
                inFlight.channel.close();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset or a decoding failure: the connection is over
        }

        private void releaseWaiting() {
            FullHttpRequest request;
            while ((request = waiting.poll()) != null) {
                request.release();
            }
        }
    }

    /** One pooled upstream connection; {@code client} is the exchange it is serving, null while idle. */
    static final class UpstreamConnection extends ChannelInboundHandlerAdapter {
        Channel channel;
        ClientConnection client;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            channel = ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ClientConnection waiting = client;
            client = null;
            if (!(msg instanceof FullHttpResponse response) || waiting == null) {
                ReferenceCountUtil.release(msg); // nobody asked: the connection is out of step, drop it
                ctx.close();
                return;
            }
            if (response.decoderResult().isFailure()) {
                response.release();
                ctx.close();
                waiting.upstreamFailed();
                return;
            }
            ArrayDeque<UpstreamConnection> idle = IDLE.get();
            if (HttpUtil.isKeepAlive(response) && idle.size() < MAX_IDLE_PER_LOOP) {
                idle.addLast(this);
            } else {
                ctx.close();
            }
            waiting.respond(response);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            IDLE.get().remove(this);
            ClientConnection waiting = client;
            client = null;
            if (waiting != null) {
                waiting.upstreamFailed();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // channelInactive answers a waiting client
        }
    }

    static void removeHopByHop(HttpHeaders headers) {
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        for (String value : connection) {
            for (String token : value.split(",")) {
                headers.remove(token.trim());
            }
        }
        for (CharSequence name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }

    /** Path and query; an absolute-form request-target loses its scheme and authority. */
    static String originForm(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        try {
            URI parsed = new URI(uri);
            String path = parsed.getRawPath() == null || parsed.getRawPath().isEmpty() ? "/" : parsed.getRawPath();
            return parsed.getRawQuery() == null ? path : path + "?" + parsed.getRawQuery();
        } catch (Exception e) {
            return "/";
        }
    }
}
