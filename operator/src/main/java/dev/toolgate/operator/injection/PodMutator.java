package dev.toolgate.operator.injection;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.operator.mcppolicy.McpPolicySpec;
import dev.toolgate.operator.mcppolicy.RateLimits;
import dev.toolgate.operator.mcppolicy.RedisCounters;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;

/**
 * Adds the sidecar to a pod: the container (native sidecar or regular), the policy volume, annotations, and the
 * port takeover — the sidecar gets the MCP container's port name so Services targeting that name reach the sidecar,
 * and the MCP container's port is renamed; probes and lifecycle hooks of the MCP container that named that port are
 * rewritten to its number (the name is gone from the container). With {@code redirectInbound}, an init container
 * {@value #INIT_CONTAINER} redirects inbound TCP to the MCP port to the sidecar (nat PREROUTING), so the pod IP offers no
 * way around the policy; the kubelet's probes of that port then pass through the sidecar, which forwards every
 * non-POST request upstream. Pure: returns a new pod, the handler diffs it into a JSON patch.
 */
public final class PodMutator {

    /**
     * Init containers of a service mesh injected before Toolgate (Istio's {@code istio-init}, {@code istio-validation}
     * under istio-cni, and its native-sidecar {@code istio-proxy}); Toolgate's go after the last of them.
     */
    static final java.util.Set<String> MESH_INIT_CONTAINERS = java.util.Set.of("istio-init", "istio-validation", "istio-proxy");

    /** The init container that installs the inbound redirect. */
    public static final String INIT_CONTAINER = "toolgate-init";

    private PodMutator() {
    }

    /** The port the sidecar's proxy listens on: the configured one, or the next when the MCP server already uses it. */
    public static int proxyPort(int configured, int upstreamPort) {
        return configured == upstreamPort ? configured + 1 : configured;
    }

    /**
     * Why the sidecar cannot join this pod, or {@code null}: a container (or init container) already declares the port the
     * sidecar would listen on for MCP traffic or its management port. Two listeners on one port in a pod's network
     * namespace means one of them fails to start, so the pod is refused with this message instead.
     */
    public static String portClash(Pod pod, McpPolicy policy, SidecarSettings settings) {
        int upstreamPort = policy.getSpec().getUpstream().getPort();
        int proxyPort = proxyPort(settings.proxyPort(), upstreamPort);
        List<Container> all = new ArrayList<>(pod.getSpec().getContainers());
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        for (Container c : all) {
            if (c.getPorts() == null) {
                continue;
            }
            for (var port : c.getPorts()) {
                Integer number = port.getContainerPort();
                if (number != null && number != upstreamPort && (number == proxyPort || number == ToolgateNames.SIDECAR_MANAGEMENT_PORT)) {
                    String role = number == proxyPort ? "proxy port" : "management port";
                    return "toolgate: container \"" + c.getName() + "\" declares port " + number + ", the toolgate sidecar's " + role
                            + " for McpPolicy " + policy.getMetadata().getName() + "; move that container's port, or opt the pod out"
                            + " with the annotation " + ToolgateNames.INJECT_ANNOTATION + ": \"false\" (it then runs unprotected)";
                }
            }
        }
        return null;
    }

