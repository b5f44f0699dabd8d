package dev.toolgate.helm;

import dev.toolgate.testsupport.RealApiServer;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code helm install}, {@code upgrade} and {@code uninstall} of the packaged chart against a real API server, one
 * release through its life. Also checks the chart's RBAC with the API server's own authorizer.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChartLifecycleIT {

    private static final String RELEASE = "toolgate";
    private static final String NAMESPACE = "toolgate-system";
    private static final String OPERATOR = "system:serviceaccount:" + NAMESPACE + ":toolgate-operator";
    private static final Path PACKAGE = Path.of(System.getProperty("toolgate.chart.package", "target/toolgate.tgz"));
    private static final String CA_BUNDLE = Base64.getEncoder().encodeToString("-----BEGIN CERTIFICATE-----\nfake\n".getBytes());

    private static RealApiServer api;

    @BeforeAll
    static void startApiServer() {
        assertThat(PACKAGE).as("chart package built by the package phase").isRegularFile();
        api = RealApiServer.start();
    }

    @AfterAll
    static void stopApiServer() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    @Order(1)
    void installCreatesTheCrdAndEveryObjectOfTheChart() throws Exception {
        Release release = Helm.install(PACKAGE.toString())
                .withName(RELEASE).withNamespace(NAMESPACE).createNamespace()
                .withKubeConfigContents(api.kubeConfigYaml())
                .call();

        assertThat(release.getStatus()).isEqualTo("deployed");
        assertThat(release.getOutput()).contains("kubectl label namespace <your-namespace> toolgate.dev/injection=enabled")
                .contains("while no replica answers, pods an McpPolicy selects are refused (ValidatingAdmissionPolicy toolgate-selected-pods)");
        assertThat(api.established("mcppolicies.toolgate.dev")).isTrue();
        assertThat(api.established("mcpapprovals.toolgate.dev")).isTrue();
        assertThat(objectsOfTheRelease()).containsExactlyInAnyOrder(
                "clusterrole.rbac.authorization.k8s.io/toolgate-operator",
                "clusterrole.rbac.authorization.k8s.io/toolgate-approver",
                "clusterrolebinding.rbac.authorization.k8s.io/toolgate-operator",
                "mutatingwebhookconfiguration.admissionregistration.k8s.io/toolgate-injector",
                "validatingwebhookconfiguration.admissionregistration.k8s.io/toolgate-policy-validator",
                "serviceaccount/toolgate-operator",
                "secret/toolgate-webhook-tls",
                "secret/toolgate-approval-state-key",
                "service/toolgate-operator",
                "deployment.apps/toolgate-operator",
                "role.rbac.authorization.k8s.io/toolgate-operator",
                "rolebinding.rbac.authorization.k8s.io/toolgate-operator",
                "validatingadmissionpolicy.admissionregistration.k8s.io/toolgate-operator-configmaps",
                "validatingadmissionpolicybinding.admissionregistration.k8s.io/toolgate-operator-configmaps",
                "validatingadmissionpolicy.admissionregistration.k8s.io/toolgate-selected-pods",
                "validatingadmissionpolicybinding.admissionregistration.k8s.io/toolgate-selected-pods",
                "poddisruptionbudget.policy/toolgate-operator");
    }

    @Test
    @Order(2)
    void operatorServiceAccountGetsWhatItNeedsAndNothingMore() {
        assertThat(allowed("list", "toolgate.dev", "mcppolicies", "any-namespace", null)).isTrue();
        assertThat(allowed("watch", "toolgate.dev", "mcppolicies", null, null)).isTrue();
        assertThat(allowed("patch", "toolgate.dev", "mcppolicies/status", "team-a", null)).isTrue();
        assertThat(allowed("create", "", "configmaps", "team-a", null)).isTrue();
        assertThat(allowed("list", "", "pods", null, null)).isTrue();
        assertThat(allowed("watch", "", "services", null, null)).isTrue();
        assertThat(allowed("create", "", "events", "team-a", null)).isTrue();
        assertThat(allowed("get", "", "secrets", NAMESPACE, "toolgate-webhook-tls")).isTrue();
        assertThat(allowed("update", "", "secrets", NAMESPACE, "toolgate-webhook-tls")).isTrue();
        assertThat(allowed("update", "", "secrets", NAMESPACE, "toolgate-approval-state-key")).isTrue();
        assertThat(allowed("update", "toolgate.dev", "mcppolicies/finalizers", "team-a", "p")).isTrue();
        assertThat(allowed("update", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", null, "toolgate-injector")).isTrue();
        assertThat(allowed("update", "admissionregistration.k8s.io", "validatingwebhookconfigurations", null, "toolgate-policy-validator")).isTrue();

        assertThat(allowed("patch", "coordination.k8s.io", "leases", NAMESPACE, "toolgate-operator")).as("renewing its Lease").isTrue();
        assertThat(allowed("create", "coordination.k8s.io", "leases", NAMESPACE, null)).as("creating its Lease").isTrue();

        assertThat(allowed("patch", "coordination.k8s.io", "leases", NAMESPACE, "someone-elses")).as("other Leases").isFalse();
        assertThat(allowed("get", "coordination.k8s.io", "leases", "kube-system", "toolgate-operator")).as("Leases elsewhere").isFalse();
        assertThat(allowed("get", "", "secrets", NAMESPACE, "someone-elses")).as("other Secrets of its namespace").isFalse();
        assertThat(allowed("list", "", "secrets", NAMESPACE, null)).as("listing Secrets").isFalse();
        assertThat(allowed("get", "", "secrets", "team-a", "toolgate-webhook-tls")).as("Secrets elsewhere").isFalse();
        assertThat(allowed("create", "", "pods", "team-a", null)).as("creating pods").isFalse();
        assertThat(allowed("delete", "", "configmaps", "team-a", "p-toolgate-policy")).as("deleting ConfigMaps").isFalse();
        assertThat(allowed("patch", "toolgate.dev", "mcppolicies", "team-a", "p")).as("changing policies").isFalse();
        assertThat(allowed("delete", "apps", "deployments", "team-a", "mcp-server")).as("deleting workloads").isFalse();
        assertThat(allowed("patch", "apps", "deployments", "team-a", "mcp-server")).as("restarting workloads (off by default)").isFalse();
        assertThat(allowed("patch", "", "configmaps", "kube-system", "aws-auth")).as("patching ConfigMaps (the operator only creates and updates)")
                .isFalse();
        assertThat(allowed("update", "", "services", "team-a", "mcp-server")).as("changing Services").isFalse();
        assertThat(allowed("patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", null, "other-webhook"))
                .as("other webhooks").isFalse();
        assertThat(allowed("patch", "admissionregistration.k8s.io", "validatingwebhookconfigurations", null, "other-validator"))
                .as("other validators").isFalse();
        assertThat(allowed("delete", "apiextensions.k8s.io", "customresourcedefinitions", null, "mcppolicies.toolgate.dev"))
                .as("CRDs").isFalse();
        assertThat(allowed("create", "rbac.authorization.k8s.io", "clusterrolebindings", null, null)).as("RBAC").isFalse();
    }

    @Test
    @Order(3)
    void upgradeAppliesNewValuesAndKeepsWhatTheOperatorWrote() {
        // What the operator does at start in selfManaged mode (get, then update: WebhookTls) - as the operator's
        // ServiceAccount, so its RBAC must allow it.
        try (var operator = api.as(NAMESPACE, "toolgate-operator")) {
            var secret = operator.secrets().inNamespace(NAMESPACE).withName("toolgate-webhook-tls").get();
            secret.setData(Map.of("tls.crt", CA_BUNDLE, "tls.key", CA_BUNDLE));
            operator.resource(secret).update();
            var injector = operator.admissionRegistration().v1().mutatingWebhookConfigurations().withName("toolgate-injector").get();
            injector.getWebhooks().get(0).getClientConfig().setCaBundle(CA_BUNDLE);
            operator.resource(injector).update();
        }

        Release release = Helm.upgrade(PACKAGE.toString())
                .withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeConfigContents(api.kubeConfigYaml())
                .set("webhook.failurePolicy", "Ignore")
                .set("sidecar.image.tag", "9.9.9")
                .set("grafana.dashboard.enabled", "true")
                .call();

        assertThat(release.getStatus()).isEqualTo("deployed");
        assertThat(release.getRevision()).isEqualTo("2");
        MutatingWebhookConfiguration webhook = api.admin().admissionRegistration().v1().mutatingWebhookConfigurations()
                .withName("toolgate-injector").get();
        assertThat(webhook.getWebhooks().get(0).getFailurePolicy()).isEqualTo("Ignore");
        assertThat(webhook.getWebhooks().get(0).getClientConfig().getCaBundle()).as("CA bundle written by the operator").isEqualTo(CA_BUNDLE);
        Secret secret = api.admin().secrets().inNamespace(NAMESPACE).withName("toolgate-webhook-tls").get();
        assertThat(secret.getData()).as("certificate written by the operator").containsEntry("tls.crt", CA_BUNDLE);
        Deployment deployment = api.admin().apps().deployments().inNamespace(NAMESPACE).withName("toolgate-operator").get();
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .anyMatch(e -> e.getName().equals("TOOLGATE_OPERATOR_SIDECAR_IMAGE") && e.getValue().equals("ghcr.io/toolgate-dev/sidecar:9.9.9"));
        assertThat(api.admin().configMaps().inNamespace(NAMESPACE).withName("toolgate-grafana-dashboard").get().getMetadata().getLabels())
                .containsEntry("grafana_dashboard", "1");
    }

    @Test
    @Order(4)
    void uninstallLeavesNothingButTheCrd() throws Exception {
        String output = Helm.uninstall(RELEASE).withNamespace(NAMESPACE).withKubeConfigContents(api.kubeConfigYaml()).call();

        assertThat(output).contains("uninstalled");
        assertThat(objectsOfTheRelease()).isEmpty();
        assertThat(everythingIn(NAMESPACE)).as("the release namespace, including Helm's release Secrets").isEmpty();
        assertThat(api.established("mcppolicies.toolgate.dev")).as("Helm never deletes CRDs from crds/").isTrue();
    }

    /** Every object, in any namespace or cluster-scoped, labelled as part of this release. */
    private static List<String> objectsOfTheRelease() throws Exception {
        return kubectlNames("get", listableTypes(false) + "," + listableTypes(true), "--all-namespaces",
                "-l", "app.kubernetes.io/instance=" + RELEASE, "-o", "name");
    }

    private static List<String> everythingIn(String namespace) throws Exception {
        return kubectlNames("get", listableTypes(true), "-n", namespace, "-o", "name");
    }

    private static String listableTypes(boolean namespaced) throws Exception {
        RealApiServer.KubectlResult types = api.kubectl("api-resources", "--verbs=list", "--namespaced=" + namespaced, "-o", "name");
        assertThat(types.exitCode()).as(types.all()).isZero();
        // Events are not objects anyone owns; the API server records none for Helm anyway.
        return String.join(",", Arrays.stream(types.output().split("\\s+")).filter(t -> !t.isBlank() && !t.startsWith("events")).toList());
    }

    private static List<String> kubectlNames(String... args) throws Exception {
        RealApiServer.KubectlResult result = api.kubectl(args);
        assertThat(result.exitCode()).as(result.all()).isZero();
        return Arrays.stream(result.output().split("\\R")).filter(l -> !l.isBlank()).toList();
    }

    private static boolean allowed(String verb, String group, String resource, String namespace, String name) {
        String[] parts = resource.split("/", 2);
        SubjectAccessReview review = new SubjectAccessReviewBuilder().withNewSpec()
                .withUser(OPERATOR)
                .withGroups("system:serviceaccounts", "system:serviceaccounts:" + NAMESPACE, "system:authenticated")
                .withNewResourceAttributes()
                .withVerb(verb).withGroup(group).withResource(parts[0]).withSubresource(parts.length > 1 ? parts[1] : null)
                .withNamespace(namespace).withName(name)
                .endResourceAttributes()
                .endSpec().build();
        return api.admin().authorization().v1().subjectAccessReview().create(review).getStatus().getAllowed();
    }
}
