package dev.toolgate.operator.mcppolicy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the sidecars of this policy keep their rate-limit counters. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.backend) || self.backend != 'redis' || has(self.redis)", message = "backend redis needs redis.url")
@PreserveUnknownFields
public class RateLimits extends SpecObject {

    public enum Backend {
        @JsonProperty("local")
        LOCAL,
        @JsonProperty("redis")
        REDIS
    }

    @JsonPropertyDescription("local (the default): each sidecar counts on its own, so N replicas admit up to N times a limit. redis: every sidecar of this policy shares one count in Redis, so limits hold across replicas.")
    private Backend backend;

    @JsonPropertyDescription("The Redis that holds the counters, with backend redis.")
    private RedisCounters redis;

    public Backend getBackend() {
        return backend;
    }

    public void setBackend(Backend backend) {
        this.backend = backend;
    }

    public RedisCounters getRedis() {
        return redis;
    }

    public void setRedis(RedisCounters redis) {
        this.redis = redis;
    }
}
