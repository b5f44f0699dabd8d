package dev.toolgate.operator.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * One real kube-apiserver + etcd per test JVM, from the binaries scripts/kube-binaries.sh builds (offline: a missing
 * binary fails the tests with kube-api-test's "Binaries cannot be found" instead of a download attempt).
 */
public final class KubeApiServers {

    public static final String OPERATOR_NAMESPACE = "toolgate-system";
    public static final String OPERATOR_USER = "system:serviceaccount:" + OPERATOR_NAMESPACE + ":toolgate-operator";

    private static KubeAPIServer server;
    private static Config admin;
    private static String kubeconfigYaml;

    private KubeApiServers() {
    }

    public static synchronized Config admin() {
        if (server == null) {
            String version = System.getProperty("toolgate.kube.version");
            if (version == null || version.isBlank()) {
                throw new IllegalStateException("system property toolgate.kube.version is not set (the operator pom passes it to failsafe)");
            }
            KubeAPIServer started = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                    .withOfflineMode(true)
                    .withApiServerVersion(version)
                    .build());
            started.start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop));
            server = started;
            kubeconfigYaml = started.getKubeConfigYaml();
            admin = Config.fromKubeconfig(kubeconfigYaml);
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(admin).build()) {
                applyFile(client, Path.of(System.getProperty("toolgate.crd.committed")));
                applyFile(client, Path.of(System.getProperty("toolgate.approval-crd.committed")));
                for (String crdName : List.of("mcppolicies.toolgate.dev", "mcpapprovals.toolgate.dev")) {
                    client.apiextensions().v1().customResourceDefinitions().withName(crdName)
                            .waitUntilCondition(crd -> crd.getStatus() != null && crd.getStatus().getConditions() != null
                                    && crd.getStatus().getConditions().stream()
                                            .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())),
                                    30, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
        }
        return admin;
    }

    /** A binary scripts/kube-binaries.sh built for the test version, where kube-api-test finds its own. */
    public static Path binary(String name) {
        String root = System.getenv("KUBE_API_TEST_DIR") != null ? System.getenv("KUBE_API_TEST_DIR")
                : Path.of(System.getProperty("user.home"), ".kubeapitest").toString();
        return Path.of(root, "k8s", System.getProperty("toolgate.kube.version") + "-linux-amd64", name);
    }

    /** The admin kubeconfig (client certificate in system:masters). */
    public static synchronized String kubeconfigYaml() {
        admin();
        return kubeconfigYaml;
    }

    /** The operator's identity: as {@link #asOperator()}, starting from a given admin config. */
    public static Config asOperator(Config adminConfig) {
        return new ConfigBuilder(adminConfig)
                .withImpersonateUsername(OPERATOR_USER)
                .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + OPERATOR_NAMESPACE, "system:authenticated")
                .build();
    }

    /** The operator's identity: its ServiceAccount with the groups a real token of it would carry. */
    public static Config asOperator() {
        return new ConfigBuilder(admin())
                .withImpersonateUsername(OPERATOR_USER)
                .withImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + OPERATOR_NAMESPACE, "system:authenticated")
                .build();
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
     * for {@code rbacSetting} (a {@link ChartRbac#SETTINGS} key, rendered into {@code toolgate.rbac.dir} before the ITs)
     * and an injection-enabled namespace {@code appNamespace}, created or updated.
     */
    static void prepareForOperator(KubernetesClient client, String appNamespace, String rbacSetting) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(OPERATOR_NAMESPACE).endMetadata()
                .build()).createOr(op -> op.update());
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(appNamespace)
                .addToLabels(ToolgateNames.INJECTION_NAMESPACE_LABEL, "enabled").endMetadata().build()).createOr(op -> op.update());
        applyFile(client, Path.of(System.getProperty("toolgate.rbac.dir"), rbacSetting + ".yaml"));
    }

    /**
     * The chart's MutatingWebhookConfiguration (its default selectors: namespaces labelled for injection, pods not
     * labelled {@code toolgate.dev/inject: "false"}), but calling the operator in this JVM by URL on {@code webhookPort};
     * {@code caBundleBase64} null leaves the caBundle for the operator to fill in.
     */
    static MutatingWebhookConfiguration webhookConfiguration(int webhookPort, String caBundleBase64) {
        return new MutatingWebhookConfigurationBuilder()
                .withNewMetadata().withName(ToolgateNames.WEBHOOK_CONFIGURATION).endMetadata()
                .addNewWebhook()
                .withName("pods.toolgate.dev")
                .withAdmissionReviewVersions("v1")
                .withSideEffects("None")
                .withFailurePolicy("Fail")
                .withTimeoutSeconds(5)
                .withReinvocationPolicy("Never")
                .withNewClientConfig().withUrl("https://127.0.0.1:" + webhookPort + ToolgateNames.WEBHOOK_PATH)
                .withCaBundle(caBundleBase64).endClientConfig()
                .withNewNamespaceSelector().addToMatchLabels(ToolgateNames.INJECTION_NAMESPACE_LABEL, "enabled").endNamespaceSelector()
                .withNewObjectSelector().addNewMatchExpression().withKey(ToolgateNames.INJECT_LABEL).withOperator("NotIn")
                .withValues("false").endMatchExpression().endObjectSelector()
                .addNewRule().withApiGroups("").withApiVersions("v1").withOperations("CREATE").withResources("pods").endRule()
                .endWebhook()
                .addNewWebhook()
                .withName("approvals.toolgate.dev")
                .withAdmissionReviewVersions("v1")
                .withSideEffects("None")
                .withFailurePolicy("Fail")
                .withTimeoutSeconds(5)
                .withReinvocationPolicy("Never")
                .withMatchPolicy("Equivalent")
                .withNewClientConfig().withUrl("https://127.0.0.1:" + webhookPort + ToolgateNames.APPROVAL_ADMISSION_PATH)
                .withCaBundle(caBundleBase64).endClientConfig()
                .addNewRule().withApiGroups("toolgate.dev").withApiVersions("*").withOperations("CREATE", "UPDATE")
                .withResources("mcpapprovals").withScope("Namespaced").endRule()
                .endWebhook()
                .build();
    }

    /** Namespaces with this label set to {@code enabled} get their McpPolicy writes validated by the operator under test. */
    static final String POLICY_VALIDATION_LABEL = "toolgate.dev/it-policy-validation";

    /** The chart's McpPolicy validator, by URL at the operator in this JVM, for {@link #POLICY_VALIDATION_LABEL} namespaces. */
    static ValidatingWebhookConfiguration policyValidatorConfiguration(int webhookPort, String caBundleBase64) {
        return new ValidatingWebhookConfigurationBuilder()
                .withNewMetadata().withName(ToolgateNames.POLICY_VALIDATION_CONFIGURATION).endMetadata()
                .addNewWebhook()
                .withName("policies.toolgate.dev")
                .withAdmissionReviewVersions("v1")
                .withSideEffects("None")
                .withFailurePolicy("Fail")
                .withTimeoutSeconds(5)
                .withMatchPolicy("Equivalent")
                .withNewClientConfig().withUrl("https://127.0.0.1:" + webhookPort + ToolgateNames.POLICY_VALIDATION_PATH)
                .withCaBundle(caBundleBase64).endClientConfig()
                .withNewNamespaceSelector().addToMatchLabels(POLICY_VALIDATION_LABEL, "enabled").endNamespaceSelector()
                .addNewRule().withApiGroups("toolgate.dev").withApiVersions("*").withOperations("CREATE", "UPDATE")
                .withResources("mcppolicies").withScope("Namespaced").endRule()
                .endWebhook()
                .build();
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