    public static Pod inject(Pod original, McpPolicy policy, SidecarSettings settings) {
        Pod pod = new PodBuilder(original).build();
        McpPolicySpec spec = policy.getSpec();
        int upstreamPort = spec.getUpstream().getPort();
        int proxyPort = proxyPort(settings.proxyPort(), upstreamPort);

        String takenOverName = takeOverPortName(pod.getSpec().getContainers(), upstreamPort);
        if (takenOverName != null) {
            numberNamedPortReferences(pod.getSpec().getContainers(), upstreamPort, takenOverName);
        }
        Container sidecar = sidecar(policy, settings, upstreamPort, proxyPort, takenOverName);
        List<Container> init = new ArrayList<>();
        if (settings.redirectInbound()) {
            init.add(redirectInit(settings, upstreamPort, proxyPort));
        }
        if (settings.nativeSidecar()) {
            init.add(sidecar);
        } else {
            pod.getSpec().getContainers().add(sidecar);
        }
        if (!init.isEmpty()) {
            List<Container> existing = pod.getSpec().getInitContainers() == null ? List.of() : pod.getSpec().getInitContainers();
            // Ahead of the pod's own init containers, but after a mesh's that another webhook put in first, so that
            // the mesh's inbound capture comes first and its proxy's connection to the MCP port then meets ours.
            int at = 0;
            for (int i = 0; i < existing.size(); i++) {
                if (MESH_INIT_CONTAINERS.contains(existing.get(i).getName())) {
                    at = i + 1;
                }
            }
            List<Container> all = new ArrayList<>(existing.subList(0, at));
            all.addAll(init);
            all.addAll(existing.subList(at, existing.size()));
            pod.getSpec().setInitContainers(all);
        }

        List<Volume> volumes = pod.getSpec().getVolumes() == null ? new ArrayList<>() : new ArrayList<>(pod.getSpec().getVolumes());
        volumes.add(new VolumeBuilder().withName(ToolgateNames.POLICY_VOLUME).withNewConfigMap()
                .withName(ToolgateNames.configMapName(policy.getMetadata().getName())).endConfigMap().build());
        volumes.add(new VolumeBuilder().withName(ToolgateNames.TMP_VOLUME).withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(new Quantity("16Mi")).endEmptyDir().build());
        List<Volume> identityVolumes = SidecarIdentity.volumes(spec.getIdentity());
        volumes.addAll(identityVolumes);
        if (settings.approvalsUrl() != null) {
            volumes.add(approvalsTokenVolume());
        }
        boolean projectsToken = spec.getIdentity() != null && spec.getIdentity().getServiceAccount() != null
                || settings.approvalsUrl() != null;
        if (projectsToken && (pod.getSpec().getServiceAccountName() == null || pod.getSpec().getServiceAccountName().isEmpty())) {
            // A projected service-account token needs a named account. The API server's ServiceAccount admission names
            // "default" before webhooks run; where it does not (that plugin off), name it here rather than have the pod refused.
            pod.getSpec().setServiceAccountName("default");
        }
        RedisCounters redis = redisCounters(spec, settings);
        if (redis != null && redis.getPasswordSecretRef() != null) {
            volumes.add(secretFile(ToolgateNames.REDIS_PASSWORD_VOLUME, redis.getPasswordSecretRef(), "password"));
        }
        if (redis != null && redis.getCaSecretRef() != null) {
            volumes.add(secretFile(ToolgateNames.REDIS_CA_VOLUME, redis.getCaSecretRef(), "ca.crt"));
        }
        pod.getSpec().setVolumes(volumes);
        addImagePullSecrets(pod, settings.imagePullSecrets());

        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(pod.getMetadata().getAnnotations());
        annotations.put(ToolgateNames.POLICY_ANNOTATION, policy.getMetadata().getName());
        annotations.put(ToolgateNames.POLICY_HASH_ANNOTATION, policyHash(policy));
        // The MCP server may already be scraped under these keys; never take its metrics away.
        annotations.putIfAbsent("prometheus.io/scrape", "true");
        annotations.putIfAbsent("prometheus.io/port", String.valueOf(ToolgateNames.SIDECAR_MANAGEMENT_PORT));
        annotations.putIfAbsent("prometheus.io/path", "/q/metrics");
        String mcpContainer = mcpContainerName(pod.getSpec().getContainers(), upstreamPort);
        if (mcpContainer != null) {
            annotations.putIfAbsent("kubectl.kubernetes.io/default-container", mcpContainer);
        }
        pod.getMetadata().setAnnotations(annotations);
        return pod;
    }

    /** The operator's pull secrets for the sidecar and init images, after the pod's own (each name once). */
    private static void addImagePullSecrets(Pod pod, List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        List<io.fabric8.kubernetes.api.model.LocalObjectReference> secrets = pod.getSpec().getImagePullSecrets() == null
                ? new ArrayList<>() : new ArrayList<>(pod.getSpec().getImagePullSecrets());
        for (String name : names) {
            if (secrets.stream().noneMatch(s -> name.equals(s.getName()))) {
                secrets.add(new io.fabric8.kubernetes.api.model.LocalObjectReference(name));
            }
        }
        pod.getSpec().setImagePullSecrets(secrets);
    }

