package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact rules the chart grants the operator, per setting: any rule, verb, resource or lifted resourceNames more
 * than these tables fails. A new permission is a new row in the group of the feature that needs it.
 * Rows: apiGroups | resources | resourceNames | verbs, comma-separated in the rendered order; {@code ""} is the core group,
 * {@code -} no resourceNames (any name).
 */
class OperatorRbacTest {

    /** ClusterRole rules every setting has. */
    private static final List<String> ALWAYS = List.of(
            "toolgate.dev | mcppolicies | - | get,list,watch",
            "toolgate.dev | mcppolicies/status | - | patch",
            "toolgate.dev | mcppolicies/finalizers | - | update",
            "toolgate.dev | mcpclusterpolicies,mcpnamespacepolicies | - | get,list,watch",
            "toolgate.dev | mcpclusterpolicies/status,mcpnamespacepolicies/status | - | patch",
            "\"\" | namespaces | - | list,watch",
            "toolgate.dev | mcpapprovals | - | get,list,watch,create,delete",
            "toolgate.dev | mcpapprovals/status | - | update",
            "authentication.k8s.io | tokenreviews | - | create",
            "\"\" | configmaps | - | get,list,watch,create,update",
            "\"\" | pods | - | get,list,watch",
            "\"\" | services | - | list,watch",
            "\"\" | events | - | create");

    /** certificates.mode=selfManaged: the operator writes both webhooks' CA bundles ... */
    private static final List<String> SELF_MANAGED_CLUSTER = List.of(
            "admissionregistration.k8s.io | mutatingwebhookconfigurations | toolgate-injector | get,update",
            "admissionregistration.k8s.io | validatingwebhookconfigurations | toolgate-policy-validator | get,update");
    /** ... and its TLS Secret (Role in the release namespace). */
    private static final List<String> SELF_MANAGED_NAMESPACED = List.of(
            "\"\" | secrets | toolgate-webhook-tls | get,update",
            "\"\" | secrets | - | create");

    /** certificates.mode=certManager: cert-manager writes them; the operator reads the Secret. */
    private static final List<String> CERT_MANAGER_NAMESPACED = List.of(
            "\"\" | secrets | toolgate-webhook-tls | get");

    /** Every setting, in the release namespace: the approval state master key's Secret, and the Lease the replicas compete for. */
    private static final List<String> ALWAYS_NAMESPACED = List.of(
            "\"\" | secrets | toolgate-approval-state-key | get,update",
            "coordination.k8s.io | leases | toolgate-operator | get,update,patch",
            "coordination.k8s.io | leases | - | create");

    /** workloadRestarts.enabled=true: spec.restartUnprotected. */
    private static final List<String> WORKLOAD_RESTARTS = List.of(
            "admissionregistration.k8s.io | mutatingwebhookconfigurations | toolgate-injector | get",
            "\"\" | namespaces | - | get",
            "apps | replicasets | - | get",
            "apps | deployments,statefulsets | - | get,patch");

    /** redisChecks.readSecrets=true: the Redis password/CA Secrets McpPolicies name, by name (no list, no watch). */
    private static final List<String> REDIS_SECRET_CHECKS = List.of(
            "\"\" | secrets | - | get");

    /** networkPolicies.enabled=true: each McpPolicy's own NetworkPolicy (informer, create-or-update; never delete). */
    private static final List<String> NETWORK_POLICIES = List.of(
            "networking.k8s.io | networkpolicies | - | get,list,watch,create,update");

    @Test
    void defaults() {
        assertRules("", concat(ALWAYS, SELF_MANAGED_CLUSTER), concat(SELF_MANAGED_NAMESPACED, ALWAYS_NAMESPACED));
    }

    @Test
    void workloadRestarts() {
        assertRules("workloadRestarts: {enabled: true}", concat(ALWAYS, SELF_MANAGED_CLUSTER, WORKLOAD_RESTARTS),
                concat(SELF_MANAGED_NAMESPACED, ALWAYS_NAMESPACED));
    }

