package dev.toolgate.sidecar;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** The sidecar's settings; every one can also be set as an environment variable ({@code TOOLGATE_UPSTREAM}, ...). */
@ConfigMapping(prefix = "toolgate")
public interface SidecarConfig {

    /** Base URL of the MCP server, e.g. {@code http://127.0.0.1:8080}; request paths are appended as they come. */
    String upstream();

    /** The policy document to enforce; watched for changes. */
    @WithDefault("/etc/toolgate/policy.json")
    String policyFile();

    Identity identity();

    /** Largest request body accepted; larger ones get 413 before anything is forwarded. */
    @WithDefault("4194304")
    int maxBodyBytes();

    /**
     * Bound on request body bytes held across all in-flight requests (bodies are read in full before a decision); a
     * request whose next chunk does not fit is answered 503. Default: a quarter of the maximum heap, at least
     * {@link #maxBodyBytes()}.
     */
    Optional<Long> maxBufferedBytes();

    /** Largest JSON response buffered to filter a tools/list result. */
    @WithDefault("16777216")
    int maxFilteredResponseBytes();

    /** Connect timeout towards the MCP server. */
    @WithDefault("5s")
    Duration upstreamConnectTimeout();

    /** How long a POST/DELETE may wait for the MCP server's next byte; 0 disables. GET event streams have no idle timeout. */
    @WithDefault("300s")
    Duration upstreamIdleTimeout();

    /** Upper bound on connections to the MCP server, split evenly across the event loops' pools. Every open event stream holds one (HTTP/1.1), so keep it generous. */
    @WithDefault("512")
    int upstreamMaxConnections();

    /** Fallback re-check interval of the policy file in addition to file-system events. */
    @WithDefault("2s")
    Duration policyPollInterval();

    /** Where audit lines go: {@code stdout}, or a file path (appended to, created if missing). */
    @WithDefault("stdout")
    String auditLog();

    /** Bound on rate-limit keys tracked in this sidecar's memory (counter × identity/session): the local store, and the fallback of {@code fail-mode local}. */
    @WithDefault("100000")
    int maxTrackedKeys();

    /** Where rate-limit counters live. */
    Counters counters();

    /** Bound on distinct tool names learnt from tools/list for metric labels; the rest count as {@code other}. */
    @WithDefault("500")
    int maxToolLabels();

    interface Counters {

        /** {@code local}: each sidecar counts on its own; {@code redis}: every sidecar pointing at one Redis and key prefix shares the counts. */
        @WithDefault("local")
        Backend backend();

        Redis redis();

        enum Backend {
            LOCAL, REDIS
        }

        interface Redis {
            /** {@code redis://host:port[/db]} or {@code rediss://host:port} (TLS); required with {@code backend=redis}. */
            Optional<String> url();

            /** File holding the password of Redis's default user (a mounted Secret); trailing newlines are ignored. */
            Optional<String> passwordFile();

            Tls tls();

            /** Name space of this policy's counters; every sidecar of one server uses the same, other servers another. */
            Optional<String> keyPrefix();

            /** Bound on one acquisition (connecting included); past it the call meets {@link #failMode()}. */
            @WithDefault("100ms")
            Duration timeout();

            /** What a call with limits gets while Redis is down or slow. */
            @WithDefault("closed")
            FailMode failMode();

            /** Whose clock measures windows: {@code server} (Redis's, one for every sidecar) or {@code sidecar} (each pod's own). */
            @WithDefault("server")
            Clock clock();

            interface Tls {
                /** PEM file of the CA that signed the Redis server's certificate; the JVM's trust store when absent. */
                Optional<String> caFile();
            }

            enum FailMode {
                /** Refused as {@code rate_limited}, the reason saying the counters cannot be reached. */
                CLOSED,
                /** Counted in this sidecar's memory until Redis answers again: each replica enforces the limits on its own. */
                LOCAL
            }

            enum Clock {
                SERVER, SIDECAR
            }
        }
    }

    interface Identity {
        /** Request header naming the caller, for {@code grant}/{@code identity} scopes; absent means {@code anonymous}. */
        Optional<String> header();
    }
}
