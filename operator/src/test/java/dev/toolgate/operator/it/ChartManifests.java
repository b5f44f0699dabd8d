package dev.toolgate.operator.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.marcnuri.helm.Helm;

/**
 * Build step before the ITs ({@code pre-integration-test}): renders, with the real Helm engine, what the ITs take from
 * the chart rather than from a copy of their own:
 * <ul>
 * <li>its RBAC (with its ValidatingAdmissionPolicy on the operator's ConfigMap writes) and ServiceAccount, once per
 * setting an IT runs the operator in, into {@code <out>/<setting>.yaml}, so the operator under test has exactly what the
 * chart grants in that setting;</li>
 * <li>its webhook configurations (the pod injector with the McpApproval admission, and the McpPolicy validator) with
 * the default values, into {@code <out>/webhooks.yaml}; {@link KubeApiServers} points them at the operator in the test
 * JVM.</li>
 * </ul>
 * Arguments: the chart's source directory, the operator's rbac.yaml (the chart's files/rbac.yaml), the output directory.
 */
public final class ChartManifests {

    /**
     * Setting name → values. {@code restarts}: the defaults plus workload restarts (OperatorIT restarts workloads), the
     * Redis checks' Secret reads (CounterStoreCheckIT) and the policies' NetworkPolicies (OperatorIT).
     */
    static final Map<String, String> SETTINGS = Map.of(
            "restarts", "workloadRestarts: {enabled: true}\nredisChecks: {readSecrets: true}\nnetworkPolicies: {enabled: true}\n",
            "cert-manager", "certificates: {mode: certManager}\n");

    private ChartManifests() {
    }

    public static void main(String[] args) throws IOException {
        Path source = Path.of(args[0]);
        Path rbac = Path.of(args[1]);
        Path out = Path.of(args[2]);
        Path chart = out.resolve("chart/toolgate");
        copyTree(source, chart);
        Files.createDirectories(chart.resolve("files"));
        Files.copy(rbac, chart.resolve("files/rbac.yaml"), StandardCopyOption.REPLACE_EXISTING);
        for (var setting : SETTINGS.entrySet()) {
            Path values = Files.writeString(out.resolve(setting.getKey() + "-values.yaml"), setting.getValue());
            String manifests = new Helm(chart).template().withName("toolgate").withNamespace(KubeApiServers.OPERATOR_NAMESPACE)
                    .withKubeVersion("1.32.0").withValuesFile(values).call();
            List<String> kept = new ArrayList<>();
            for (String doc : manifests.split("(?m)^---\\s*$")) {
                if (doc.contains("# Source: toolgate/templates/rbac.yaml") || doc.contains("# Source: toolgate/templates/serviceaccount.yaml")) {
                    kept.add(doc.strip());
                }
            }
            if (kept.size() < 5) {
                throw new IllegalStateException("the chart rendered " + kept.size() + " RBAC objects for " + setting.getKey() + ":\n" + manifests);
            }
            Files.writeString(out.resolve(setting.getKey() + ".yaml"), String.join("\n---\n", kept) + "\n");
        }
        String defaults = new Helm(chart).template().withName("toolgate").withNamespace(KubeApiServers.OPERATOR_NAMESPACE)
                .withKubeVersion("1.32.0").call();
        List<String> webhooks = new ArrayList<>();
        for (String doc : defaults.split("(?m)^---\\s*$")) {
            if (doc.contains("# Source: toolgate/templates/mutatingwebhookconfiguration.yaml")
                    || doc.contains("# Source: toolgate/templates/validatingwebhookconfiguration.yaml")) {
                webhooks.add(doc.strip());
            }
        }
        if (webhooks.size() != 2) {
            throw new IllegalStateException("expected the chart's two webhook configurations, it rendered " + webhooks.size() + ":\n" + defaults);
        }
        Files.writeString(out.resolve(WEBHOOKS_FILE), String.join("\n---\n", webhooks) + "\n");
    }

    /** The file, beside the RBAC files, holding the chart's webhook configurations. */
    static final String WEBHOOKS_FILE = "webhooks.yaml";

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
