package dev.toolgate.operator.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.toolgate.testsupport.RealApiServer;
import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.WebhookClientConfigBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * One real kube-apiserver + etcd per test JVM, from the binaries scripts/kube-binaries.sh builds (offline: a missing
 * binary fails the tests with kube-api-test's "Binaries cannot be found" instead of a download attempt).
 */
public final class KubeApiServers {

    public static final String OPERATOR_NAMESPACE = "toolgate-system";
    public static final String OPERATOR_USER = "system:serviceaccount:" + OPERATOR_NAMESPACE + ":toolgate-operator";

    private static RealApiServer server;
    private static Config admin;
    private static String kubeconfigYaml;

    private KubeApiServers() {
    }

    public static synchronized Config admin() {
        if (server == null) {
            RealApiServer started = RealApiServer.start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close));
            server = started;
            kubeconfigYaml = started.kubeConfigYaml();
            admin = Config.fromKubeconfig(kubeconfigYaml);
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(admin).build()) {
                applyCrds(client);
            }
        }
        return admin;
    }

    /** Applies every CRD of the project's crds/ directory and waits until each is established. */
    public static void applyCrds(KubernetesClient client) {
        List<String> names = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(Path.of(System.getProperty("toolgate.crds.committed-dir")))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml")).sorted().toList()) {
                applyFile(client, file);
                names.add(file.getFileName().toString().replace("-v1.yml", ""));
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (String crdName : names) {
            client.apiextensions().v1().customResourceDefinitions().withName(crdName)
                    .waitUntilCondition(crd -> crd.getStatus() != null && crd.getStatus().getConditions() != null
                            && crd.getStatus().getConditions().stream()
                                    .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())),
                            30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** A binary scripts/kube-binaries.sh built for the test version, where kube-api-test finds its own. */
    public static Path binary(String name) {
        return RealApiServer.binary(name);
    }

    /** The admin kubeconfig (client certificate in system:masters). */
    public static synchronized String kubeconfigYaml() {
        admin();
        return kubeconfigYaml;
    }

    /** The operator's identity: as {@link #asOperator()}, starting from a given admin config. */
    public static Config asOperator(Config adminConfig) {
        return RealApiServer.asServiceAccount(adminConfig, OPERATOR_NAMESPACE, "toolgate-operator");
    }

    /** The operator's identity: its ServiceAccount with the groups a real token of it would carry. */
    public static Config asOperator() {
        return asOperator(admin());
    }

    public static List<HasMetadata> applyFile(KubernetesClient client, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return client.load(in).createOrReplace();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }

    /**
     * As the chart leaves the API server before the operator starts: the operator namespace, the RBAC the chart renders
     * for {@code rbacSetting} (a {@link ChartManifests#SETTINGS} key, rendered into {@code toolgate.chart.manifests} before the ITs)
     * and an injection-enabled namespace {@code appNamespace}, created or updated.
     */
    static void prepareForOperator(KubernetesClient client, String appNamespace, String rbacSetting) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(OPERATOR_NAMESPACE).endMetadata()
                .build()).createOr(op -> op.update());
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(appNamespace)
                .addToLabels(ToolgateNames.INJECTION_NAMESPACE_LABEL, "enabled").endMetadata().build()).createOr(op -> op.update());
        applyFile(client, Path.of(System.getProperty("toolgate.chart.manifests"), rbacSetting + ".yaml"));
    }

    /**
     * The chart's MutatingWebhookConfiguration (rendered by {@link ChartManifests} with the default values: the pod
     * injector and the McpApproval admission), but calling the operator in this JVM by URL on {@code webhookPort};
     * {@code caBundleBase64} null leaves the caBundle for the operator to fill in.
     */
    static MutatingWebhookConfiguration webhookConfiguration(int webhookPort, String caBundleBase64) {
        MutatingWebhookConfiguration configuration = chartWebhook(MutatingWebhookConfiguration.class);
        configuration.getWebhooks().forEach(webhook -> webhook.setClientConfig(atThisJvm(webhook.getClientConfig(), webhookPort, caBundleBase64)));
        return configuration;
    }

    /** Namespaces with this label set to {@code enabled} get their McpPolicy writes validated by the operator under test. */
    static final String POLICY_VALIDATION_LABEL = "toolgate.dev/it-policy-validation";

    /**
     * The chart's McpPolicy validator, by URL at the operator in this JVM. Its one change besides the address: it sees
     * only {@link #POLICY_VALIDATION_LABEL} namespaces, so other ITs can still store invalid policies and watch their status.
     */
    static ValidatingWebhookConfiguration policyValidatorConfiguration(int webhookPort, String caBundleBase64) {
        ValidatingWebhookConfiguration configuration = chartWebhook(ValidatingWebhookConfiguration.class);
        configuration.getWebhooks().forEach(webhook -> {
            webhook.setClientConfig(atThisJvm(webhook.getClientConfig(), webhookPort, caBundleBase64));
            webhook.setNamespaceSelector(new LabelSelectorBuilder().addToMatchLabels(POLICY_VALIDATION_LABEL, "enabled").build());
        });
        return configuration;
    }

    private static <T extends HasMetadata> T chartWebhook(Class<T> type) {
        Path file = Path.of(System.getProperty("toolgate.chart.manifests"), ChartManifests.WEBHOOKS_FILE);
        try (InputStream in = Files.newInputStream(file)) {
            List<T> found = Serialization.unmarshal(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)) instanceof List<?> all
                    ? all.stream().filter(type::isInstance).map(type::cast).toList() : List.of();
            if (found.size() != 1) {
                throw new IllegalStateException(file + " holds " + found.size() + " " + type.getSimpleName() + "s, expected the chart's one");
            }
            return found.get(0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + " (rendered by ChartManifests before the ITs)", e);
        }
    }

    /** The chart's client config (a Service path) as a URL at the operator in this JVM, with the same path. */
    private static WebhookClientConfig atThisJvm(WebhookClientConfig chart, int webhookPort, String caBundleBase64) {
        if (chart.getService() == null || chart.getService().getPath() == null) {
            throw new IllegalStateException("the chart's webhook calls no Service path: " + chart);
        }
        return new WebhookClientConfigBuilder().withUrl("https://127.0.0.1:" + webhookPort + chart.getService().getPath())
                .withCaBundle(caBundleBase64).build();
    }

    /** A free loopback port for a process the tests start. */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
