package dev.toolgate.operator;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.eclipse.microprofile.config.spi.Converter;

import io.fabric8.kubernetes.api.model.Quantity;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;

/**
 * The operator's typed configuration ({@code toolgate.operator.*}): enums, quantities and durations, so a value that
 * cannot work stops the operator at startup with the property's name (SmallRye's conversion error).
 */
@ConfigMapping(prefix = "toolgate.operator")
public interface OperatorConfig {

    /** Namespace the operator runs in: holds the webhook TLS Secret. */
    @WithDefault("toolgate-system")
    String namespace();

    Sidecar sidecar();

    Webhook webhook();

    WorkloadRestarts workloadRestarts();

    NetworkPolicies networkPolicies();

    /** A Kubernetes quantity ({@code 50m}, {@code 128Mi}), refused at startup when it does not parse. */
    final class QuantityConverter implements Converter<Quantity> {
        @Override
        public Quantity convert(String value) {
            String trimmed = value == null ? "" : value.trim();
            try {
                Quantity quantity = Quantity.parse(trimmed);
                Quantity.getAmountInBytes(quantity);
                return quantity;
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("'" + value + "' is not a Kubernetes quantity (like 50m, 128Mi or 1)", e);
            }
        }
    }

    /** {@code Always}, {@code IfNotPresent} or {@code Never}, as Kubernetes spells them. */
    final class PullPolicyConverter implements Converter<Sidecar.PullPolicy> {
        @Override
        public Sidecar.PullPolicy convert(String value) {
            for (Sidecar.PullPolicy policy : Sidecar.PullPolicy.values()) {
                if (policy.spelling().equals(value == null ? null : value.trim())) {
                    return policy;
                }
            }
            throw new IllegalArgumentException("'" + value + "' is not an image pull policy: Always, IfNotPresent or Never");
        }
    }

    /** spec.restartUnprotected needs this on: the chart turns it on with the RBAC it needs (patch on Deployments/StatefulSets). */
    interface WorkloadRestarts {
        @WithDefault("false")
        boolean enabled();
    }

    /**
     * One NetworkPolicy per accepted McpPolicy, owned by it: the selected pods take ingress only on their declared ports,
     * never on the MCP port. The chart turns it on with the RBAC it needs (write on NetworkPolicies).
     */
    interface NetworkPolicies {
        @WithDefault("false")
        boolean enabled();
    }

    Approvals approvals();

    RedisChecks redisChecks();

    /** The operator's own check of each policy's Redis (condition CountersReachable), at reconcile and every {@link #interval()}. */
    interface RedisChecks {
        /**
         * Whether the check reads the password and CA Secrets a policy names and makes the whole handshake (TLS, AUTH,
         * PING); off, it is a TCP connect only. On needs {@code get} on Secrets, which the chart grants with
         * {@code redisChecks.readSecrets}.
         */
        @WithDefault("false")
        boolean readSecrets();

        /** How often each policy's Redis is checked again. */
        @WithDefault("60s")
        Duration interval();
    }

    LeaderElection leaderElection();

    /**
     * Only the holder of a Lease in {@link #namespace()} reconciles (McpPolicies, McpApprovals); every replica serves the
     * webhooks and the approval API. Active in the prod profile (QOSDK's {@code activate-leader-election-for-profiles}).
     */
    interface LeaderElection {
        @WithDefault("true")
        boolean enabled();

        @WithDefault("toolgate-operator")
        String leaseName();

        /** This replica's name in the Lease; the chart passes the pod name. Empty: a random one. */
        Optional<String> identity();

        @WithDefault("PT15S")
        Duration leaseDuration();

        @WithDefault("PT10S")
        Duration renewDeadline();

        @WithDefault("PT2S")
        Duration retryPeriod();
    }

    interface Approvals {
        /** The operator's own ServiceAccount: only it may create McpApprovals. */
        @WithDefault("toolgate-operator")
        String serviceAccount();

        /** How sidecars reach the approval API; empty: {@code https://<webhook service>.<namespace>.svc:443}. */
        Optional<String> url();

        /**
         * Where to tell people that a call waits for approval (and that it stopped waiting): a JSON POST that Slack-style
         * and Alertmanager-style webhook receivers take. Empty: no notification (the ApprovalRequested Event remains).
         */
        Optional<String> notifyUrl();

        /** Approvals in a final state (rejected, consumed, expired) are deleted this long after it. */
        @WithDefault("P1D")
        Duration retention();
    }

    interface Sidecar {
        /** Image of the injected sidecar. */
        String image();

        /** Port the sidecar's proxy listens on (moved to the next port when the MCP server already uses it). */
        @WithDefault("8090")
        int proxyPort();

        /** auto: native sidecar (init container, restartPolicy Always) on Kubernetes ≥ 1.29; always; never. */
        @WithDefault("auto")
        NativeSidecar nativeSidecar();

        enum NativeSidecar { AUTO, ALWAYS, NEVER }

        @WithDefault("50m")
        @WithConverter(QuantityConverter.class)
        Quantity cpuRequest();

        /** Measured: 71 MiB cgroup usage idle, 88-102 MiB under 50-170 calls/s (VmRSS 99 / 117-130 MiB); helm/README.md. */
        @WithDefault("128Mi")
        @WithConverter(QuantityConverter.class)
        Quantity memoryRequest();

        @WithDefault("256Mi")
        @WithConverter(QuantityConverter.class)
        Quantity memoryLimit();

