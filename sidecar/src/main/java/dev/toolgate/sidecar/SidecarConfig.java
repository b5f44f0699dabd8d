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

    /** The McpPolicy this sidecar enforces, by name, for the audit lines (injected by the operator). */
    Optional<String> policyName();

    /** The namespace of that McpPolicy (the pod's), for the audit lines. */
    Optional<String> policyNamespace();

    /** The policy document to enforce; watched for changes. */
    @WithDefault("/etc/toolgate/policy.json")
    String policyFile();

    Identity identity();

    Approvals approvals();

    Tracing tracing();

    /** OpenTelemetry traces of the decision and the upstream call ({@code quarkus.otel.*} configures the export). */
    interface Tracing {
        /**
         * Spans recorded and exported over OTLP. Off: no exporter, no connection, no spans, and a client's
         * {@code traceparent} reaches the server unchanged. {@link dev.toolgate.sidecar.observe.TracingSwitch} turns it
         * into {@code quarkus.otel.sdk.disabled}, which Quarkus reads when it starts.
         */
        @WithDefault("false")
        boolean enabled();
    }

    /** Where calls that need a human's approval are taken: the Toolgate operator's approval API. */
    interface Approvals {
        /**
         * The operator's approval API ({@code https://toolgate-operator.toolgate-system.svc:443}); empty: a call that needs
         * approval is refused, since nobody could approve it.
         */
        Optional<String> url();

        /** The McpPolicy this sidecar enforces, by name (the pod's namespace is implied): approvals are filed under it. */
        Optional<String> policy();

        /** The pod's projected service-account token for audience {@code toolgate-operator}; re-read on every call. */
        Optional<String> tokenFile();

        /** PEM CA that verifies the operator's certificate. */
        Optional<String> caFile();

        /** Bound on one round trip to the operator; past it the call is refused (approval service unavailable). */
        @WithDefault("3s")
        Duration timeout();

        /** Hold mode: how often the McpApproval of a held call is looked up while it waits (and once more at the end). */
        @WithDefault("1s")
        Duration holdPollInterval();

        /** Hold mode: how often a held call answered on an event stream gets {@code notifications/progress}. */
        @WithDefault("5s")
        Duration holdProgressInterval();

        /**
         * Elicit mode, a client asked on its call's own event stream (revisions before 2026-07-28): how long the call
         * waits for its user's answer and for the approval (the approval's expiry shortens it).
         */
        @WithDefault("10m")
        Duration elicitationWait();

        /**
         * Elicit mode: the key (a mounted file, at least 32 bytes) that signs the {@code requestState} a client holds
         * between the two rounds. Unset: the policy's key from the operator, the same for every replica
         * ({@code StateKeyFetch}); a random key of this process until the operator answered.
         */
        Optional<String> stateKeyFile();

        /** Elicit mode: how many used {@code requestState}s are remembered (each until it expires) so none is used twice. */
        @WithDefault("100000")
        int usedStatesMax();
    }

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
        /**
         * Request header naming the caller, for {@code grant}/{@code identity} scopes; absent means {@code anonymous}.
         * Trusted as sent, so only behind something that sets it. Ignored (and removed from requests) when a verified
         * source ({@link #jwt()}, {@link #serviceAccount()}) is configured.
         */
        Optional<String> header();

        /** Bearer JWTs from an OIDC issuer; enabled by {@link Jwt#issuer()}. */
        Jwt jwt();

        /** Kubernetes projected service-account tokens; enabled by {@link ServiceAccount#audiences()}. */
        ServiceAccount serviceAccount();

        /** Header in which the verified subject is passed to the MCP server; absent passes none. */
        Optional<String> forwardHeader();

        /** Header in which the verified groups (comma-separated) are passed to the MCP server; absent passes none. */
        Optional<String> forwardGroupsHeader();

        /** Pass the client's {@code Authorization} header on to the MCP server (default: removed, see README). */
        @WithDefault("false")
        boolean forwardAuthorization();

        /** Longest bearer token accepted; longer ones are refused before any parsing. */
        @WithDefault("8192")
        int maxTokenBytes();

        /** How often the signing keys are fetched again regardless of what tokens show (notices removed keys). */
        @WithDefault("5m")
        Duration keysRefreshInterval();

        /** Least time between two fetches of the signing keys, whatever tokens with unknown key ids arrive. */
        @WithDefault("30s")
        Duration keysMinRefetchInterval();

        /** OAuth protected resource metadata (RFC 9728), served when tokens are configured. */
        ResourceMetadata resourceMetadata();
    }

    interface Jwt {
        /** Expected {@code iss}, compared exactly; also where OIDC discovery is read. */
        Optional<String> issuer();

        /** {@code aud} must contain one of these. Required with {@link #issuer()}. */
        Optional<java.util.List<String>> audiences();

        /** The issuer's JWKS; absent reads {@code jwks_uri} from {@code <issuer>/.well-known/openid-configuration}. */
        Optional<String> jwksUrl();

        @WithDefault("sub")
        String subjectClaim();

        @WithDefault("groups")
        String groupsClaim();

        /** Accepted JWS algorithms; only asymmetric ones exist here ({@code none} and HMAC are never accepted). */
        @WithDefault("RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,ES512")
        java.util.List<String> algorithms();

        /** Tolerance on {@code exp}, {@code nbf} and {@code iat}. */
        @WithDefault("30s")
        Duration clockSkew();

        /** PEM certificates trusted for the issuer's TLS, in place of the JVM's. */
        Optional<String> caFile();
    }

    interface ServiceAccount {
        /** {@code aud} must contain one of these; setting it enables service-account tokens. */
        Optional<java.util.List<String>> audiences();

        @WithDefault("https://kubernetes.default.svc.cluster.local")
        String issuer();

        @WithDefault("https://kubernetes.default.svc/openid/v1/jwks")
        String jwksUrl();

        /** PEM certificates trusted for the API server's TLS. */
        @WithDefault("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt")
        String caFile();

        /** The bearer the sidecar reads the JWKS with; re-read on every fetch (the kubelet rotates it). */
        @WithDefault("/var/run/secrets/kubernetes.io/serviceaccount/token")
        String tokenFile();

        @WithDefault("RS256,ES256")
        java.util.List<String> algorithms();

        @WithDefault("30s")
        Duration clockSkew();
    }

    interface ResourceMetadata {
        /** This MCP server's resource identifier (its canonical URL); absent derives it from the request's Host and path. */
        Optional<String> resource();

        /** Authorization servers to advertise; absent advertises the JWT issuer. */
        Optional<java.util.List<String>> authorizationServers();
    }
}