    /** {@code spec.rateLimits.redis} (or, without {@code spec.rateLimits}, the operator's default) when the policy counts in Redis, else null. */
    private static RedisCounters redisCounters(McpPolicySpec spec, SidecarSettings settings) {
        RateLimits limits = spec.getRateLimits() != null ? spec.getRateLimits() : settings.counterDefaults();
        return limits != null && limits.getBackend() == RateLimits.Backend.REDIS ? limits.getRedis() : null;
    }

    /** One key of a Secret as a read-only file {@code path} in its own volume. */
    private static Volume secretFile(String volume, SecretKeySelector ref, String path) {
        return new VolumeBuilder().withName(volume).withNewSecret().withSecretName(ref.getName()).withDefaultMode(0444)
                .addNewItem().withKey(ref.getKey()).withPath(path).endItem().endSecret().build();
    }

    /**
     * The sidecar's {@code toolgate.counters.*} settings for a policy that counts in Redis: every sidecar of the policy
     * gets the same key prefix, so they share one count; another policy's sidecars get another.
     */
    private static void redisCounterEnv(McpPolicy policy, RedisCounters redis, List<EnvVar> env) {
        env.add(new EnvVar("TOOLGATE_COUNTERS_BACKEND", "redis", null));
        env.add(new EnvVar("TOOLGATE_COUNTERS_REDIS_URL", redis.getUrl(), null));
        // always under the policy's namespace: a policy author can share counters within a namespace, never reach another's
        String prefix = "toolgate:" + policy.getMetadata().getNamespace() + "/"
                + (redis.getKeyPrefix() != null ? redis.getKeyPrefix() : policy.getMetadata().getName());
        env.add(new EnvVar("TOOLGATE_COUNTERS_REDIS_KEY_PREFIX", prefix, null));
        if (redis.getTimeout() != null) {
            env.add(new EnvVar("TOOLGATE_COUNTERS_REDIS_TIMEOUT", redis.getTimeout(), null));
        }
        if (redis.getFailMode() != null) {
            env.add(new EnvVar("TOOLGATE_COUNTERS_REDIS_FAIL_MODE", redis.getFailMode() == RedisCounters.FailMode.LOCAL ? "local" : "closed", null));
        }
        if (redis.getPasswordSecretRef() != null) {
            env.add(new EnvVar("TOOLGATE_COUNTERS_REDIS_PASSWORD_FILE", ToolgateNames.REDIS_PASSWORD_FILE, null));
        }
        if (redis.getCaSecretRef() != null) {
            env.add(new EnvVar("TOOLGATE_COUNTERS_REDIS_TLS_CA_FILE", ToolgateNames.REDIS_CA_FILE, null));
        }
    }

    private static String policyHash(McpPolicy policy) {
        return policy.getStatus() != null && policy.getStatus().getPolicyHash() != null ? policy.getStatus().getPolicyHash() : "pending";
    }

    /** Renames the MCP container's named port and returns its old name (null when the port is unnamed or undeclared). */
    private static String takeOverPortName(List<Container> containers, int upstreamPort) {
        for (Container container : containers) {
            if (container.getPorts() == null) {
                continue;
            }
            for (ContainerPort port : container.getPorts()) {
                if (port.getContainerPort() != null && port.getContainerPort() == upstreamPort && port.getName() != null
                        && !port.getName().isEmpty()) {
                    String name = port.getName();
                    port.setName(ToolgateNames.UPSTREAM_PORT_NAME);
                    return name;
                }
            }
        }
        return null;
    }

