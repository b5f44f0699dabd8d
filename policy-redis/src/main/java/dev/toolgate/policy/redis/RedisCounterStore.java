package dev.toolgate.policy.redis;

import dev.toolgate.policy.Admission;
import dev.toolgate.policy.CounterRef;
import dev.toolgate.policy.CounterStore;
import dev.toolgate.policy.Demand;
import dev.toolgate.policy.LimitDefinition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Counters in Redis, shared by every sidecar that points at the same server and key prefix. One acquisition is one Lua
 * script ({@code acquire.lua}) run atomically by Redis: every demand of a call or batch is checked against exact sliding
 * windows (a sorted set of admission times per counter and scope key) and recorded only when all fit, exactly as
 * {@link dev.toolgate.policy.InMemoryCounterStore} does. Non-blocking: {@link #acquire} sends the script and returns;
 * the stage completes on a Vert.x event loop.
 *
 * <p>Keys are {@code {<keyPrefix>}:<definition hash>:<k|s>:<scope key hash>}: the braces make the whole prefix the hash
 * tag, so every key of one acquisition lands in one Cluster slot; the definition hash keeps counts across a reload
 * that leaves the definition unchanged; the scope key (subject, session, grant) is hashed so a caller-chosen string
 * neither grows keys nor spells another key. Keys expire by themselves two windows after their newest admission.
 *
 * <p>A Redis that fails, or does not answer within the timeout, makes the whole acquisition
 * {@link Admission.Kind#STORE_UNAVAILABLE} (fail closed); the stage never completes exceptionally and never waits past
 * the timeout. Connections are pooled and re-made on the next call, so the store recovers when Redis is back.
 */
public final class RedisCounterStore implements CounterStore, AutoCloseable {

    /**
     * @param keyPrefix  the name space of this store's counters, one per policy (e.g. {@code toolgate:<namespace>/<name>});
     *                   1-200 printable ASCII characters without spaces or braces
     * @param timeout    bound on one acquisition, connecting included; past it the call is refused as unavailable
     * @param serverTime true to measure windows on the Redis server's clock (one clock for every sidecar, so skew
     *                   between pods cannot shift a window); false to use each request's {@code nowMillis}
     */
    public record Settings(String keyPrefix, Duration timeout, boolean serverTime) {
        private static final Pattern PREFIX = Pattern.compile("[!-z|~]{1,200}");

        public Settings {
            if (keyPrefix == null || !PREFIX.matcher(keyPrefix).matches()) {
                throw new IllegalArgumentException("key prefix must be 1-200 printable ASCII characters without spaces, '{' or '}', got "
                        + (keyPrefix == null ? "none" : "\"" + keyPrefix + "\""));
            }
            if (timeout == null || timeout.toMillis() < 1) {
                throw new IllegalArgumentException("timeout must be at least 1 ms, got " + timeout);
            }
        }
    }

    /** Why an acquisition could not reach its counts. */
    public enum Failure {
        /** No answer within the timeout. */
        TIMEOUT,
        /** No connection (refused, reset, closed). */
        CONNECTION,
        /** Redis refused the credentials ({@code WRONGPASS}, {@code NOAUTH}). */
        AUTHENTICATION,
        /** Redis is at {@code maxmemory} and refuses writes. */
        OUT_OF_MEMORY,
        /** Anything else Redis answered with an error. */
        ERROR;

        /** {@code timeout}, {@code connection}, ... for metric labels. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What the store reports about each acquisition that reaches Redis or fails to: for metrics and logs. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** An answer from Redis, after {@code nanos}. */
        default void answered(long nanos) {
        }

        /**
         * No answer. {@code decided} is true when this failure answered the acquisition (every demand with counters got
         * {@link Admission.Kind#STORE_UNAVAILABLE}), false when it arrived after the timeout had already answered it.
         */
        default void failed(Failure failure, long nanos, Throwable cause, boolean decided) {
        }
    }

    static final String SCRIPT = script();
    static final String SCRIPT_SHA1 = sha1Hex(SCRIPT);
    private static final long UNAVAILABLE_RETRY_SECONDS = 1;

    private final Vertx vertx;
    private final Redis redis;
    private final Settings settings;
    private final Listener listener;
    private final String tag;
    private final AtomicLong nonces = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicReference<Future<io.vertx.redis.client.RedisConnection>> connection =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** Names this store's recorded units apart from every other sidecar's: equal members would merge into one unit. */
    private final String instance = java.util.UUID.randomUUID().toString();

    /**
     * @param redis a client for the server, e.g. {@code Redis.createClient(vertx, options)}; closed by {@link #close}
     */
    public RedisCounterStore(Vertx vertx, Redis redis, Settings settings, Listener listener) {
        this.vertx = vertx;
        this.redis = redis;
        this.settings = settings;
        this.listener = listener == null ? Listener.NONE : listener;
        this.tag = "{" + settings.keyPrefix() + "}:";
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public CounterRef bind(LimitDefinition definition) {
        if (definition == null) {
            throw new IllegalArgumentException("definition is required");
        }
        return new RedisCounter(this, definition, tag + definitionHash(definition) + ":");
    }

    @Override
    public CompletionStage<List<Admission>> acquire(List<Demand> demands, long nowMillis, boolean consume) {
        if (demands == null) {
            throw new IllegalArgumentException("demands is required");
        }
        Map<String, Integer> keys = new LinkedHashMap<>();
        List<String> args = new ArrayList<>();
        args.add(settings.serverTime() ? "" : Long.toString(nowMillis));
        args.add(consume ? "1" : "0");
        args.add(instance + "." + Long.toHexString(nonces.incrementAndGet()));
        args.add(Integer.toString(demands.size()));
        for (Demand demand : demands) {
            args.add(Integer.toString(demand.counters().size()));
            for (CounterRef ref : demand.counters()) {
                RedisCounter counter = counter(ref);
                LimitDefinition definition = counter.definition();
                String key = counter.keyStart() + (demand.keyedBySession(definition.scope()) ? "s:" : "k:")
                        + scopeKeyHash(demand.scopeKey(definition.scope()));
                Integer index = keys.putIfAbsent(key, keys.size() + 1);
                args.add(Integer.toString(index == null ? keys.size() : index));
                args.add(Long.toString(definition.windowMillis()));
                args.add(Integer.toString(definition.max()));
            }
        }
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(demands.stream().map(d -> Admission.admitted()).toList());
        }
        CompletableFuture<List<Admission>> answer = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();
        long started = System.nanoTime();
        long timer = vertx.setTimer(settings.timeout().toMillis(), id -> {
            if (settled.compareAndSet(false, true)) {
                listener.failed(Failure.TIMEOUT, System.nanoTime() - started, null, true);
                answer.complete(unavailable(demands));
            }
        });
        run(List.copyOf(keys.keySet()), args).onComplete(done -> {
            vertx.cancelTimer(timer);
            long nanos = System.nanoTime() - started;
            List<Admission> admissions = null;
            Throwable cause = done.cause();
            Failure failure = null;
            if (done.succeeded()) {
                try {
                    admissions = admissions(done.result(), demands);
                } catch (RuntimeException e) {
                    cause = e;
                    failure = Failure.ERROR;
                }
            } else {
                failure = classify(cause);
            }
            boolean first = settled.compareAndSet(false, true);
            if (failure != null) {
                // reported even when the timeout answered first: a late WRONGPASS still belongs in the logs
                listener.failed(failure, nanos, cause, first);
                if (first) {
                    answer.complete(unavailable(demands));
                }
            } else if (first) {
                listener.answered(nanos);
                answer.complete(admissions);
            }
        });
        return answer;
    }

    /**
     * Connects, authenticates and loads the script ({@code SCRIPT LOAD}) ahead of the first call, so that call does not
     * pay the handshake; completes with null when Redis is ready, or with what is wrong. Not needed for correctness: a
     * store that was never prepared connects on its first acquisition.
     */
    public CompletionStage<Throwable> prepare() {
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        // a handshake gets ten timeouts (it is several round trips, once), and never hangs the caller
        long timer = vertx.setTimer(settings.timeout().toMillis() * 10, id -> done.complete(
                new java.util.concurrent.TimeoutException("no answer within " + settings.timeout().toMillis() * 10 + " ms")));
        send(Request.cmd(Command.SCRIPT).arg("LOAD").arg(SCRIPT)).onComplete(loaded -> {
            vertx.cancelTimer(timer);
            done.complete(loaded.failed() ? loaded.cause() : null);
        });
        return done;
    }

    /** EVALSHA, and EVAL once when the server does not know the script (new or restarted server). */
    private Future<Response> run(List<String> keys, List<String> args) {
        return send(script(Command.EVALSHA, SCRIPT_SHA1, keys, args)).recover(e -> {
            if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
                return send(script(Command.EVAL, SCRIPT, keys, args));
            }
            return Future.failedFuture(e);
        });
    }

    /**
     * Sends on the one connection this store keeps (commands pipeline on it), made on first use and made again after it
     * fails or closes: a checkout from the client's pool per call costs more than the round trip itself.
     */
    private Future<Response> send(Request request) {
        return connection().compose(c -> c.send(request));
    }

    private Future<io.vertx.redis.client.RedisConnection> connection() {
        Future<io.vertx.redis.client.RedisConnection> current = connection.get();
        if (current != null && !current.failed()) {
            return current;
        }
        io.vertx.core.Promise<io.vertx.redis.client.RedisConnection> made = io.vertx.core.Promise.promise();
        Future<io.vertx.redis.client.RedisConnection> mine = made.future();
        if (!connection.compareAndSet(current, mine)) {
            return connection(); // another caller is connecting: use its connection
        }
        redis.connect().onComplete(connected -> {
            if (connected.failed()) {
                connection.compareAndSet(mine, null); // the next call tries again
                made.fail(connected.cause());
                return;
            }
            io.vertx.redis.client.RedisConnection c = connected.result();
            c.exceptionHandler(e -> {
                if (connection.compareAndSet(mine, null)) {
                    c.close();
                }
            });
            c.endHandler(v -> connection.compareAndSet(mine, null));
            made.complete(c);
        });
        return mine;
    }

    private static Request script(Command command, String script, List<String> keys, List<String> args) {
        Request request = Request.cmd(command).arg(script).arg(keys.size());
        keys.forEach(request::arg);
        args.forEach(request::arg);
        return request;
    }

    /** The script's answer as admissions, retry-after measured on the clock the script used (whole seconds, rounded up, at least 1, as the in-memory store). */
    private static List<Admission> admissions(Response reply, List<Demand> demands) {
        if (reply.size() != 1 + 3 * demands.size()) {
            throw new IllegalStateException("unexpected script answer of " + reply.size() + " elements for " + demands.size() + " demands");
        }
        long now = reply.get(0).toLong();
        List<Admission> admissions = new ArrayList<>(demands.size());
        for (int i = 0; i < demands.size(); i++) {
            int kind = reply.get(1 + 3 * i).toInteger();
            if (kind == 0) {
                admissions.add(Admission.admitted());
            } else {
                int counter = reply.get(2 + 3 * i).toInteger();
                long retryAt = reply.get(3 + 3 * i).toLong();
                admissions.add(Admission.exhausted(counter, retrySeconds(retryAt, now)));
            }
        }
        return List.copyOf(admissions);
    }

    static long retrySeconds(long retryAt, long now) {
        long millis = retryAt - now;
        return millis <= 0 ? 1 : Math.max(1, (millis + 999) / 1000);
    }

    private static List<Admission> unavailable(List<Demand> demands) {
        return demands.stream().map(d -> d.counters().isEmpty() ? Admission.admitted()
                : Admission.storeUnavailable(0, UNAVAILABLE_RETRY_SECONDS)).toList();
    }

    /** What kind of failure {@code cause} is (Redis error replies by their code, I/O problems as connection failures). */
    public static Failure classify(Throwable cause) {
        String message = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
        if (message.startsWith("WRONGPASS") || message.startsWith("NOAUTH") || message.contains("AUTH failed")) {
            return Failure.AUTHENTICATION;
        }
        if (message.startsWith("OOM")) {
            return Failure.OUT_OF_MEMORY;
        }
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return Failure.TIMEOUT;
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(java.util.Locale.ROOT);
            // I/O failures, and the client's own words for a dropped connection ("CONNECTION_CLOSED", "Connection closed")
            if (t instanceof IOException || m.contains("connection") || m.contains("closed")) {
                return Failure.CONNECTION;
            }
        }
        return Failure.ERROR;
    }

    private RedisCounter counter(CounterRef ref) {
        if (ref instanceof RedisCounter counter && counter.store() == this) {
            return counter;
        }
        throw new IllegalArgumentException("counter " + ref + " is not bound to this store");
    }

    @Override
    public void close() {
        Future<io.vertx.redis.client.RedisConnection> current = connection.getAndSet(null);
        if (current != null) {
            current.onSuccess(io.vertx.redis.client.RedisConnection::close);
        }
        redis.close();
    }

    /** A definition's part of its keys: equal definitions give equal keys, so counts survive an unchanged reload. */
    static String definitionHash(LimitDefinition d) {
        // a shadow counter (audit mode) hashes with a marker; enforced definitions keep the keys they always had
        return hash(d.counter() + "\0" + d.windowMillis() + "\0" + d.max() + "\0" + d.scope().spelling() + (d.shadow() ? "\0shadow" : ""));
    }

    static String scopeKeyHash(String scopeKey) {
        return hash(scopeKey);
    }

    /** 128 bits of SHA-256, base64url: short keys, no collision in practice, no caller-chosen characters. */
    private static String hash(String text) {
        byte[] digest = digest("SHA-256", text);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 16));
    }

    private static String sha1Hex(String text) {
        return HexFormat.of().formatHex(digest("SHA-1", text));
    }

    private static byte[] digest(String algorithm, String text) {
        try {
            return MessageDigest.getInstance(algorithm).digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is part of every JDK", e);
        }
    }

    private static String script() {
        try (InputStream in = RedisCounterStore.class.getResourceAsStream("acquire.lua")) {
            if (in == null) {
                throw new IllegalStateException("acquire.lua is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read acquire.lua", e);
        }
    }

    /** What {@link #bind} hands out: the definition and the start of its keys. */
    record RedisCounter(RedisCounterStore store, LimitDefinition definition, String keyStart) implements CounterRef {
        @Override
        public String toString() {
            return definition.counter() + " (window " + definition.windowMillis() + " ms, max " + definition.max() + ", scope "
                    + definition.scope().spelling() + ")";
        }
    }
}
