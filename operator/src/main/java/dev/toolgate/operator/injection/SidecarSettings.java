package dev.toolgate.operator.injection;

import dev.toolgate.operator.OperatorConfig;

/** What the mutator needs to know besides the pod and policy: operator defaults and the cluster's capabilities. */
public record SidecarSettings(String image, int proxyPort, boolean nativeSidecar, String cpuRequest, String memoryRequest,
        String memoryLimit, long runAsUser, String logLevel, String imagePullPolicy) {

    static final java.util.Set<String> LOG_LEVELS = java.util.Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
    static final java.util.Set<String> PULL_POLICIES = java.util.Set.of("Always", "IfNotPresent", "Never");

    public SidecarSettings {
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.log-level must be one of TRACE, DEBUG, INFO, WARN, ERROR, not '"
                    + logLevel + "'");
        }
        if (!PULL_POLICIES.contains(imagePullPolicy)) {
            throw new IllegalArgumentException("toolgate.operator.sidecar.image-pull-policy must be one of Always, IfNotPresent, Never, not '"
                    + imagePullPolicy + "'");
        }
    }

    public static SidecarSettings from(OperatorConfig.Sidecar config, boolean clusterSupportsNativeSidecars) {
        boolean nativeSidecar = switch (config.nativeSidecar()) {
            case "always" -> true;
            case "never" -> false;
            default -> clusterSupportsNativeSidecars;
        };
        return new SidecarSettings(config.image(), config.proxyPort(), nativeSidecar, config.cpuRequest(), config.memoryRequest(),
                config.memoryLimit(), config.runAsUser(), config.logLevel(), config.imagePullPolicy());
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