    /**
     * The container that declared the MCP port under {@code name} no longer has that name: its probes and lifecycle
     * hooks naming it would fail ({@code port "mcp" not found}), so they get the number.
     */
    private static void numberNamedPortReferences(List<Container> containers, int upstreamPort, String name) {
        for (Container container : containers) {
            boolean declaresIt = container.getPorts() != null && container.getPorts().stream()
                    .anyMatch(p -> p.getContainerPort() != null && p.getContainerPort() == upstreamPort);
            if (!declaresIt) {
                continue;
            }
            for (Probe probe : java.util.Arrays.asList(container.getLivenessProbe(), container.getReadinessProbe(),
                    container.getStartupProbe())) {
                if (probe != null) {
                    if (probe.getHttpGet() != null) {
                        probe.getHttpGet().setPort(number(probe.getHttpGet().getPort(), name, upstreamPort));
                    }
                    if (probe.getTcpSocket() != null) {
                        probe.getTcpSocket().setPort(number(probe.getTcpSocket().getPort(), name, upstreamPort));
                    }
                }
            }
            if (container.getLifecycle() != null) {
                for (io.fabric8.kubernetes.api.model.LifecycleHandler hook : java.util.Arrays.asList(
                        container.getLifecycle().getPostStart(), container.getLifecycle().getPreStop())) {
                    if (hook != null && hook.getHttpGet() != null) {
                        hook.getHttpGet().setPort(number(hook.getHttpGet().getPort(), name, upstreamPort));
                    }
                    if (hook != null && hook.getTcpSocket() != null) {
                        hook.getTcpSocket().setPort(number(hook.getTcpSocket().getPort(), name, upstreamPort));
                    }
                }
            }
        }
    }

    private static IntOrString number(IntOrString port, String name, int number) {
        return port != null && name.equals(port.getStrVal()) ? new IntOrString(number) : port;
    }

