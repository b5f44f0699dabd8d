package dev.toolgate.sidecar.upstream;

import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Cuts an exchange whose MCP server has sent nothing for the idle timeout while its response is being read. Vert.x's
 * request idle timeout ends when the response headers arrive, so without this a server that sends the headers (or half
 * a body) and falls silent holds the client for as long as the connection lives. A chunk only records the time; the
 * one timer re-arms itself for the rest of the period, so the cost does not grow with the number of chunks. Used on
 * the exchange's event loop only.
 */
final class IdleTimer {
    private final Vertx vertx;
    private final long timeoutNanos;
    private final Runnable onIdle;
    private long lastActivity;
    private long timerId = -1;
    private boolean paused;
    private boolean stopped;

    IdleTimer(Vertx vertx, Duration timeout, Runnable onIdle) {
        this.vertx = vertx;
        this.timeoutNanos = timeout.toNanos();
        this.onIdle = onIdle;
    }

    void start() {
        lastActivity = System.nanoTime();
        arm(timeoutNanos);
    }

    /** The server sent something. */
    void activity() {
        lastActivity = System.nanoTime();
    }

    /** The sidecar stopped reading (the client is slow to take the answer): the silence is not the server's. */
    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
        lastActivity = System.nanoTime();
    }

    void stop() {
        stopped = true;
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
            timerId = -1;
        }
    }

    private void arm(long nanos) {
        timerId = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)), id -> check());
    }

    private void check() {
        timerId = -1;
        if (stopped) {
            return;
        }
        long idle = System.nanoTime() - lastActivity;
        if (paused) {
            arm(timeoutNanos);
        } else if (idle >= timeoutNanos) {
            stopped = true;
            onIdle.run();
        } else {
            arm(timeoutNanos - idle);
        }
    }
}
