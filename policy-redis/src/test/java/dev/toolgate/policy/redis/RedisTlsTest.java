package dev.toolgate.policy.redis;

import dev.toolgate.policy.Admission;
import dev.toolgate.policy.CounterRef;
import dev.toolgate.policy.Demand;
import dev.toolgate.policy.LimitDefinition;
import dev.toolgate.policy.Scope;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rediss://} against a real redis-server speaking TLS, with certificates made by {@code openssl}: the store
 * counts over TLS when it trusts the server's CA and the name matches, and refuses (fail closed) when either is wrong.
 */
class RedisTlsTest {

    private static Vertx vertx;
    private static RedisServer server;
    private static int tlsPort;
    private static Path dir;
    private static final List<RedisCounterStore> stores = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        dir = Files.createTempDirectory("toolgate-redis-tls-");
        ca("ca");
        ca("other-ca");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=DNS:localhost\n");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                "-days", "2", "-extfile", "san.ext");
        tlsPort = RedisServer.freePort();
        server = RedisServer.launch("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", dir.resolve("server.pem").toString(),
                "--tls-key-file", dir.resolve("server.key").toString(), "--tls-ca-cert-file", dir.resolve("ca.pem").toString(),
                "--tls-auth-clients", "no");
    }

    @AfterAll
    static void stop() throws Exception {
        stores.forEach(RedisCounterStore::close);
        server.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static void ca(String name) throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
                "-subj", "/CN=" + name);
    }

    static void openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("openssl %s: %s", String.join(" ", args), out).isZero();
    }

    static Admission acquire(String host, String ca) throws Exception {
        RedisConnection connection = new RedisConnection("rediss://" + host + ":" + tlsPort, Optional.empty(),
                Optional.of(dir.resolve(ca).toString()), Duration.ofSeconds(3));
        RedisCounterStore store = new RedisCounterStore(vertx, Redis.createClient(vertx, connection.options()),
                new RedisCounterStore.Settings("tls:" + UUID.randomUUID(), Duration.ofSeconds(3), true), null);
        stores.add(store);
        CounterRef counter = store.bind(new LimitDefinition("c", 60_000, 1, Scope.GLOBAL));
        return store.acquire(List.of(new Demand(List.of(counter), "a", null)), System.currentTimeMillis(), true)
                .toCompletableFuture().get(10, TimeUnit.SECONDS).get(0);
    }

    @Test
    void countsOverTlsWhenTheCaIsTrustedAndTheNameMatches() throws Exception {
        assertThat(acquire("localhost", "ca.pem")).isEqualTo(Admission.admitted());
    }

    @Test
    void anUntrustedCaOrAnotherNameIsRefusedNeverCountedInTheClear() throws Exception {
        assertThat(acquire("localhost", "other-ca.pem").kind()).isEqualTo(Admission.Kind.STORE_UNAVAILABLE);
        assertThat(acquire("127.0.0.1", "ca.pem").kind()).as("the certificate names localhost only").isEqualTo(Admission.Kind.STORE_UNAVAILABLE);
    }
}
