package dev.toolgate.sidecar.upstream;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class IdleTimerTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close();
    }

    /** Runs a timer on one Vert.x context for {@code runMillis}; the ms after its start at which it fired, or -1. */
    private long firedAfter(Duration timeout, long runMillis, java.util.function.Consumer<IdleTimer> during) throws Exception {
        Context context = vertx.getOrCreateContext();
        AtomicLong fired = new AtomicLong(-1);
        long start = System.nanoTime();
        CountDownLatch started = new CountDownLatch(1);
        IdleTimer[] timer = {null};
        context.runOnContext(v -> {
            timer[0] = new IdleTimer(vertx, timeout, () -> fired.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
            timer[0].start();
            during.accept(timer[0]);
            started.countDown();
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(runMillis);
        context.runOnContext(v -> timer[0].stop());
        return fired.get();
    }

    @Test
    void firesAfterTheSilence() throws Exception {
        assertThat(firedAfter(Duration.ofMillis(200), 1500, t -> { })).isBetween(190L, 1400L);
    }

    @Test
    void activityPostponesIt() throws Exception {
        long fired = firedAfter(Duration.ofMillis(600), 1500, t -> vertx.setPeriodic(100, id -> t.activity()));
        assertThat(fired).as("something every 100 ms keeps a 600 ms timeout quiet").isEqualTo(-1);
    }

    @Test
    void aPauseIsNotSilenceAndStopEndsIt() throws Exception {
        assertThat(firedAfter(Duration.ofMillis(150), 500, IdleTimer::pause)).isEqualTo(-1);
        assertThat(firedAfter(Duration.ofMillis(150), 500, IdleTimer::stop)).isEqualTo(-1);
        assertThat(firedAfter(Duration.ofMillis(150), 1500, t -> {
            t.pause();
            vertx.setTimer(300, id -> t.resume());
        })).as("counted again from the resume").isBetween(440L, 1400L);
    }
}
