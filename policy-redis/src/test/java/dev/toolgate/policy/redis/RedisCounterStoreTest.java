package dev.toolgate.policy.redis;

import dev.toolgate.policy.Admission;
import dev.toolgate.policy.CounterRef;
import dev.toolgate.policy.CounterStore;
import dev.toolgate.policy.Decision;
import dev.toolgate.policy.Demand;
import dev.toolgate.policy.Evaluation;
import dev.toolgate.policy.InMemoryCounterStore;
import dev.toolgate.policy.LimitDefinition;
import dev.toolgate.policy.Policy;
import dev.toolgate.policy.Scope;
import dev.toolgate.policy.ToolCall;
import dev.toolgate.policy.Verdict;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What only the Redis store has: one count across several stores (sidecars) on one server, its keys, its clock, and
 * how it behaves when Redis is down, slow, restarted or refuses the password. Every test uses a real redis-server.
 */
class RedisCounterStoreTest {

    private static final String POLICY = """
            {"version":"1","default":"deny","tools":{
              "mine":{"limits":[{"counter":"mine","window":"minute","max":5,"scope":"identity"}]},
              "all":{"limits":[{"counter":"all","window":"minute","max":7,"scope":"global"}]}}}""";
    private static final Duration TIMEOUT = Duration.ofMillis(250);

    private static Vertx vertx;
    private static RedisServer server;
    private final List<AutoCloseable> closing = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        server = RedisServer.launch();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    /** Failures a store reported, in order. */
    static final class Failures implements RedisCounterStore.Listener {
        final ConcurrentLinkedQueue<RedisCounterStore.Failure> kinds = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Throwable> causes = new ConcurrentLinkedQueue<>();
        final AtomicLong answered = new AtomicLong();

        @Override
        public void answered(long nanos) {
            answered.incrementAndGet();
        }

        @Override
        public void failed(RedisCounterStore.Failure failure, long nanos, Throwable cause, boolean decided) {
            kinds.add(failure);
            if (cause != null) {
                causes.add(cause);
            }
        }
    }

    RedisCounterStore store(int port, String prefix, boolean serverTime, Optional<String> password, RedisCounterStore.Listener listener) {
        return store(port, prefix, serverTime, password, listener, TIMEOUT);
    }

    RedisCounterStore store(int port, String prefix, boolean serverTime, Optional<String> password, RedisCounterStore.Listener listener,
            Duration timeout) {
        RedisConnection connection = new RedisConnection("redis://127.0.0.1:" + port, password, Optional.empty(), timeout);
        RedisCounterStore store = new RedisCounterStore(vertx, Redis.createClient(vertx, connection.options()),
                new RedisCounterStore.Settings(prefix, timeout, serverTime), listener);
        closing.add(store);
        return store;
    }

    /**
     * A store on the shared server for the tests of what is counted: with a 5 s timeout, so a slow first call on a loaded
     * machine (connection, script load) is not answered STORE_UNAVAILABLE; the tests of timeouts use {@link #TIMEOUT}.
     */
    RedisCounterStore store(String prefix) {
        return store(server.port(), prefix, true, Optional.empty(), null, Duration.ofSeconds(5));
    }

    static String prefix() {
        return "test:" + UUID.randomUUID();
    }

