package dev.toolgate.policy.redis;

import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.RedisOptions;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the shared counters live and how to reach them, as {@link RedisOptions} for {@code Redis.createClient}.
 *
 * @param url      {@code redis://host:port[/db]}, or {@code rediss://} for TLS; no credentials in it
 * @param password the password of Redis's {@code default} user, or empty when Redis needs none
 * @param caFile   with {@code rediss://}: PEM file of the CA that signed the server's certificate, or empty for the
 *                 JVM's trust store; the server's name is always verified
 * @param timeout  connect timeout (the store bounds each acquisition by its own, equal, timeout)
 */
public record RedisConnection(String url, Optional<String> password, Optional<String> caFile, Duration timeout) {

    public RedisConnection {
        URI uri;
        try {
            uri = URI.create(url == null ? "" : url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Redis URL \"" + url + "\" is not a URL: " + e.getMessage());
        }
        if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("Redis URL must be redis://host:port or rediss://host:port, got \"" + url + "\"");
        }
        if (uri.getUserInfo() != null) {
            throw new IllegalArgumentException("Redis URL must not carry credentials (they would show in logs): use the password file");
        }
        if (caFile.isPresent() && !"rediss".equals(uri.getScheme())) {
            throw new IllegalArgumentException("a CA file is set but the Redis URL \"" + url + "\" is not rediss://: the connection would not use TLS");
        }
    }

    public boolean tls() {
        return url.startsWith("rediss://");
    }

    public RedisOptions options() {
        int connectMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        NetClientOptions net = new NetClientOptions().setConnectTimeout(connectMillis).setTcpKeepAlive(true).setTcpNoDelay(true);
        if (tls()) {
            net.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
            caFile.ifPresent(file -> net.setTrustOptions(new PemTrustOptions().addCertPath(file)));
        }
        RedisOptions options = new RedisOptions().setConnectionString(url).setNetClientOptions(net)
                .setMaxPoolSize(8).setMaxPoolWaiting(4096).setMaxWaitingHandlers(4096)
                .setPoolRecycleTimeout(15_000);
        password.ifPresent(options::setPassword);
        return options;
    }

    /** For logs and status: the URL, never the password. */
    @Override
    public String toString() {
        return url + (password.isPresent() ? " (with password)" : "") + (tls() ? " (TLS)" : "");
    }
}
