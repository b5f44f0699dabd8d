package dev.toolgate.sidecar.counters;

import dev.toolgate.policy.CounterStore;
import dev.toolgate.policy.RateLimiter;
import dev.toolgate.policy.redis.FallbackCounterStore;
import dev.toolgate.policy.redis.RedisConnection;
import dev.toolgate.policy.redis.RedisCounterStore;
import dev.toolgate.sidecar.SidecarConfig;
import dev.toolgate.sidecar.SidecarConfig.Counters.Redis.FailMode;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The one counter store of this sidecar, chosen by {@code toolgate.counters.*}: this process's memory, or Redis (shared
 * by every sidecar with the same key prefix), optionally with this process's memory behind it while Redis is down. It
 * outlives policy reloads. A setting that cannot work stops the sidecar at startup with a message naming it.
 */
@Singleton
public class CounterStores {

    private final CounterStore store;
    private final RedisCounterStore redis;

    @Inject
    public CounterStores(SidecarConfig config, Vertx vertx, MeterRegistry registry) {
        this(config.counters(), config.maxTrackedKeys(), vertx, registry);
    }

    CounterStores(SidecarConfig.Counters counters, int maxTrackedKeys, Vertx vertx, MeterRegistry registry) {
        if (counters.backend() == SidecarConfig.Counters.Backend.LOCAL) {
            this.redis = null;
            this.store = new RateLimiter(maxTrackedKeys);
            return;
        }
        SidecarConfig.Counters.Redis settings = counters.redis();
        String url = settings.url().orElseThrow(() -> new IllegalArgumentException(
                "toolgate.counters.redis.url is required with toolgate.counters.backend=redis"));
        String prefix = settings.keyPrefix().orElseThrow(() -> new IllegalArgumentException(
                "toolgate.counters.redis.key-prefix is required with toolgate.counters.backend=redis: one per policy, so unrelated servers never share counts"));
        Optional<String> password = settings.passwordFile().map(CounterStores::password);
        RedisConnection connection;
        RedisCounterStore.Settings storeSettings;
        try {
            connection = new RedisConnection(url, password, settings.tls().caFile(), settings.timeout());
            storeSettings = new RedisCounterStore.Settings(prefix, settings.timeout(),
                    settings.clock() == SidecarConfig.Counters.Redis.Clock.SERVER);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("toolgate.counters.redis: " + e.getMessage(), e);
        }
        String failMode = settings.failMode().name().toLowerCase(Locale.ROOT);
        CounterStoreMetrics metrics = new CounterStoreMetrics(registry, connection.toString(), failMode);
        this.redis = new RedisCounterStore(vertx, Redis.createClient(vertx, connection.options()), storeSettings, metrics);
        this.store = settings.failMode() == FailMode.LOCAL
                ? new FallbackCounterStore(redis, new RateLimiter(maxTrackedKeys), null)
                : redis;
        Log.infof("Rate-limit counters in Redis %s, key prefix %s, timeout %d ms, fail-mode %s, %s clock", connection, prefix,
                settings.timeout().toMillis(), failMode, settings.clock().name().toLowerCase(Locale.ROOT));
        // connect, authenticate and load the script now, so the first tools/call does not pay the handshake
        redis.prepare().thenAccept(problem -> {
            if (problem == null) {
                Log.infof("Rate-limit store %s is ready", connection);
            } else {
                // reported as an outage (metric up = 0, one log line), so the first answer later says it is back
                metrics.failed(RedisCounterStore.classify(problem), 0, problem, false);
            }
        });
    }

    /** The Redis store (also behind the fallback), or null with the local backend. */
    RedisCounterStore redis() {
        return redis;
    }

    /** The store every policy of this sidecar is compiled against. */
    public CounterStore store() {
        return store;
    }

    /** The first line of the file, without its newline; a missing or empty file is an error naming it. */
    static String password(String file) {
        try {
            String content = Files.readString(Path.of(file));
            String password = content.lines().findFirst().orElse("");
            if (password.isEmpty()) {
                throw new IllegalArgumentException("toolgate.counters.redis.password-file " + file + " is empty");
            }
            return password;
        } catch (IOException e) {
            throw new IllegalArgumentException("toolgate.counters.redis.password-file " + file + " cannot be read: " + e, e);
        }
    }

    @PreDestroy
    void close() {
        Optional.ofNullable(redis).ifPresent(RedisCounterStore::close);
    }
}