    @Test
    void certManager() {
        assertRules("certificates: {mode: certManager}", ALWAYS, concat(CERT_MANAGER_NAMESPACED, ALWAYS_NAMESPACED));
    }

    @Test
    void certManagerWithWorkloadRestarts() {
        assertRules("{certificates: {mode: certManager}, workloadRestarts: {enabled: true}}", concat(ALWAYS, WORKLOAD_RESTARTS),
                concat(CERT_MANAGER_NAMESPACED, ALWAYS_NAMESPACED));
    }

    @Test
    void redisSecretChecks() {
        assertRules("redisChecks: {readSecrets: true}", concat(ALWAYS, SELF_MANAGED_CLUSTER, REDIS_SECRET_CHECKS),
                concat(SELF_MANAGED_NAMESPACED, ALWAYS_NAMESPACED));
    }

    @Test
    void networkPolicies() {
        assertRules("networkPolicies: {enabled: true}", concat(ALWAYS, SELF_MANAGED_CLUSTER, NETWORK_POLICIES),
                concat(SELF_MANAGED_NAMESPACED, ALWAYS_NAMESPACED));
    }

    @Test
    void theOperatorIsToldWhetherItOwnsNetworkPolicies() {
        assertThat(RenderedChart.render("").operatorEnv("TOOLGATE_OPERATOR_NETWORK_POLICIES_ENABLED")).isEqualTo("false");
        assertThat(RenderedChart.render("networkPolicies: {enabled: true}").operatorEnv("TOOLGATE_OPERATOR_NETWORK_POLICIES_ENABLED"))
                .isEqualTo("true");
    }

    @Test
    void theOperatorIsToldWhetherItMayReadRedisSecrets() {
        assertThat(RenderedChart.render("").operatorEnv("TOOLGATE_OPERATOR_REDIS_CHECKS_READ_SECRETS")).isEqualTo("false");
        assertThat(RenderedChart.render("redisChecks: {readSecrets: true, interval: 5m}").operatorEnv("TOOLGATE_OPERATOR_REDIS_CHECKS_READ_SECRETS"))
                .isEqualTo("true");
        assertThat(RenderedChart.render("redisChecks: {readSecrets: true, interval: 5m}").operatorEnv("TOOLGATE_OPERATOR_REDIS_CHECKS_INTERVAL"))
                .isEqualTo("5m");
    }

    @Test
    void theOperatorIsToldWhetherItMayRestartWorkloads() {
        assertThat(RenderedChart.render("").operatorEnv("TOOLGATE_OPERATOR_WORKLOAD_RESTARTS_ENABLED")).isEqualTo("false");
        assertThat(RenderedChart.render("workloadRestarts: {enabled: true}").operatorEnv("TOOLGATE_OPERATOR_WORKLOAD_RESTARTS_ENABLED"))
                .isEqualTo("true");
    }