    static List<Decision> decide(Policy policy, List<ToolCall> calls, long now) throws Exception {
        Evaluation evaluation = policy.evaluate(calls);
        return evaluation.decide(policy.limiter(), now).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static Decision decide(Policy policy, String tool, String identity) throws Exception {
        return decide(policy, List.of(new ToolCall(tool, null, identity, null)), System.currentTimeMillis()).get(0);
    }

    static Admission acquire(CounterStore store, CounterRef counter, String subject, long now) throws Exception {
        return store.acquire(List.of(new Demand(List.of(counter), subject, null)), now, true).toCompletableFuture()
                .get(10, TimeUnit.SECONDS).get(0);
    }

    // ---- several sidecars, one count

    @Test
    void threeStoresOnOneRedisAdmitExactlyMaxPerIdentityAndGloballyWhateverStoreACallGoesTo() throws Exception {
        String prefix = prefix();
        List<Policy> sidecars = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sidecars.add(Policy.load(POLICY, store(prefix)));
        }
        Map<String, AtomicLong> admitted = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int thread = 0; thread < 6; thread++) {
                int t = thread;
                running.add(pool.submit(() -> {
                    for (int i = 0; i < 30; i++) {
                        Policy sidecar = sidecars.get((t + i) % 3); // round-robin over the replicas
                        String identity = "agent-" + (i % 3);
                        String tool = i % 2 == 0 ? "mine" : "all";
                        Decision d = decide(sidecar, tool, identity);
                        assertThat(d.verdict()).isIn(Verdict.ALLOWED, Verdict.RATE_LIMITED);
                        if (d.allowed()) {
                            admitted.computeIfAbsent(tool.equals("mine") ? identity : "all", k -> new AtomicLong()).incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        // 90 calls per tool over three replicas, all within the minute: the limits hold in total, not per replica
        assertThat(admitted.get("all")).hasValue(7);
        for (int i = 0; i < 3; i++) {
            assertThat(admitted.get("agent-" + i)).as("agent-%d", i).hasValue(5);
        }
        Decision refused = decide(sidecars.get(0), "all", "agent-9");
        assertThat(refused.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(refused.retryAfterSeconds()).isBetween(1L, 60L);
    }

    @Test
    void callsInAuditModeCountInAShadowCounterThatTheEnforcedOneNeverSees() throws Exception {
        String prefix = prefix();
        String audited = POLICY.replace("\"mine\":{\"limits\"", "\"mine\":{\"enforcement\":\"audit\",\"limits\"");
        Policy shadow = Policy.load(audited, store(prefix));
        for (int i = 0; i < 5; i++) {
            assertThat(decide(shadow, "mine", "a").allowed()).isTrue();
        }
        Decision over = decide(shadow, "mine", "a");
        assertThat(over.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(over.enforced()).isFalse();
        // a batch with an audited call over its limit: the enforced sibling is admitted and consumes its counter
        List<Decision> batch = decide(shadow, List.of(new ToolCall("mine", null, "a", null), new ToolCall("all", null, "a", null)),
                System.currentTimeMillis());
        assertThat(batch).extracting(Decision::verdict).containsExactly(Verdict.RATE_LIMITED, Verdict.ALLOWED);
        // another sidecar enforcing the same definition starts from zero
        Policy enforced = Policy.load(POLICY, store(prefix));
        assertThat(decide(enforced, "mine", "a")).satisfies(d -> {
            assertThat(d.allowed()).isTrue();
            assertThat(d.enforced()).isTrue();
        });
        LimitDefinition mine = new LimitDefinition("mine", 60_000, 5, Scope.IDENTITY);
        assertThat(RedisCounterStore.definitionHash(mine.asShadow())).isNotEqualTo(RedisCounterStore.definitionHash(mine));
        assertThat(RedisCounterStore.definitionHash(mine)).as("an enforced counter keeps its keys")
                .isEqualTo(RedisCounterStore.definitionHash(new LimitDefinition("mine", 60_000, 5, Scope.IDENTITY, false)));
    }

    @Test
    void onTheServersClockSidecarsWithSkewedClocksStillShareOneWindow() throws Exception {
        String prefix = prefix();
        LimitDefinition two = new LimitDefinition("c", 60_000, 2, Scope.GLOBAL);
        RedisCounterStore a = store(prefix);
        RedisCounterStore b = store(prefix);
        long now = System.currentTimeMillis();
        assertThat(acquire(a, a.bind(two), "x", now)).isEqualTo(Admission.admitted());
        // b's clock is ten minutes behind; on its own clock it would start a fresh window, on the server's it cannot
        assertThat(acquire(b, b.bind(two), "y", now - 600_000)).isEqualTo(Admission.admitted());
        assertThat(acquire(b, b.bind(two), "y", now - 600_000).kind()).isEqualTo(Admission.Kind.EXHAUSTED);
        assertThat(acquire(a, a.bind(two), "x", now + 600_000).kind()).isEqualTo(Admission.Kind.EXHAUSTED);
    }

    @Test
    void countsSurviveAReloadWithAnUnchangedDefinitionInAnotherSidecarTooAndAChangedOneCountsAfresh() throws Exception {
        String prefix = prefix();
        Policy before = Policy.load(POLICY, store(prefix));
        for (int i = 0; i < 5; i++) {
            assertThat(decide(before, "mine", "a").allowed()).isTrue();
        }
        Policy reloaded = Policy.load(POLICY, store(prefix)); // a restarted sidecar, or a reload: same definition, same count
        assertThat(decide(reloaded, "mine", "a").verdict()).isEqualTo(Verdict.RATE_LIMITED);
        Policy changed = Policy.load(POLICY.replace("\"max\":5", "\"max\":6"), store(prefix));
        assertThat(decide(changed, "mine", "a").allowed()).isTrue();
        Policy otherPolicy = Policy.load(POLICY, store(prefix())); // another McpPolicy's prefix: its own counts
        assertThat(decide(otherPolicy, "mine", "a").allowed()).isTrue();
    }

    @Test
    void everyKeyCarriesThePrefixAsItsHashTagHashesTheCallersStringsAndExpiresWhenIdle() throws Exception {
        String prefix = prefix();
        RedisCounterStore store = store(prefix);
        CounterRef perSession = store.bind(new LimitDefinition("s", 10_000, 3, Scope.SESSION));
        CounterRef perIdentity = store.bind(new LimitDefinition("i", 20_000, 3, Scope.IDENTITY));
        String hostile = "}{evil}:" + "x".repeat(5_000);
        List<Admission> answer = store.acquire(List.of(new Demand(List.of(perSession, perIdentity), hostile, "session-1"),
                new Demand(List.of(perSession), hostile, null)), System.currentTimeMillis(), true).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(answer).containsExactly(Admission.admitted(), Admission.admitted());
        List<String> keys = keys("{" + prefix + "}:*");
        assertThat(keys).hasSize(3); // session-keyed, subject-keyed for the session scope, subject-keyed for identity
        for (String key : keys) {
            assertThat(key).startsWith("{" + prefix + "}:").doesNotContain("evil").hasSizeLessThan(prefix.length() + 60);
            long ttl = command(Request.cmd(Command.PTTL).arg(key)).toLong();
            assertThat(ttl).as("%s expires by itself", key).isBetween(1L, 40_000L);
        }
        assertThat(keys.stream().filter(k -> k.contains(":s:")).count()).isEqualTo(1);
    }

    @Test
    void aBadKeyPrefixOrRedisUrlIsRefusedWithAClearMessage() {
        assertThatThrownBy(() -> new RedisCounterStore.Settings("a{b}", TIMEOUT, true))
                .hasMessageContaining("key prefix must be 1-200 printable ASCII characters without spaces, '{' or '}', got \"a{b}\"");
        assertThatThrownBy(() -> new RedisCounterStore.Settings("", TIMEOUT, true)).hasMessageContaining("key prefix");
        assertThatThrownBy(() -> new RedisConnection("redis://user:pw@host:6379", Optional.empty(), Optional.empty(), TIMEOUT))
                .hasMessageContaining("must not carry credentials").hasMessageNotContaining("pw");
        assertThatThrownBy(() -> new RedisConnection("http://host:6379", Optional.empty(), Optional.empty(), TIMEOUT))
                .hasMessageContaining("must be redis://host:port or rediss://host:port");
        assertThatThrownBy(() -> new RedisConnection("redis://host:6379", Optional.empty(), Optional.of("/ca.pem"), TIMEOUT))
                .hasMessageContaining("is not rediss://");
    }

    // ---- faults

    @Test
    void redisKilledMidLoadRefusesWithinTheTimeoutAndARestartedEmptyRedisIsUsedAgain() throws Exception {
        RedisServer own = RedisServer.launch();
        closing.add(own);
        Failures failures = new Failures();
        RedisCounterStore store = store(own.port(), prefix(), true, Optional.empty(), failures);
        Policy policy = Policy.load(POLICY, store);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong slowest = new AtomicLong();
        ConcurrentLinkedQueue<Decision> decisions = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> load = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            load.add(pool.submit(() -> {
                for (int i = 0; !stop.get(); i++) {
                    long started = System.nanoTime();
                    Decision d = decide(policy, "mine", "agent-" + thread + "-" + (i % 50));
                    slowest.accumulateAndGet(System.nanoTime() - started, Math::max);
                    decisions.add(d);
                }
                return null;
            }));
        }
        Thread.sleep(300);
        own.kill();
        Thread.sleep(800);
        long refusedWhileDown = decisions.stream().filter(d -> d.reason().contains("cannot be reached")).count();
        own.start(); // same port, every count lost
        awaitAllowed(policy, "after-restart", Duration.ofSeconds(10));
        stop.set(true);
        for (Future<?> f : load) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        assertThat(refusedWhileDown).as("calls while Redis was down are refused as unavailable").isPositive();
        assertThat(decisions).allSatisfy(d -> assertThat(d.verdict()).isIn(Verdict.ALLOWED, Verdict.RATE_LIMITED));
        assertThat(Duration.ofNanos(slowest.get())).as("no call waits much past the timeout").isLessThan(TIMEOUT.plusMillis(750));
        assertThat(failures.kinds).isNotEmpty().allSatisfy(k -> assertThat(k).isIn(RedisCounterStore.Failure.CONNECTION,
                RedisCounterStore.Failure.TIMEOUT));
        // data lost: the restarted server starts every window afresh (documented); the limit holds from there on
        for (int i = 1; i < 5; i++) {
            assertThat(decide(policy, "mine", "after-restart").allowed()).isTrue();
        }
        assertThat(decide(policy, "mine", "after-restart").verdict()).isEqualTo(Verdict.RATE_LIMITED);
    }

    @Test
    void aHungRedisCostsEachCallTheTimeoutAndIsUsedAgainOnceItAnswers() throws Exception {
        RedisServer own = RedisServer.launch();
        closing.add(own);
        Failures failures = new Failures();
        Policy policy = Policy.load(POLICY, store(own.port(), prefix(), true, Optional.empty(), failures));
        assertThat(decide(policy, "mine", "a").allowed()).isTrue();
        own.freeze(true);
        try {
            long started = System.nanoTime();
            Decision d = decide(policy, "mine", "a");
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            assertThat(d.verdict()).isEqualTo(Verdict.RATE_LIMITED);
            assertThat(d.reason()).contains("cannot be reached");
            assertThat(d.retryAfterSeconds()).isEqualTo(1);
            assertThat(took).isBetween(TIMEOUT.minusMillis(20), TIMEOUT.plusMillis(500));
            assertThat(failures.kinds).containsExactly(RedisCounterStore.Failure.TIMEOUT);
            // the startup handshake is bounded too (ten timeouts)
            Throwable problem = store(own.port(), prefix(), true, Optional.empty(), null).prepare().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(RedisCounterStore.classify(problem)).isEqualTo(RedisCounterStore.Failure.TIMEOUT);
        } finally {
            own.freeze(false);
        }
        awaitAllowed(policy, "b", Duration.ofSeconds(10));
    }

    @Test
    void latencyUnderTheTimeoutIsWaitedForAndOverItIsRefused() throws Exception {
        DelayingProxy proxy = new DelayingProxy(vertx, server.port(), 0);
        closing.add(proxy);
        Failures failures = new Failures();
        Policy policy = Policy.load(POLICY, store(proxy.port(), prefix(), true, Optional.empty(), failures));
        assertThat(decide(policy, "mine", "a").allowed()).isTrue(); // connected (a handshake is several round trips)
        proxy.delay(50);
        assertThat(decide(policy, "mine", "a").allowed()).isTrue(); // 50 ms each way, within 250 ms
        proxy.delay(400);
        long started = System.nanoTime();
        Decision slow = decide(policy, "mine", "a");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(TIMEOUT.plusMillis(300));
        assertThat(slow.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(slow.reason()).contains("cannot be reached");
        assertThat(failures.kinds).contains(RedisCounterStore.Failure.TIMEOUT);
        proxy.delay(0);
        Thread.sleep(1_000); // the late answers drain
        awaitAllowed(policy, "b", Duration.ofSeconds(5));
    }

    @Test
    void aWrongPasswordIsRefusedAsAnAuthenticationFailureThatNamesTheCause() throws Exception {
        RedisServer guarded = RedisServer.launch("--requirepass", "right-secret");
        closing.add(guarded);
        Failures failures = new Failures();
        Policy wrong = Policy.load(POLICY, store(guarded.port(), prefix(), true, Optional.of("wrong-secret"), failures, Duration.ofSeconds(3)));
        Decision d = decide(wrong, "mine", "a");
        assertThat(d.verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(d.reason()).contains("cannot be reached");
        assertThat(failures.kinds).containsExactly(RedisCounterStore.Failure.AUTHENTICATION);
        assertThat(failures.causes.peek().getMessage()).contains("WRONGPASS").doesNotContain("wrong-secret");
        Policy right = Policy.load(POLICY, store(guarded.port(), prefix(), true, Optional.of("right-secret"), null));
        assertThat(decide(right, "mine", "a").allowed()).isTrue();
        // prepare() says so before any call: what the sidecar logs at startup
        Throwable problem = store(guarded.port(), prefix(), true, Optional.of("wrong-secret"), null, Duration.ofSeconds(3)).prepare()
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(RedisCounterStore.classify(problem)).isEqualTo(RedisCounterStore.Failure.AUTHENTICATION);
        assertThat(store(guarded.port(), prefix(), true, Optional.of("right-secret"), null).prepare().toCompletableFuture()
                .get(10, TimeUnit.SECONDS)).isNull();
    }

    @Test
    void withTheLocalFallbackAnUnreachableRedisStillEnforcesEveryLimitInThisProcess() throws Exception {
        AtomicLong fellBack = new AtomicLong();
        CounterStore dead = store(RedisServer.freePort(), prefix(), true, Optional.empty(), null);
        Policy policy = Policy.load(POLICY, new FallbackCounterStore(dead, new InMemoryCounterStore(), fellBack::incrementAndGet));
        for (int i = 0; i < 5; i++) {
            assertThat(decide(policy, "mine", "a").allowed()).isTrue();
        }
        assertThat(decide(policy, "mine", "a").verdict()).isEqualTo(Verdict.RATE_LIMITED);
        assertThat(fellBack).hasValue(6);
        // and with Redis up, the shared store decides and the fallback is not asked
        Policy shared = Policy.load(POLICY, new FallbackCounterStore(store(prefix()), new InMemoryCounterStore(), fellBack::incrementAndGet));
        assertThat(decide(shared, "mine", "a").allowed()).isTrue();
        assertThat(fellBack).hasValue(6);
    }

    // ---- helpers

    static void awaitAllowed(Policy policy, String identity, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        Decision last = null;
        while (System.nanoTime() < deadline) {
            last = decide(policy, "mine", identity);
            if (last.allowed()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("store did not recover within " + within + "; last decision " + last);
    }

    static Response command(Request request) throws Exception {
        Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(server.url()));
        try {
            return client.send(request).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } finally {
            client.close();
        }
    }

    static List<String> keys(String pattern) throws Exception {
        List<String> keys = new ArrayList<>();
        for (Response key : command(Request.cmd(Command.KEYS).arg(pattern))) {
            keys.add(key.toString());
        }
        return keys;
    }

}
