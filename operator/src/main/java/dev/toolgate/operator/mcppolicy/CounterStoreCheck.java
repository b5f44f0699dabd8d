package dev.toolgate.operator.mcppolicy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

import dev.toolgate.policy.redis.RedisConnection;
import dev.toolgate.policy.redis.RedisCounterStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

/**
 * The operator's own look at a policy's Redis, as its sidecars would see it: the password and CA Secrets resolved in the
 * policy's namespace, then a connection to the URL (TLS with that CA, AUTH with that password) and a {@code PING}, all
 * bounded by {@link #TIMEOUT}. The outcome is a condition reason and a message naming the problem; the password is sent
 * to Redis and nowhere else (never into a message or log). Reading the Secrets needs {@code get} on Secrets, which the
 * chart grants only with {@code redisChecks.readSecrets}; without it the check is a plain TCP connect.
 */
public final class CounterStoreCheck {

    /** Bound on one whole check (Secrets, connect, TLS, AUTH, PING). */
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    /** What a check found: the condition's status, reason and message. */
    public record Result(boolean reachable, String reason, String message) {
    }

    private final KubernetesClient client;
    private final Vertx vertx;
    private final boolean readSecrets;

    public CounterStoreCheck(KubernetesClient client, Vertx vertx, boolean readSecrets) {
        this.client = client;
        this.vertx = vertx;
        this.readSecrets = readSecrets;
    }

    /** Checks the Redis of one policy (namespace), never throwing: every problem is a result. */
    public Result check(String namespace, RedisCounters redis) {
        String where = "Redis " + redis.getUrl();
        if (!readSecrets) {
            return tcpOnly(where, redis.getUrl());
        }
        Optional<String> password;
        Optional<String> ca;
        try {
            password = secretValue(namespace, redis.getPasswordSecretRef(), "passwordSecretRef");
            ca = secretValue(namespace, redis.getCaSecretRef(), "caSecretRef");
        } catch (SecretProblem e) {
            return new Result(false, e.reason, e.getMessage());
        }
        Path caFile = null;
        try {
            if (ca.isPresent()) {
                caFile = Files.createTempFile("toolgate-redis-ca", ".pem",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(caFile, ca.get());
            }
            RedisConnection connection = new RedisConnection(redis.getUrl(), password,
                    Optional.ofNullable(caFile).map(Path::toString), TIMEOUT);
            Throwable failure = ping(connection);
            if (failure == null) {
                return new Result(true, "Reachable", where + " answered PING" + (password.isPresent() ? " with the password of Secret "
                        + redis.getPasswordSecretRef().getName() : "") + (connection.tls() ? " over TLS" : "") + ".");
            }
            return masked(failed(where, failure), password);
        } catch (IOException e) {
            return new Result(false, "CheckFailed", where + " could not be checked: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return new Result(false, "InvalidSettings", where + ": " + e.getMessage());
        } finally {
            if (caFile != null) {
                try {
                    Files.deleteIfExists(caFile);
                } catch (IOException ignored) {
                    // a temp file of a public certificate
                }
            }
        }
    }

    private Throwable ping(RedisConnection connection) {
        Redis redis = Redis.createClient(vertx, connection.options());
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        redis.connect().onComplete(connected -> {
            if (connected.failed()) {
                done.complete(connected.cause());
                return;
            }
            io.vertx.redis.client.RedisConnection c = connected.result();
            c.send(Request.cmd(Command.PING)).onComplete(r -> {
                c.close();
                done.complete(r.failed() ? r.cause() : null);
            });
        });
        try {
            return done.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new TimeoutException("no answer within " + TIMEOUT.toMillis() + " ms");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        } finally {
            redis.close();
        }
    }

    /** The failure as a reason; the message quotes Redis's or the network's words, which never hold the password. */
    static Result failed(String where, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SSLException || t instanceof java.security.cert.CertificateException) {
                return new Result(false, "TlsFailed", where + ": the TLS handshake failed (" + words(t) + ")");
            }
        }
        return switch (RedisCounterStore.classify(failure)) {
            case AUTHENTICATION -> new Result(false, "AuthenticationFailed", where + " refused the password (" + words(failure) + ")");
            case TIMEOUT -> new Result(false, "Unreachable", where + " did not answer within " + TIMEOUT.toMillis() + " ms");
            case CONNECTION -> new Result(false, "Unreachable", where + " cannot be reached (" + words(failure) + ")");
            default -> new Result(false, "RedisError", where + " answered with an error (" + words(failure) + ")");
        };
    }

    /** A server's error reply is quoted: one that echoes what it was sent must not put the password into the status. */
    static Result masked(Result result, Optional<String> password) {
        return password.filter(p -> result.message().contains(p))
                .map(p -> new Result(result.reachable(), result.reason(), result.message().replace(p, "(password)")))
                .orElse(result);
    }

    private static String words(Throwable t) {
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.length() > 200 ? message.substring(0, 200) + "…" : message;
    }

    private Result tcpOnly(String where, String url) {
        java.net.URI uri = java.net.URI.create(url);
        int port = uri.getPort() > 0 ? uri.getPort() : 6379;
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        var net = vertx.createNetClient(new io.vertx.core.net.NetClientOptions().setConnectTimeout((int) TIMEOUT.toMillis()));
        net.connect(port, uri.getHost()).onComplete(r -> {
            if (r.succeeded()) {
                r.result().close();
            }
            done.complete(r.failed() ? r.cause() : null);
        });
        Throwable failure;
        try {
            failure = done.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            failure = e instanceof ExecutionException ? e.getCause() : e;
        } finally {
            net.close();
        }
        if (failure != null) {
            return failed(where, failure);
        }
        return new Result(true, "Reachable", where + " accepts connections; the password and TLS are not checked (the operator may not read"
                + " Secrets: chart value redisChecks.readSecrets).");
    }

    private Optional<String> secretValue(String namespace, SecretKeySelector ref, String field) throws SecretProblem {
        if (ref == null) {
            return Optional.empty();
        }
        Secret secret;
        try {
            secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
        } catch (KubernetesClientException e) {
            throw new SecretProblem("SecretUnreadable", "Secret " + namespace + "/" + ref.getName() + " (" + field + ") cannot be read by the"
                    + " operator (HTTP " + e.getCode() + ")");
        }
        if (secret == null) {
            throw new SecretProblem("SecretMissing", "Secret " + namespace + "/" + ref.getName() + " (" + field
                    + ") does not exist: the sidecars cannot start without it");
        }
        String value = null;
        if (secret.getData() != null && secret.getData().get(ref.getKey()) != null) {
            value = new String(Base64.getDecoder().decode(secret.getData().get(ref.getKey())), StandardCharsets.UTF_8);
        } else if (secret.getStringData() != null) {
            value = secret.getStringData().get(ref.getKey());
        }
        if (value == null || value.isEmpty()) {
            throw new SecretProblem("SecretMissing", "Secret " + namespace + "/" + ref.getName() + " has no key " + ref.getKey() + " (" + field + ")");
        }
        // the sidecar reads the password file's first line
        return Optional.of(field.equals("passwordSecretRef") ? value.lines().findFirst().orElse("") : value);
    }

    private static final class SecretProblem extends Exception {
        final String reason;

        SecretProblem(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }
}