        /** Sidecar log level (QUARKUS_LOG_LEVEL): TRACE, DEBUG, INFO, WARN or ERROR; an McpPolicy's spec.sidecar.logLevel overrides. */
        @WithDefault("INFO")
        LogLevel logLevel();

        enum LogLevel { TRACE, DEBUG, INFO, WARN, ERROR }

        /**
         * JVM profile of the sidecar: {@code throughput} (C1 and C2, the JVM's default) or {@code small} (C1 only: faster
         * start and less memory, more CPU per call; for servers that see few calls); spec.sidecar.jvmProfile overrides.
         */
        @WithDefault("throughput")
        JvmProfile jvmProfile();

        enum JvmProfile { THROUGHPUT, SMALL }

        /** imagePullPolicy of the injected container: Always, IfNotPresent or Never. */
        @WithDefault("IfNotPresent")
        @WithConverter(PullPolicyConverter.class)
        PullPolicy imagePullPolicy();

        /** Kubernetes' spelling is the value ({@link #spelling()}); configured as Kubernetes spells it. */
        enum PullPolicy {
            ALWAYS("Always"), IF_NOT_PRESENT("IfNotPresent"), NEVER("Never");

            private final String spelling;

            PullPolicy(String spelling) {
                this.spelling = spelling;
            }

            public String spelling() {
                return spelling;
            }
        }

        /**
         * Numeric user the sidecar runs as (runAsNonRoot needs a number when the image names its user), or {@code unset}:
         * no runAsUser, so the image's numeric user applies, or the one the platform assigns (OpenShift's restricted SCC);
         * runAsNonRoot stays.
         */
        @WithDefault("65532")
        String runAsUser();

        /** Pull secrets (names, in the pod's namespace) added to injected pods, for sidecar and init images in a private registry. */
        Optional<List<String>> imagePullSecrets();

        /**
         * Adds the {@code toolgate-init} init container: inbound TCP to the MCP port is redirected to the sidecar (nat
         * PREROUTING), so nothing reaches the MCP server on the pod IP without passing the policy. Needs NET_ADMIN and
         * NET_RAW (and uid 0) for that one init container.
         */
        @WithDefault("true")
        boolean redirectInbound();

        /** Image of the init container (iptables); empty: the sidecar image's repository with {@code init} as its name. */
        java.util.Optional<String> initImage();

        /** Where sidecars count rate limits when their McpPolicy has no {@code spec.rateLimits}. */
        Counters counters();

        /** OpenTelemetry traces of the injected sidecars: off unless an OTLP endpoint is set. */
        Tracing tracing();

        interface Tracing {
            /**
             * The collector every injected sidecar exports its spans to ({@code http://otel-collector.observability:4317});
             * empty: tracing off in the sidecars (their default), and a client's {@code traceparent} passes them unchanged.
             */
            Optional<String> otlpEndpoint();

            /** {@code grpc} (a collector's port 4317) or {@code http/protobuf} (4318). */
            @WithDefault("grpc")
            String otlpProtocol();
        }

        interface Counters {
            /** {@code local}: each sidecar counts on its own; {@code redis}: every sidecar of a policy shares one count in {@link #redisUrl()}. */
            @WithDefault("local")
            Backend backend();

            enum Backend { LOCAL, REDIS }

            /** {@code redis://host:port[/db]} or {@code rediss://host:port}; required with backend redis. */
            Optional<String> redisUrl();

            /** Name of a Secret with key {@code password}, present in every namespace of injected pods (a pod can only mount its own namespace's Secrets). */
            Optional<String> redisPasswordSecret();

            /** Name of a Secret with key {@code ca.crt} (PEM), in every namespace of injected pods; needs a {@code rediss://} URL. */
            Optional<String> redisCaSecret();

            /** Bound on one counter round trip, e.g. {@code 100ms}; empty: the sidecar's default (100ms). */
            Optional<Duration> redisTimeout();

            /** {@code closed} (refuse calls with limits while Redis is unreachable) or {@code local} (count in each sidecar meanwhile). */
            @WithDefault("closed")
            FailMode redisFailMode();

            enum FailMode { CLOSED, LOCAL }
        }
    }

    interface Webhook {
        @WithDefault("true")
        boolean enabled();

        /** HTTPS port of the admission webhook. */
        @WithDefault("8443")
        int port();

        /** Service in front of the webhook; its DNS names go into the serving certificate. */
        @WithDefault("toolgate-operator")
        String serviceName();

        /** Extra subject alternative names (DNS names or IP addresses) for the serving certificate. */
        Optional<List<String>> extraSans();

        /** Lifetime of a generated serving certificate. */
        @WithDefault("P90D")
        Duration certificateValidity();

        /** Lifetime of a generated CA. */
        @WithDefault("P730D")
        Duration caValidity();

        /** Certificates are replaced when they expire within this period. */
        @WithDefault("P30D")
        Duration renewBefore();

        /**
         * selfManaged: the operator issues, stores and rotates the certificates and patches the caBundle.
         * certManager: cert-manager writes Secret toolgate-webhook-tls and injects the caBundle; the operator only reads it.
         */
        @WithDefault("selfManaged")
        String certificateMode();

        /** certManager mode: how often the Secret is re-read, so a certificate cert-manager renewed is served promptly. */
        @WithDefault("PT10S")
        Duration certificateReloadInterval();

        /** selfManaged mode: how often the certificates' expiry is checked. */
        @WithDefault("PT1H")
        Duration checkInterval();
    }
}
