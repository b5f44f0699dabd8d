package dev.toolgate.policy.redis;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.util.concurrent.TimeUnit;

/** A TCP proxy on loopback that holds every chunk, both ways, for a settable delay: a slow Redis without touching Redis. */
final class DelayingProxy implements AutoCloseable {

    private final Vertx vertx;
    private final NetServer server;
    private final NetClient client;
    private volatile long delayMillis;

    DelayingProxy(Vertx vertx, int targetPort, long delayMillis) throws Exception {
        this.vertx = vertx;
        this.delayMillis = delayMillis;
        this.client = vertx.createNetClient();
        this.server = vertx.createNetServer().connectHandler(in -> {
            in.pause();
            client.connect(targetPort, "127.0.0.1").onSuccess(out -> {
                pipe(in, out);
                pipe(out, in);
                in.resume();
            }).onFailure(e -> in.close());
        });
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    int port() {
        return server.actualPort();
    }

    void delay(long millis) {
        this.delayMillis = millis;
    }

    private void pipe(NetSocket from, NetSocket to) {
        from.handler(chunk -> {
            long delay = delayMillis;
            if (delay <= 0) {
                to.write(chunk);
            } else {
                vertx.setTimer(delay, id -> to.write(chunk));
            }
        });
        from.closeHandler(v -> to.close());
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        client.close();
    }
}
