package dev.toolgate.sidecar.counters;

import dev.toolgate.policy.RateLimiter;
import dev.toolgate.policy.redis.FallbackCounterStore;
import dev.toolgate.policy.redis.RedisCounterStore;
import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.SidecarConfig.Counters.Backend;
import dev.toolgate.sidecar.SidecarConfig.Counters.Redis.Clock;
import dev.toolgate.sidecar.SidecarConfig.Counters.Redis.FailMode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code toolgate.counters.*} → the sidecar's store, and every setting that cannot work refused at startup by its name. */
class CounterStoresTest {

    private static Vertx vertx;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    record Tls(Optional<String> caFile) implements SidecarConfig.Counters.Redis.Tls {
    }

    record Redis(Optional<String> url, Optional<String> passwordFile, Tls tls, Optional<String> keyPrefix, Duration timeout,
            FailMode failMode, Clock clock) implements SidecarConfig.Counters.Redis {
        Redis with(String url, String passwordFile, String prefix, FailMode failMode) {
            return new Redis(Optional.ofNullable(url), Optional.ofNullable(passwordFile), tls, Optional.ofNullable(prefix), timeout, failMode, clock);
        }
    }

    record Counters(Backend backend, Redis redis) implements SidecarConfig.Counters {
    }

    static final Redis REDIS = new Redis(Optional.of("redis://127.0.0.1:1"), Optional.empty(), new Tls(Optional.empty()),
            Optional.of("toolgate:ns/policy"), Duration.ofMillis(100), FailMode.CLOSED, Clock.SERVER);

    static CounterStores stores(Backend backend, Redis redis) {
        return new CounterStores(new Counters(backend, redis), 1_000, vertx, new SimpleMeterRegistry());
    }

    @Test
    void localCountsInMemoryAndRedisInRedisWithTheLocalFallbackOnlyWhenAskedFor() {
        assertThat(stores(Backend.LOCAL, REDIS).store()).isInstanceOf(RateLimiter.class);
        CounterStores closed = stores(Backend.REDIS, REDIS);
        assertThat(closed.store()).isInstanceOf(RedisCounterStore.class);
        assertThat(closed.redis().settings().keyPrefix()).isEqualTo("toolgate:ns/policy");
        assertThat(closed.redis().settings().serverTime()).isTrue();
        assertThat(stores(Backend.REDIS, REDIS.with("redis://127.0.0.1:1", null, "p", FailMode.LOCAL)).store())
                .isInstanceOf(FallbackCounterStore.class);
    }

    @Test
    void aRedisSettingThatCannotWorkStopsTheSidecarNamingIt() throws Exception {
        assertThatThrownBy(() -> stores(Backend.REDIS, REDIS.with(null, null, "p", FailMode.CLOSED)))
                .hasMessage("toolgate.counters.redis.url is required with toolgate.counters.backend=redis");
        assertThatThrownBy(() -> stores(Backend.REDIS, REDIS.with("redis://r:6379", null, null, FailMode.CLOSED)))
                .hasMessageStartingWith("toolgate.counters.redis.key-prefix is required with toolgate.counters.backend=redis");
        assertThatThrownBy(() -> stores(Backend.REDIS, REDIS.with("redis://default:hunter2@r:6379", null, "p", FailMode.CLOSED)))
                .hasMessage("toolgate.counters.redis: Redis URL must not carry credentials (they would show in logs): use the password file");
        assertThatThrownBy(() -> stores(Backend.REDIS, REDIS.with("redis://r:6379", null, "a b", FailMode.CLOSED)))
                .hasMessageStartingWith("toolgate.counters.redis: key prefix must be 1-200 printable ASCII characters");
        Path empty = Files.createTempFile("redis-password-", "");
        assertThatThrownBy(() -> stores(Backend.REDIS, REDIS.with("redis://r:6379", empty.toString(), "p", FailMode.CLOSED)))
                .hasMessage("toolgate.counters.redis.password-file " + empty + " is empty");
        assertThatThrownBy(() -> stores(Backend.REDIS, REDIS.with("redis://r:6379", "/no/such/file", "p", FailMode.CLOSED)))
                .hasMessageStartingWith("toolgate.counters.redis.password-file /no/such/file cannot be read");
        Path secret = Files.createTempFile("redis-password-", "");
        Files.writeString(secret, "s3cret\n");
        assertThat(CounterStores.password(secret.toString())).isEqualTo("s3cret");
    }

    @Test
    void aRedisNotReadyAtStartupIsReportedAsAnOutageSoItsReturnIsToo() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // held to the end: the gauge keeps only a weak reference to its value, so a store collected after its outage was
        // reported would read NaN (in the sidecar the store is a singleton)
        CounterStores stores = new CounterStores(new Counters(Backend.REDIS, REDIS), 1_000, vertx, registry); // nothing listens on port 1
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(
                () -> registry.get("toolgate.counter.store.up").gauge().value() == 0.0);
        assertThat(registry.get("toolgate.counter.store.errors").tag("kind", "connection").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("toolgate.counter.store.unavailable").counter().count()).as("no call was decided").isZero();
        java.lang.ref.Reference.reachabilityFence(stores);
    }
}
