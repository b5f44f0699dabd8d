package dev.toolgate.operator.injection;

import dev.toolgate.operator.OperatorConfig;
import dev.toolgate.operator.mcppolicy.RateLimits;
import dev.toolgate.operator.mcppolicy.RedisCounters;
import io.fabric8.kubernetes.api.model.SecretKeySelector;

/** What the mutator needs to know besides the pod and policy: operator defaults and the cluster's capabilities. */
public record SidecarSettings(String image, int proxyPort, boolean nativeSidecar, String cpuRequest, String memoryRequest,
        String memoryLimit, Long runAsUser, String logLevel, String imagePullPolicy, String jvmProfile, boolean redirectInbound,
        String initImage, RateLimits counterDefaults, String approvalsUrl, java.util.List<String> imagePullSecrets, Tracing tracing) {

    /**
     * Where injected sidecars export their spans; null (no {@code toolgate.operator.sidecar.tracing.otlp-endpoint}): tracing
     * stays off in them.
     */
    public record Tracing(String otlpEndpoint, String otlpProtocol) {
        static final java.util.Set<String> PROTOCOLS = java.util.Set.of("grpc", "http/protobuf");

        public Tracing {
            if (!otlpEndpoint.matches("https?://[^\\s/?#@]+(/[^\\s?#]*)?")) {
                throw new IllegalArgumentException("toolgate.operator.sidecar.tracing.otlp-endpoint must be an http:// or https:// URL "
                        + "without credentials, not '" + otlpEndpoint + "'");
            }
            if (!PROTOCOLS.contains(otlpProtocol)) {
                throw new IllegalArgumentException("toolgate.operator.sidecar.tracing.otlp-protocol must be grpc or http/protobuf, not '"
                        + otlpProtocol + "'");
            }
        }
    }

    /** Without tracing. */
    public SidecarSettings(String image, int proxyPort, boolean nativeSidecar, String cpuRequest, String memoryRequest,
            String memoryLimit, Long runAsUser, String logLevel, String imagePullPolicy, String jvmProfile, boolean redirectInbound,
            String initImage, RateLimits counterDefaults, String approvalsUrl, java.util.List<String> imagePullSecrets) {
        this(image, proxyPort, nativeSidecar, cpuRequest, memoryRequest, memoryLimit, runAsUser, logLevel, imagePullPolicy, jvmProfile,
                redirectInbound, initImage, counterDefaults, approvalsUrl, imagePullSecrets, null);
    }

    static final java.util.Set<String> LOG_LEVELS = java.util.Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
    static final java.util.Set<String> PULL_POLICIES = java.util.Set.of("Always", "IfNotPresent", "Never");
    /**
     * JVM profiles → the options the sidecar's {@code java} launcher gets (JDK_JAVA_OPTIONS). {@code small}: C1 only,
     * measured (bench/results/latest.md) at 0.57–0.59 s to ready instead of 0.76–0.80 s with the AOT cache and ~10 MiB
     * less memory, at about 2.5× the CPU per call.
     */
    static final java.util.Map<String, String> JVM_PROFILES = java.util.Map.of("throughput", "", "small", "-XX:TieredStopAtLevel=1");

    /** Without the inbound redirect (no init container). */
    public SidecarSettings(String image, int proxyPort, boolean nativeSidecar, String cpuRequest, String memoryRequest,
            String memoryLimit, Long runAsUser, String logLevel, String imagePullPolicy, String jvmProfile) {
        this(image, proxyPort, nativeSidecar, cpuRequest, memoryRequest, memoryLimit, runAsUser, logLevel, imagePullPolicy, jvmProfile,
                false, null);
    }

    /** With each sidecar counting on its own unless its policy says otherwise. */
    public SidecarSettings(String image, int proxyPort, boolean nativeSidecar, String cpuRequest, String memoryRequest,
            String memoryLimit, Long runAsUser, String logLevel, String imagePullPolicy, String jvmProfile, boolean redirectInbound,
            String initImage) {
        this(image, proxyPort, nativeSidecar, cpuRequest, memoryRequest, memoryLimit, runAsUser, logLevel, imagePullPolicy, jvmProfile,
                redirectInbound, initImage, null);
    }

    /** Without the approval API (a call that needs approval is then refused as not approvable here). */
    public SidecarSettings(String image, int proxyPort, boolean nativeSidecar, String cpuRequest, String memoryRequest,
            String memoryLimit, Long runAsUser, String logLevel, String imagePullPolicy, String jvmProfile, boolean redirectInbound,
            String initImage, RateLimits counterDefaults) {
        this(image, proxyPort, nativeSidecar, cpuRequest, memoryRequest, memoryLimit, runAsUser, logLevel, imagePullPolicy, jvmProfile,
                redirectInbound, initImage, counterDefaults, null);
    }

    /** Without pull secrets for the injected images. */
    public SidecarSettings(String image, int proxyPort, boolean nativeSidecar, String cpuRequest, String memoryRequest,
            String memoryLimit, Long runAsUser, String logLevel, String imagePullPolicy, String jvmProfile, boolean redirectInbound,
            String initImage, RateLimits counterDefaults, String approvalsUrl) {
        this(image, proxyPort, nativeSidecar, cpuRequest, memoryRequest, memoryLimit, runAsUser, logLevel, imagePullPolicy, jvmProfile,
                redirectInbound, initImage, counterDefaults, approvalsUrl, java.util.List.of());
    }

    /** A Secret name as the API server takes it (a DNS subdomain). */
    private static final java.util.regex.Pattern SECRET_NAME = java.util.regex.Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    public SidecarSettings {
        imagePullSecrets = imagePullSecrets == null ? java.util.List.of() : java.util.List.copyOf(imagePullSecrets);
        for (String secret : imagePullSecrets) {
            if (secret.length() > 253 || !SECRET_NAME.matcher(secret).matches()) {
                throw new IllegalArgumentException("toolgate.operator.sidecar.image-pull-secrets: '" + secret
                        + "' is not a Secret name (lowercase letters, digits, '-' and '.', at most 253 characters)");
            }
        }
        if (runAsUser != null && runAsUser < 1) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.run-as-user must be a non-root uid (1 or more), not " + runAsUser
                    + "; leave it unset to run as the image's user or the one the platform assigns");
        }
        if (redirectInbound && (initImage == null || initImage.isBlank())) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.init-image must be set when redirect-inbound is on");
        }
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.log-level must be one of TRACE, DEBUG, INFO, WARN, ERROR, not '"
                    + logLevel + "'");
        }
        if (!PULL_POLICIES.contains(imagePullPolicy)) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.image-pull-policy must be one of Always, IfNotPresent, Never, not '"
                    + imagePullPolicy + "'");
        }
        if (!JVM_PROFILES.containsKey(jvmProfile)) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.jvm-profile must be throughput or small, not '" + jvmProfile + "'");
        }
    }

    /** The launcher options for a profile (empty for the JVM's default). */
    static String jvmOptions(String profile) {
        return JVM_PROFILES.get(profile);
    }

    /**
     * @param approvalsUrl the operator's approval API as sidecars reach it ({@code https://host:port}), or null to
     *                     inject no approval client
     */
    public static SidecarSettings from(OperatorConfig.Sidecar config, boolean clusterSupportsNativeSidecars, String approvalsUrl) {
        boolean nativeSidecar = switch (config.nativeSidecar()) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> clusterSupportsNativeSidecars;
        };
        return new SidecarSettings(config.image(), config.proxyPort(), nativeSidecar, config.cpuRequest().toString(),
                config.memoryRequest().toString(), config.memoryLimit().toString(), runAsUser(config.runAsUser()), config.logLevel().name(),
                config.imagePullPolicy().spelling(), config.jvmProfile().name().toLowerCase(java.util.Locale.ROOT),
                config.redirectInbound(), config.initImage().filter(i -> !i.isBlank()).orElseGet(() -> defaultInitImage(config.image())),
                counterDefaults(config.counters()), approvalsUrl,
                config.imagePullSecrets().orElse(java.util.List.of()).stream().map(String::trim).filter(n -> !n.isEmpty()).toList(),
                config.tracing().otlpEndpoint().map(String::trim).filter(e -> !e.isEmpty())
                        .map(endpoint -> new Tracing(endpoint, config.tracing().otlpProtocol().trim())).orElse(null));
    }

    /** {@code run-as-user}: a uid, or {@code unset} (empty) to leave it to the image or the platform (OpenShift assigns one per namespace). */
    static Long runAsUser(String configured) {
        String value = configured.trim();
        if (value.isEmpty() || value.equals("unset")) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.run-as-user must be a uid or 'unset', not '" + configured + "'");
        }
    }

    /**
     * The operator's {@code sidecar.counters.*} as the rate-limit settings of every policy without {@code spec.rateLimits},
     * or null when sidecars count locally by default. A setting that cannot work stops the operator with its name.
     */
    public static RateLimits counterDefaults(OperatorConfig.Sidecar.Counters config) {
        if (config.backend() == OperatorConfig.Sidecar.Counters.Backend.LOCAL) {
            return null;
        }
        RedisCounters redis = new RedisCounters();
        redis.setUrl(config.redisUrl().filter(u -> !u.isBlank()).orElseThrow(() -> new IllegalArgumentException(
                "toolgate.operator.sidecar.counters.redis-url is required with toolgate.operator.sidecar.counters.backend=redis")));
        if (!redis.getUrl().matches(RedisCounters.URL_PATTERN)) {
            // never echo a URL that carries credentials into the operator's log
            throw new IllegalArgumentException("toolgate.operator.sidecar.counters.redis-url must be redis://host:port[/db] or rediss://host:port, "
                    + "without credentials (use redis-password-secret), not " + (redis.getUrl().contains("@") ? "a URL with user info" : "'" + redis.getUrl() + "'"));
        }
        config.redisPasswordSecret().filter(n -> !n.isBlank()).ifPresent(name -> redis.setPasswordSecretRef(new SecretKeySelector("password", name, false)));
        config.redisCaSecret().filter(n -> !n.isBlank()).ifPresent(name -> redis.setCaSecretRef(new SecretKeySelector("ca.crt", name, false)));
        if (redis.getCaSecretRef() != null && !redis.getUrl().startsWith("rediss://")) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.counters.redis-ca-secret needs a rediss:// redis-url: the connection would not use TLS");
        }
        config.redisTimeout().ifPresent(timeout -> {
            if (timeout.toMillis() < 1 || timeout.toMillis() > 99_999 || timeout.toNanos() % 1_000_000 != 0) {
                throw new IllegalArgumentException("toolgate.operator.sidecar.counters.redis-timeout must be a whole number of milliseconds "
                        + "from 1ms to 99999ms, not " + timeout);
            }
            redis.setTimeout(timeout.toMillis() + "ms");
        });
        redis.setFailMode(switch (config.redisFailMode()) {
            case CLOSED -> RedisCounters.FailMode.CLOSED;
            case LOCAL -> RedisCounters.FailMode.LOCAL;
        });
        RateLimits limits = new RateLimits();
        limits.setBackend(RateLimits.Backend.REDIS);
        limits.setRedis(redis);
        return limits;
    }

    /** {@code ghcr.io/toolgate-dev/sidecar:1.2} → {@code ghcr.io/toolgate-dev/init:1.2} (the images are released together). */
    static String defaultInitImage(String sidecarImage) {
        if (sidecarImage.contains("@")) {
            throw new IllegalArgumentException("the sidecar image " + sidecarImage
                    + " is pinned by digest: set toolgate.operator.sidecar.init-image (the init image has its own digest)");
        }
        int slash = sidecarImage.lastIndexOf('/');
        String name = sidecarImage.substring(slash + 1);
        int tag = name.indexOf(':') >= 0 ? name.indexOf(':') : name.length();
        return sidecarImage.substring(0, slash + 1) + "init" + name.substring(tag);
    }

    /** Native sidecars (init containers with restartPolicy Always) are on by default from Kubernetes 1.29. */
    public static boolean supportsNativeSidecars(String major, String minor) {
        try {
            int maj = Integer.parseInt(major.replaceAll("\\D", ""));
            int min = Integer.parseInt(minor.replaceAll("\\D", ""));
            return maj > 1 || (maj == 1 && min >= 29);
        } catch (NumberFormatException | NullPointerException e) {
            return false;
        }
    }
}
