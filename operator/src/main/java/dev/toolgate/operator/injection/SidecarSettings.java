package dev.toolgate.operator.injection;

import dev.toolgate.operator.OperatorConfig;

/** What the mutator needs to know besides the pod and policy: operator defaults and the cluster's capabilities. */
public record SidecarSettings(String image, int proxyPort, boolean nativeSidecar, String cpuRequest, String memoryRequest,
        String memoryLimit, long runAsUser) {

    public static SidecarSettings from(OperatorConfig.Sidecar config, boolean clusterSupportsNativeSidecars) {
        boolean nativeSidecar = switch (config.nativeSidecar()) {
            case "always" -> true;
            case "never" -> false;
            default -> clusterSupportsNativeSidecars;
        };
        return new SidecarSettings(config.image(), config.proxyPort(), nativeSidecar, config.cpuRequest(), config.memoryRequest(),
                config.memoryLimit(), config.runAsUser());
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
