package dev.toolgate.sidecar.counters;

import dev.toolgate.policy.redis.RedisCounterStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the shared counter store reports, as metrics and as log lines on each change between reachable and not (one line
 * per outage, not one per call): {@code toolgate_counter_store_duration_seconds}, {@code
 * toolgate_counter_store_errors_total{kind}}, {@code toolgate_counter_store_unavailable_total{fail_mode}} (calls decided
 * by the fail mode) and {@code toolgate_counter_store_up}.
 */
final class CounterStoreMetrics implements RedisCounterStore.Listener {

    private final String store;
    private final String failMode;
    private final Timer duration;
    private final Map<RedisCounterStore.Failure, Counter> errors = new EnumMap<>(RedisCounterStore.Failure.class);
    private final Counter unavailable;
    private final AtomicInteger up = new AtomicInteger(1);
    private final AtomicBoolean authenticationLogged = new AtomicBoolean();

    CounterStoreMetrics(MeterRegistry registry, String store, String failMode) {
        this.store = store;
        this.failMode = failMode;
        this.duration = Timer.builder("toolgate.counter.store.duration")
                .description("Time the shared counter store took to answer an acquisition (one per tools/call body with limits)")
                .serviceLevelObjectives(Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2),
                        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
                        Duration.ofMillis(250), Duration.ofSeconds(1))
                .register(registry);
        for (RedisCounterStore.Failure failure : RedisCounterStore.Failure.values()) {
            errors.put(failure, Counter.builder("toolgate.counter.store.errors")
                    .description("Acquisitions the shared counter store failed, by kind (a late failure after a timeout counts too)")
                    .tag("kind", failure.label())
                    .register(registry));
        }
        this.unavailable = Counter.builder("toolgate.counter.store.unavailable")
                .description("Acquisitions decided by the fail mode because the shared counter store did not answer in time")
                .tag("fail_mode", failMode)
                .register(registry);
        Gauge.builder("toolgate.counter.store.up", up, AtomicInteger::get)
                .description("1 when the shared counter store answered the latest acquisition, 0 when it failed")
                .register(registry);
    }

    @Override
    public void answered(long nanos) {
        duration.record(nanos, TimeUnit.NANOSECONDS);
        if (up.getAndSet(1) == 0) {
            Log.infof("Rate-limit store %s answers again; calls are counted there", store);
        }
    }

    @Override
    public void failed(RedisCounterStore.Failure failure, long nanos, Throwable cause, boolean decided) {
        errors.get(failure).increment();
        if (decided) {
            unavailable.increment();
        }
        String why = failure.label() + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage());
        if (failure == RedisCounterStore.Failure.AUTHENTICATION && authenticationLogged.compareAndSet(false, true)) {
            Log.errorf("Rate-limit store %s refused the password (%s): check the Secret behind toolgate.counters.redis.password-file", store, why);
        }
        if (up.getAndSet(0) == 1) {
            Log.errorf("Rate-limit store %s unreachable (%s); tools/call with limits are %s until it answers", store, why,
                    failMode.equals("closed") ? "refused as rate_limited (fail-mode closed)" : "counted in this sidecar only (fail-mode local)");
        }
    }
}
