package dev.toolgate.operator.mcppolicy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

import dev.toolgate.operator.OperatorConfig;
import dev.toolgate.operator.injection.SidecarSettings;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/**
 * The latest {@link CounterStoreCheck} of each policy's Redis, made again when the policy's Redis settings change or the
 * last one is older than {@code toolgate.operator.redis-checks.interval}: a reconcile per pod event does not mean a
 * connection to Redis per pod event.
 */
@Singleton
public class CounterStoreChecks {

    private record Latest(List<Object> settings, Instant at, CounterStoreCheck.Result result) {
    }

    private final CounterStoreCheck check;
    private final Duration interval;
    private final RateLimits defaults;
    private final Map<String, Latest> latest = new ConcurrentHashMap<>();

    @Inject
    public CounterStoreChecks(KubernetesClient client, Vertx vertx, OperatorConfig config) {
        this(new CounterStoreCheck(client, vertx, config.redisChecks().readSecrets()), config.redisChecks().interval(),
                SidecarSettings.counterDefaults(config.sidecar().counters()));
    }

    CounterStoreChecks(CounterStoreCheck check, Duration interval, RateLimits defaults) {
        this.check = check;
        this.interval = interval;
        this.defaults = defaults;
    }

    public Duration interval() {
        return interval;
    }

    /** The Redis a policy's sidecars count in: its {@code spec.rateLimits}, else the operator's default; null when local. */
    public RedisCounters redisOf(McpPolicySpec spec) {
        RateLimits limits = spec.getRateLimits() != null ? spec.getRateLimits() : defaults;
        return limits != null && limits.getBackend() == RateLimits.Backend.REDIS ? limits.getRedis() : null;
    }

    /** The check of this policy's Redis, made now unless one of the same settings is younger than the interval. */
    public CounterStoreCheck.Result latest(McpPolicy policy, RedisCounters redis, Instant now) {
        String key = policy.getMetadata().getNamespace() + "/" + policy.getMetadata().getName();
        List<Object> settings = List.of(redis.getUrl(), ref(redis.getPasswordSecretRef()), ref(redis.getCaSecretRef()));
        Latest last = latest.get(key);
        // a little under the interval, so the rescheduled reconcile finds the result due
        if (last != null && last.settings().equals(settings) && last.at().plus(interval.multipliedBy(9).dividedBy(10)).isAfter(now)) {
            return last.result();
        }
        CounterStoreCheck.Result result = check.check(policy.getMetadata().getNamespace(), redis);
        latest.put(key, new Latest(settings, now, result));
        return result;
    }

    private static String ref(SecretKeySelector ref) {
        return ref == null ? "" : Objects.toString(ref.getName()) + "/" + Objects.toString(ref.getKey());
    }
}
