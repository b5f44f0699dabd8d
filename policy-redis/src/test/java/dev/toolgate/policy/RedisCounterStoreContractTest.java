package dev.toolgate.policy;

import dev.toolgate.policy.redis.RedisCounterStore;
import dev.toolgate.policy.redis.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;
import java.util.UUID;

/** The engine's {@link CounterStoreContract}, run against {@link RedisCounterStore} on a real Redis. */
class RedisCounterStoreContractTest extends CounterStoreContract {

    private static RedisServer server;
    private static Vertx vertx;

    @BeforeAll
    static void startRedis() throws Exception {
        server = RedisServer.launch();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get();
        server.close();
    }

    /** A fresh name space on the one server: empty, as the contract needs. */
    @Override
    CounterStore newStore() {
        Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(server.url()).setMaxPoolWaiting(1024));
        return new RedisCounterStore(vertx, client, new RedisCounterStore.Settings("contract:" + UUID.randomUUID(), Duration.ofSeconds(5), false),
                null);
    }

    @Override
    boolean answersAtOnce() {
        return false;
    }
}