    /**
     * Redirects TCP to the MCP port to the sidecar's proxy port, then exits: inbound traffic (nat PREROUTING) and, when
     * the sidecar's uid is known, connections made inside the pod by any other uid (nat OUTPUT on lo: the pod's other
     * containers, {@code kubectl port-forward}). The sidecar's own connection to the upstream is never redirected. The
     * only container that runs as root, with NET_ADMIN and NET_RAW and nothing else.
     */
    static Container redirectInit(SidecarSettings settings, int upstreamPort, int proxyPort) {
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("TOOLGATE_REDIRECT_PORTS", String.valueOf(upstreamPort), null));
        env.add(new EnvVar("TOOLGATE_PROXY_PORT", String.valueOf(proxyPort), null));
        if (settings.runAsUser() != null) {
            env.add(new EnvVar("TOOLGATE_PROXY_UID", String.valueOf(settings.runAsUser()), null));
        }
        return new ContainerBuilder()
                .withName(INIT_CONTAINER)
                .withImage(settings.initImage())
                .withImagePullPolicy(settings.imagePullPolicy())
                .withEnv(env)
                .withResources(new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("10m"))
                        .addToRequests("memory", new Quantity("16Mi"))
                        .addToLimits("memory", new Quantity("64Mi"))
                        .build())
                .withNewSecurityContext()
                .withRunAsUser(0L)
                .withRunAsNonRoot(false)
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withPrivileged(false)
                .withNewCapabilities().withDrop("ALL").withAdd("NET_ADMIN", "NET_RAW").endCapabilities()
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .addNewVolumeMount().withName(ToolgateNames.TMP_VOLUME).withMountPath("/tmp").endVolumeMount()
                .build();
    }

    /**
     * The pod's containers (init containers too) that run as the sidecar's uid, so the in-pod redirect, keyed on that
     * uid, lets them reach the MCP port directly; empty without the redirect or without a set sidecar uid.
     */
    static List<String> containersSharingTheSidecarUid(Pod pod, SidecarSettings settings) {
        Long uid = settings.runAsUser();
        if (!settings.redirectInbound() || uid == null || pod.getSpec() == null) {
            return List.of();
        }
        Long podUid = pod.getSpec().getSecurityContext() == null ? null : pod.getSpec().getSecurityContext().getRunAsUser();
        List<Container> all = new ArrayList<>();
        if (pod.getSpec().getInitContainers() != null) {
            all.addAll(pod.getSpec().getInitContainers());
        }
        if (pod.getSpec().getContainers() != null) {
            all.addAll(pod.getSpec().getContainers());
        }
        List<String> names = new ArrayList<>();
        for (Container c : all) {
            Long own = c.getSecurityContext() == null ? null : c.getSecurityContext().getRunAsUser();
            if (uid.equals(own != null ? own : podUid)) {
                names.add(c.getName());
            }
        }
        return names;
    }

    private static String mcpContainerName(List<Container> containers, int upstreamPort) {
        return containers.stream()
                .filter(c -> c.getPorts() != null && c.getPorts().stream().anyMatch(p -> p.getContainerPort() != null
                        && p.getContainerPort() == upstreamPort))
                .map(Container::getName).findFirst().orElse(null);
    }

    private static Container sidecar(McpPolicy policy, SidecarSettings settings, int upstreamPort, int proxyPort, String portName) {
        McpPolicySpec spec = policy.getSpec();
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("TOOLGATE_UPSTREAM", "http://127.0.0.1:" + upstreamPort, null));
        env.add(new EnvVar("TOOLGATE_POLICY_FILE", ToolgateNames.POLICY_MOUNT_PATH + "/" + ToolgateNames.POLICY_FILE_KEY, null));
        // the audit lines name the McpPolicy and its namespace
        env.add(new EnvVar("TOOLGATE_POLICY_NAME", policy.getMetadata().getName(), null));
        env.add(new EnvVarBuilder().withName("TOOLGATE_POLICY_NAMESPACE").withNewValueFrom().withNewFieldRef().withApiVersion("v1")
                .withFieldPath("metadata.namespace").endFieldRef().endValueFrom().build());
        env.addAll(SidecarIdentity.env(spec.getIdentity()));
        RedisCounters redis = redisCounters(spec, settings);
        if (redis != null) {
            redisCounterEnv(policy, redis, env);
        }
        if (settings.approvalsUrl() != null) {
            env.add(new EnvVar("TOOLGATE_APPROVALS_URL", settings.approvalsUrl(), null));
            env.add(new EnvVar("TOOLGATE_APPROVALS_POLICY", policy.getMetadata().getName(), null));
            env.add(new EnvVar("TOOLGATE_APPROVALS_TOKEN_FILE", ToolgateNames.APPROVALS_TOKEN_MOUNT_PATH + "/token", null));
            env.add(new EnvVar("TOOLGATE_APPROVALS_CA_FILE", ToolgateNames.POLICY_MOUNT_PATH + "/" + ToolgateNames.OPERATOR_CA_KEY, null));
        }
        if (settings.tracing() != null) {
            env.add(new EnvVar("TOOLGATE_TRACING_ENABLED", "true", null));
            env.add(new EnvVar("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", settings.tracing().otlpEndpoint(), null));
            env.add(new EnvVar("QUARKUS_OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", settings.tracing().otlpProtocol(), null));
            // the spans say which namespace they come from (TOOLGATE_POLICY_NAMESPACE is set above, so Kubernetes expands it)
            env.add(new EnvVar("QUARKUS_OTEL_RESOURCE_ATTRIBUTES", "k8s.namespace.name=$(TOOLGATE_POLICY_NAMESPACE)", null));
        }
        env.add(new EnvVar("QUARKUS_HTTP_PORT", String.valueOf(proxyPort), null));
        String logLevel = spec.getSidecar() != null && spec.getSidecar().getLogLevel() != null ? spec.getSidecar().getLogLevel()
                : settings.logLevel();
        env.add(new EnvVar("QUARKUS_LOG_LEVEL", logLevel, null));
        String jvmProfile = spec.getSidecar() != null && spec.getSidecar().getJvmProfile() != null ? spec.getSidecar().getJvmProfile()
                : settings.jvmProfile();
        String jvmOptions = SidecarSettings.jvmOptions(jvmProfile);
        if (jvmOptions != null && !jvmOptions.isEmpty()) {
            env.add(new EnvVar("JDK_JAVA_OPTIONS", jvmOptions, null)); // read by the java launcher, after the image's own options
        }
        String image = spec.getSidecar() != null && spec.getSidecar().getImage() != null ? spec.getSidecar().getImage() : settings.image();

        ContainerBuilder sidecar = new ContainerBuilder()
                .withName(ToolgateNames.SIDECAR_CONTAINER)
                .withImage(image)
                .withImagePullPolicy(settings.imagePullPolicy())
                .withEnv(env)
                .addNewPort().withName(portName == null ? "tg-proxy" : portName).withContainerPort(proxyPort).withProtocol("TCP").endPort()
                .addNewPort().withName(ToolgateNames.SIDECAR_MANAGEMENT_PORT_NAME).withContainerPort(ToolgateNames.SIDECAR_MANAGEMENT_PORT)
                .withProtocol("TCP").endPort()
                .withStartupProbe(probe("/q/health/started", 1, 30))
                .withLivenessProbe(probe("/q/health/live", 10, 3))
                .withReadinessProbe(probe("/q/health/ready", 5, 3))
                .withResources(resources(policy, settings))
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(settings.runAsUser())
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withPrivileged(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities()
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .addNewVolumeMount().withName(ToolgateNames.POLICY_VOLUME).withMountPath(ToolgateNames.POLICY_MOUNT_PATH)
                .withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName(ToolgateNames.TMP_VOLUME).withMountPath("/tmp").endVolumeMount()
                .addAllToVolumeMounts(SidecarIdentity.mounts(spec.getIdentity()));
        if (redis != null && redis.getPasswordSecretRef() != null) {
            sidecar.addNewVolumeMount().withName(ToolgateNames.REDIS_PASSWORD_VOLUME).withMountPath(parent(ToolgateNames.REDIS_PASSWORD_FILE))
                    .withReadOnly(true).endVolumeMount();
        }
        if (redis != null && redis.getCaSecretRef() != null) {
            sidecar.addNewVolumeMount().withName(ToolgateNames.REDIS_CA_VOLUME).withMountPath(parent(ToolgateNames.REDIS_CA_FILE))
                    .withReadOnly(true).endVolumeMount();
        }
        if (settings.approvalsUrl() != null) {
            sidecar.addNewVolumeMount().withName(ToolgateNames.APPROVALS_TOKEN_VOLUME).withMountPath(ToolgateNames.APPROVALS_TOKEN_MOUNT_PATH)
                    .withReadOnly(true).endVolumeMount();
        }
        if (settings.nativeSidecar()) {
            sidecar.withRestartPolicy("Always");
        }
        return sidecar.build();
    }

    /**
     * The sidecar's own token for the operator's approval API: audience {@link ToolgateNames#APPROVALS_AUDIENCE}, bound to
     * this pod, so the operator can tell which pod asks (TokenReview) and the token is useless anywhere else.
     */
    private static Volume approvalsTokenVolume() {
        return new VolumeBuilder().withName(ToolgateNames.APPROVALS_TOKEN_VOLUME).withNewProjected()
                .addNewSource().withNewServiceAccountToken().withAudience(ToolgateNames.APPROVALS_AUDIENCE).withPath("token")
                .withExpirationSeconds(3607L).endServiceAccountToken().endSource()
                .endProjected().build();
    }

    private static String parent(String file) {
        return file.substring(0, file.lastIndexOf('/'));
    }

    private static Probe probe(String path, int periodSeconds, int failureThreshold) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withNewPort(ToolgateNames.SIDECAR_MANAGEMENT_PORT_NAME).endHttpGet()
                .withPeriodSeconds(periodSeconds).withFailureThreshold(failureThreshold).build();
    }

    private static ResourceRequirements resources(McpPolicy policy, SidecarSettings settings) {
        if (policy.getSpec().getSidecar() != null && policy.getSpec().getSidecar().getResources() != null) {
            return new ResourceRequirementsBuilder(policy.getSpec().getSidecar().getResources()).build();
        }
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity(settings.cpuRequest()))
                .addToRequests("memory", new Quantity(settings.memoryRequest()))
                .addToLimits("memory", new Quantity(settings.memoryLimit()))
                .build();
    }
}