    @Test
    void configMapWritesAreLimitedToTheOperatorsOwnByAnAdmissionPolicy() {
        RenderedChart chart = RenderedChart.render("");
        JsonNode policy = chart.get("ValidatingAdmissionPolicy", "toolgate-operator-configmaps");

        assertThat(policy.at("/spec/failurePolicy").asText()).isEqualTo("Fail");
        assertThat(policy.at("/spec/matchConstraints/resourceRules/0/resources")).extracting(JsonNode::asText).containsExactly("configmaps");
        assertThat(policy.at("/spec/matchConstraints/resourceRules/0/operations")).extracting(JsonNode::asText)
                .containsExactly("CREATE", "UPDATE");
        assertThat(policy.at("/spec/matchConditions/0/expression").asText())
                .isEqualTo("request.userInfo.username == \"system:serviceaccount:toolgate-system:toolgate-operator\"");
        assertThat(policy.at("/spec/validations")).hasSize(2);
        assertThat(policy.at("/spec/validations/0/expression").asText()).contains("endsWith(\"-toolgate-policy\")")
                .contains("object.metadata.labels[\"app.kubernetes.io/managed-by\"] == \"toolgate-operator\"");
        assertThat(policy.at("/spec/validations/1/expression").asText()).startsWith("request.operation != \"UPDATE\" ||")
                .contains("oldObject.metadata.labels[\"app.kubernetes.io/managed-by\"] == \"toolgate-operator\"");
        JsonNode binding = chart.get("ValidatingAdmissionPolicyBinding", "toolgate-operator-configmaps");
        assertThat(binding.at("/spec/policyName").asText()).isEqualTo("toolgate-operator-configmaps");
        assertThat(binding.at("/spec/validationActions")).extracting(JsonNode::asText).containsExactly("Deny");

        // With networkPolicies.enabled the same rules hold the operator's NetworkPolicy writes.
        assertThat(policy.at("/spec/matchConstraints/resourceRules")).hasSize(1);
        JsonNode withNetworkPolicies = RenderedChart.render("networkPolicies: {enabled: true}")
                .get("ValidatingAdmissionPolicy", "toolgate-operator-configmaps");
        assertThat(withNetworkPolicies.at("/spec/matchConstraints/resourceRules")).hasSize(2);
        assertThat(withNetworkPolicies.at("/spec/matchConstraints/resourceRules/1/apiGroups/0").asText()).isEqualTo("networking.k8s.io");
        assertThat(withNetworkPolicies.at("/spec/matchConstraints/resourceRules/1/resources")).extracting(JsonNode::asText)
                .containsExactly("networkpolicies");
        assertThat(withNetworkPolicies.at("/spec/matchConstraints/resourceRules/1/operations")).extracting(JsonNode::asText)
                .containsExactly("CREATE", "UPDATE");

        // Before Kubernetes 1.30 there is no ValidatingAdmissionPolicy v1: RBAC alone applies.
        RenderedChart old = RenderedChart.parse(RenderedChart.template("").withKubeVersion("1.29.0").call());
        assertThat(old.find("ValidatingAdmissionPolicy", "toolgate-operator-configmaps")).isEmpty();
    }

    private static void assertRules(String values, List<String> clusterRules, List<String> namespacedRules) {
        RenderedChart chart = RenderedChart.render(values);
        assertThat(rows(chart.get("ClusterRole", "toolgate-operator"))).as("ClusterRole rules with %s", values)
                .containsExactlyElementsOf(clusterRules);
        assertThat(rows(chart.get("Role", "toolgate-operator"))).as("Role rules with %s", values)
                .containsExactlyElementsOf(namespacedRules);
        assertThat(chart.get("Role", "toolgate-operator").at("/metadata/namespace").asText()).isEqualTo(RenderedChart.NAMESPACE);
    }

    /** Each rule as a row; a field the table does not know (nonResourceURLs, ...) makes the row unequal to every expected one. */
    private static List<String> rows(JsonNode role) {
        List<String> rows = new ArrayList<>();
        for (JsonNode rule : role.path("rules")) {
            List<String> fields = new ArrayList<>();
            rule.fieldNames().forEachRemaining(fields::add);
            fields.removeAll(List.of("apiGroups", "resources", "resourceNames", "verbs"));
            rows.add(join(rule.path("apiGroups")) + " | " + join(rule.path("resources")) + " | " + join(rule.path("resourceNames")) + " | "
                    + join(rule.path("verbs")) + (fields.isEmpty() ? "" : " | unexpected " + fields));
        }
        return rows;
    }

    private static String join(JsonNode array) {
        if (array.isMissingNode()) {
            return "-";
        }
        List<String> items = new ArrayList<>();
        array.forEach(item -> items.add(item.asText().isEmpty() ? "\"\"" : item.asText()));
        return String.join(",", items);
    }

    @SafeVarargs
    private static List<String> concat(List<String>... groups) {
        return Stream.of(groups).flatMap(List::stream).toList();
    }
}
