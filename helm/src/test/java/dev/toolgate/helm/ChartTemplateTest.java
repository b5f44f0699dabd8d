package dev.toolgate.helm;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static dev.toolgate.helm.RenderedChart.NAMESPACE;
import static dev.toolgate.helm.RenderedChart.render;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code helm template} with the real engine: the defaults, then every value that changes the output. */
class ChartTemplateTest {

    private static final String APP_VERSION = System.getProperty("toolgate.project.version", "0.1.0-SNAPSHOT");

    @Test
    void defaultsRenderTheOperatorItsRbacWebhookAndEmptyCertificateSecret() {
        RenderedChart chart = render("");

        assertThat(chart.summary()).containsExactlyInAnyOrder(
                "ServiceAccount/toolgate-operator",
                "Secret/toolgate-webhook-tls",
                "Secret/toolgate-approval-state-key",
                "ClusterRole/toolgate-operator",
                "ClusterRoleBinding/toolgate-operator",
                "ClusterRole/toolgate-approver",
                "Role/toolgate-operator",
                "RoleBinding/toolgate-operator",
                "ValidatingAdmissionPolicy/toolgate-operator-configmaps",
                "ValidatingAdmissionPolicyBinding/toolgate-operator-configmaps",
                "ValidatingAdmissionPolicy/toolgate-selected-pods",
                "ValidatingAdmissionPolicyBinding/toolgate-selected-pods",
                "Service/toolgate-operator",
                "Deployment/toolgate-operator",
                "PodDisruptionBudget/toolgate-operator",
                "MutatingWebhookConfiguration/toolgate-injector",
                "ValidatingWebhookConfiguration/toolgate-policy-validator");
        for (JsonNode object : chart.objects()) {
            String kind = object.path("kind").asText();
            if (!kind.startsWith("Cluster") && !kind.startsWith("Mutating") && !kind.startsWith("Validating")) {
                assertThat(object.at("/metadata/namespace").asText()).as("namespace of %s", object.at("/metadata/name")).isEqualTo(NAMESPACE);
            }
            assertThat(object.at("/metadata/labels/app.kubernetes.io~1instance").asText()).isEqualTo("toolgate");
        }
    }

    @Test
    void approvalsAreStampedByTheOperatorAndOnlyPatchedByApprovers() {
        RenderedChart chart = render("");
        JsonNode webhook = chart.get("MutatingWebhookConfiguration", "toolgate-injector").at("/webhooks/1");
        assertThat(webhook.at("/name").asText()).isEqualTo("approvals.toolgate.dev");
        assertThat(webhook.at("/rules/0/resources")).extracting(JsonNode::asText).containsExactly("mcpapprovals");
        assertThat(webhook.at("/rules/0/operations")).extracting(JsonNode::asText).containsExactly("CREATE", "UPDATE");
        assertThat(webhook.at("/clientConfig/service/path").asText()).isEqualTo("/mutate-mcpapprovals");
        assertThat(webhook.at("/failurePolicy").asText()).as("no approval without the operator").isEqualTo("Fail");
        assertThat(webhook.has("namespaceSelector")).as("approvals in every namespace").isFalse();
        JsonNode approver = chart.get("ClusterRole", "toolgate-approver");
        assertThat(approver.at("/rules")).hasSize(1);
        assertThat(approver.at("/rules/0/resources")).extracting(JsonNode::asText).containsExactly("mcpapprovals");
        assertThat(approver.at("/rules/0/verbs")).extracting(JsonNode::asText).containsExactly("get", "list", "watch", "patch");
        assertThat(chart.summary()).as("bound to nobody by the chart").doesNotContain("ClusterRoleBinding/toolgate-approver");

        JsonNode env = chart.get("Deployment", "toolgate-operator").at("/spec/template/spec/containers/0/env");
        assertThat(env.findValues("name")).extracting(JsonNode::asText).contains("TOOLGATE_OPERATOR_APPROVALS_RETENTION")
                .doesNotContain("TOOLGATE_OPERATOR_APPROVALS_NOTIFY_URL");
        JsonNode notify = null;
        for (JsonNode e : render("approvals: {notifyUrlSecret: {name: slack-hook, key: webhook}}").get("Deployment", "toolgate-operator")
                .at("/spec/template/spec/containers/0/env")) {
            if ("TOOLGATE_OPERATOR_APPROVALS_NOTIFY_URL".equals(e.path("name").asText())) {
                notify = e;
            }
        }
        assertThat(notify).as("the notification URL comes from a Secret").isNotNull();
        assertThat(notify.at("/valueFrom/secretKeyRef/name").asText()).isEqualTo("slack-hook");
        assertThat(notify.at("/valueFrom/secretKeyRef/key").asText()).isEqualTo("webhook");
    }

    @Test
    void thePolicyValidatorSeesEveryMcpPolicyWriteFailsClosedByDefaultAndCanBeTurnedOff() {
        JsonNode webhook = render("").get("ValidatingWebhookConfiguration", "toolgate-policy-validator").at("/webhooks/0");
        assertThat(webhook.at("/rules")).hasSize(1);
        assertThat(webhook.at("/rules/0/apiGroups")).extracting(JsonNode::asText).containsExactly("toolgate.dev");
        assertThat(webhook.at("/rules/0/resources")).extracting(JsonNode::asText).containsExactly("mcppolicies", "mcpnamespacepolicies", "mcpclusterpolicies");
        assertThat(webhook.at("/rules/0/scope").asText()).as("the cluster-scoped McpClusterPolicy too").isEqualTo("*");
        assertThat(webhook.at("/rules/0/operations")).extracting(JsonNode::asText).containsExactly("CREATE", "UPDATE");
        assertThat(webhook.at("/clientConfig/service/path").asText()).isEqualTo("/validate-mcppolicies");
        assertThat(webhook.at("/clientConfig/service/name").asText()).isEqualTo("toolgate-operator");
        assertThat(webhook.at("/sideEffects").asText()).isEqualTo("None");
        assertThat(webhook.at("/failurePolicy").asText()).isEqualTo("Fail");
        assertThat(webhook.has("namespaceSelector")).as("every namespace's policies").isFalse();

        assertThat(render("policyValidation: {enabled: true, failurePolicy: Ignore}")
                .get("ValidatingWebhookConfiguration", "toolgate-policy-validator").at("/webhooks/0/failurePolicy").asText()).isEqualTo("Ignore");
        assertThat(render("policyValidation: {enabled: false}").summary()).doesNotContain("ValidatingWebhookConfiguration/toolgate-policy-validator");
    }

    @Test
    void webhookAdmitsPodCreateOnlyWithoutSideEffectsAndFailsClosedByDefault() {
        JsonNode webhook = render("").get("MutatingWebhookConfiguration", "toolgate-injector").at("/webhooks/0");
        // Closed for selected pods through the guard (below); the webhook itself lets the others through.
        assertThat(webhook.at("/failurePolicy").asText()).isEqualTo("Ignore");
        webhook = render("webhook: {outageScope: allPods}").get("MutatingWebhookConfiguration", "toolgate-injector").at("/webhooks/0");

        assertThat(webhook.at("/rules")).hasSize(1);
        assertThat(webhook.at("/rules/0/operations")).extracting(JsonNode::asText).containsExactly("CREATE");
        assertThat(webhook.at("/rules/0/resources")).extracting(JsonNode::asText).containsExactly("pods");
        assertThat(webhook.at("/rules/0/apiGroups")).extracting(JsonNode::asText).containsExactly("");
        assertThat(webhook.at("/sideEffects").asText()).isEqualTo("None");
        assertThat(webhook.at("/failurePolicy").asText()).isEqualTo("Fail");
        assertThat(webhook.at("/timeoutSeconds").asInt()).isEqualTo(5);
        assertThat(webhook.at("/admissionReviewVersions")).extracting(JsonNode::asText).containsExactly("v1");
        assertThat(webhook.at("/clientConfig/service/name").asText()).isEqualTo("toolgate-operator");
        assertThat(webhook.at("/clientConfig/service/namespace").asText()).isEqualTo(NAMESPACE);
        assertThat(webhook.at("/clientConfig/service/path").asText()).isEqualTo("/mutate-pods");
        assertThat(webhook.at("/clientConfig/service/port").asInt()).isEqualTo(443);
        assertThat(webhook.at("/clientConfig/caBundle").isMissingNode()).as("caBundle is the operator's to write").isTrue();
        assertThat(webhook.at("/namespaceSelector/matchLabels/toolgate.dev~1injection").asText()).isEqualTo("enabled");
        assertThat(webhook.at("/objectSelector/matchExpressions/0/key").asText()).isEqualTo("toolgate.dev/inject");
        assertThat(webhook.at("/objectSelector/matchExpressions/0/operator").asText()).isEqualTo("NotIn");
        assertThat(webhook.at("/namespaceSelector/matchExpressions")).as("never kube-system or the operator's namespace").hasSize(1);
        assertThat(webhook.at("/namespaceSelector/matchExpressions/0/key").asText()).isEqualTo("kubernetes.io/metadata.name");
        assertThat(webhook.at("/namespaceSelector/matchExpressions/0/operator").asText()).isEqualTo("NotIn");
        assertThat(webhook.at("/namespaceSelector/matchExpressions/0/values")).extracting(JsonNode::asText)
                .containsExactly("kube-system", NAMESPACE);
    }

    @Test
    void outageGuardRefusesSelectedPodsWithoutTheSidecarInTheWebhooksScope() {
        RenderedChart chart = render("""
                webhook:
                  namespaceSelector:
                    matchExpressions:
                      - {key: team, operator: In, values: [agents]}
                """);
        JsonNode policy = chart.get("ValidatingAdmissionPolicy", "toolgate-selected-pods");
        assertThat(policy.at("/spec/failurePolicy").asText()).isEqualTo("Fail");
        assertThat(policy.at("/spec/paramKind/apiVersion").asText()).isEqualTo("toolgate.dev/v1alpha1");
        assertThat(policy.at("/spec/paramKind/kind").asText()).isEqualTo("McpPolicy");
        assertThat(policy.at("/spec/matchConstraints/resourceRules/0/resources")).extracting(JsonNode::asText).containsExactly("pods");
        assertThat(policy.at("/spec/matchConstraints/resourceRules/0/operations")).extracting(JsonNode::asText).containsExactly("CREATE");
        assertThat(policy.at("/spec/validations")).hasSize(1);
        assertThat(policy.at("/spec/validations/0/expression").asText())
                .isEqualTo("!variables.selected || variables.injected || variables.optedOut || (has(object.spec.hostNetwork) && object.spec.hostNetwork)");
        JsonNode binding = chart.get("ValidatingAdmissionPolicyBinding", "toolgate-selected-pods");
        assertThat(binding.at("/spec/policyName").asText()).isEqualTo("toolgate-selected-pods");
        assertThat(binding.at("/spec/validationActions")).extracting(JsonNode::asText).containsExactly("Deny");
        assertThat(binding.at("/spec/paramRef/namespace").isMissingNode()).as("the pod's own namespace's policies").isTrue();
        assertThat(binding.at("/spec/paramRef/selector").isEmpty()).as("all of them").isTrue();
        assertThat(binding.at("/spec/paramRef/parameterNotFoundAction").asText()).isEqualTo("Allow");
        JsonNode webhook = chart.get("MutatingWebhookConfiguration", "toolgate-injector").at("/webhooks/0");
        assertThat(binding.at("/spec/matchResources/namespaceSelector")).isEqualTo(webhook.at("/namespaceSelector"));
        assertThat(binding.at("/spec/matchResources/objectSelector")).isEqualTo(webhook.at("/objectSelector"));
        assertThat(webhook.at("/failurePolicy").asText()).isEqualTo("Ignore");

        // Without the guard the webhook's own failurePolicy decides: allPods, Ignore, or a cluster before 1.30.
        for (RenderedChart unguarded : List.of(render("webhook: {outageScope: allPods}"),
                RenderedChart.parse(RenderedChart.template("").withKubeVersion("1.29.0").call()))) {
            assertThat(unguarded.find("ValidatingAdmissionPolicy", "toolgate-selected-pods")).isEmpty();
            assertThat(unguarded.get("MutatingWebhookConfiguration", "toolgate-injector").at("/webhooks/0/failurePolicy").asText())
                    .isEqualTo("Fail");
        }
        RenderedChart open = render("webhook: {failurePolicy: Ignore}");
        assertThat(open.find("ValidatingAdmissionPolicy", "toolgate-selected-pods")).isEmpty();
        assertThat(open.get("MutatingWebhookConfiguration", "toolgate-injector").at("/webhooks/0/failurePolicy").asText()).isEqualTo("Ignore");
    }

    @Test
    void twoReplicasWithLeaderElectionADisruptionBudgetAndPreferredSpread() {
        RenderedChart chart = render("");
        JsonNode deployment = chart.get("Deployment", "toolgate-operator");
        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
        JsonNode identity = null;
        for (JsonNode e : chart.operatorContainer().at("/env")) {
            if ("TOOLGATE_OPERATOR_LEADER_ELECTION_IDENTITY".equals(e.path("name").asText())) {
                identity = e;
            }
        }
        assertThat(identity).as("each replica names itself in the Lease").isNotNull();
        assertThat(identity.at("/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("metadata.name");
        JsonNode term = deployment.at("/spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/0");
        assertThat(term.at("/podAffinityTerm/topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
        assertThat(term.at("/podAffinityTerm/labelSelector/matchLabels")).isEqualTo(deployment.at("/spec/selector/matchLabels"));
        assertThat(deployment.at("/spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution")
                .isMissingNode()).as("preferred, so a one-node cluster still runs both").isTrue();
        JsonNode budget = chart.get("PodDisruptionBudget", "toolgate-operator");
        assertThat(budget.at("/spec/minAvailable").asInt()).isEqualTo(1);
        assertThat(budget.at("/spec/selector/matchLabels")).isEqualTo(deployment.at("/spec/selector/matchLabels"));

        assertThat(render("operator: {replicas: 1}").find("PodDisruptionBudget", "toolgate-operator"))
                .as("a budget on one replica only blocks drains").isEmpty();
        assertThat(render("operator: {podDisruptionBudget: {enabled: false}}").find("PodDisruptionBudget", "toolgate-operator")).isEmpty();
        assertThat(render("operator: {replicas: 3, podDisruptionBudget: {enabled: true, minAvailable: 2}}")
                .get("PodDisruptionBudget", "toolgate-operator").at("/spec/minAvailable").asInt()).isEqualTo(2);
        RenderedChart custom = render("""
                operator:
                  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [system]}]}]}}}
                  topologySpreadConstraints: [{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway}]
                """);
        JsonNode spec = custom.get("Deployment", "toolgate-operator").at("/spec/template/spec");
        assertThat(spec.at("/affinity/podAntiAffinity").isMissingNode()).as("affinity replaces the default").isTrue();
        assertThat(spec.at("/affinity/nodeAffinity").isMissingNode()).isFalse();
        assertThat(spec.at("/topologySpreadConstraints/0/topologyKey").asText()).isEqualTo("topology.kubernetes.io/zone");
    }

    @Test
    void webhookPortAndHostNetworkForControlPlanesThatReachNodesOnFewPorts() {
        RenderedChart chart = render("""
                webhook: {port: 10250}
                operator: {hostNetwork: true, managementPort: 9443}
                """);
        JsonNode spec = chart.get("Deployment", "toolgate-operator").at("/spec/template/spec");
        JsonNode container = chart.operatorContainer();
        assertThat(spec.at("/hostNetwork").asBoolean()).isTrue();
        assertThat(spec.at("/dnsPolicy").asText()).isEqualTo("ClusterFirstWithHostNet");
        assertThat(container.at("/ports/0/containerPort").asInt()).isEqualTo(10250);
        assertThat(container.at("/ports/1/containerPort").asInt()).isEqualTo(9443);
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_WEBHOOK_PORT")).isEqualTo("10250");
        assertThat(chart.operatorEnv("QUARKUS_MANAGEMENT_PORT")).isEqualTo("9443");
        assertThat(chart.operatorEnv("QUARKUS_HTTP_HOST")).as("the unused HTTP server stays off the node").isEqualTo("127.0.0.1");
        assertThat(chart.get("Service", "toolgate-operator").at("/spec/ports/0/targetPort").asText()).isEqualTo("https-webhook");

        RenderedChart defaults = render("");
        assertThat(defaults.get("Deployment", "toolgate-operator").at("/spec/template/spec/hostNetwork").isMissingNode()).isTrue();
        assertThat(defaults.operatorContainer().at("/env").toString()).doesNotContain("QUARKUS_HTTP_HOST");
    }

    @Test
    void sidecarPullSecretsAndUidReachTheOperator() {
        RenderedChart defaults = render("");
        assertThat(defaults.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_RUN_AS_USER")).isEqualTo("65532");
        assertThat(defaults.operatorContainer().at("/env").toString()).doesNotContain("TOOLGATE_OPERATOR_SIDECAR_IMAGE_PULL_SECRETS");

        RenderedChart chart = render("""
                sidecar:
                  imagePullSecrets: [{name: toolgate-registry}, {name: regcred}]
                  runAsUser: null
                """);
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_IMAGE_PULL_SECRETS")).isEqualTo("toolgate-registry,regcred");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_RUN_AS_USER")).as("OpenShift assigns its own").isEqualTo("unset");
        assertThat(render("sidecar: {runAsUser: 1000700000}").operatorEnv("TOOLGATE_OPERATOR_SIDECAR_RUN_AS_USER")).isEqualTo("1000700000");
    }

    @Test
    void webhookFailurePolicyTimeoutAndSelectorsComeFromValues() {
        JsonNode webhook = render("""
                webhook:
                  failurePolicy: Ignore
                  timeoutSeconds: 2
                  namespaceSelector:
                    matchLabels: null
                    matchExpressions:
                      - {key: team, operator: In, values: [agents]}
                  objectSelector: null
                """).get("MutatingWebhookConfiguration", "toolgate-injector").at("/webhooks/0");

        assertThat(webhook.at("/failurePolicy").asText()).isEqualTo("Ignore");
        assertThat(webhook.at("/timeoutSeconds").asInt()).isEqualTo(2);
        assertThat(webhook.at("/namespaceSelector/matchLabels").isMissingNode()).isTrue();
        assertThat(webhook.at("/namespaceSelector/matchExpressions/0/key").asText()).isEqualTo("team");
        assertThat(webhook.at("/namespaceSelector/matchExpressions/0/values/0").asText()).isEqualTo("agents");
        assertThat(webhook.at("/objectSelector").isMissingNode()).isTrue();
        assertThat(webhook.at("/namespaceSelector/matchExpressions/1/key").asText())
                .as("replacing the selector keeps kube-system and the operator's namespace out").isEqualTo("kubernetes.io/metadata.name");
    }

    @Test
    void namespaceSelectorValuesAreMergedWithTheDefaultLabelUnlessItIsNulled() {
        JsonNode webhook = render("""
                webhook:
                  namespaceSelector:
                    matchExpressions:
                      - {key: team, operator: In, values: [agents]}
                """).get("MutatingWebhookConfiguration", "toolgate-injector").at("/webhooks/0");

        assertThat(webhook.at("/namespaceSelector/matchLabels/toolgate.dev~1injection").asText()).isEqualTo("enabled");
        assertThat(webhook.at("/namespaceSelector/matchExpressions/0/key").asText()).isEqualTo("team");
    }

    @Test
    void webhookServiceMapsHttpsToTheOperatorsWebhookPort() {
        RenderedChart chart = render("");
        JsonNode service = chart.get("Service", "toolgate-operator");
        JsonNode container = chart.operatorContainer();

        JsonNode https = service.at("/spec/ports/0");
        assertThat(https.at("/port").asInt()).isEqualTo(443);
        assertThat(https.at("/targetPort").asText()).isEqualTo("https-webhook");
        assertThat(container.at("/ports/0/name").asText()).isEqualTo("https-webhook");
        assertThat(container.at("/ports/0/containerPort").asInt()).isEqualTo(8443);
        assertThat(service.at("/spec/selector")).isEqualTo(
                chart.get("Deployment", "toolgate-operator").at("/spec/selector/matchLabels"));
    }

    @Test
    void operatorProbesUseTheManagementPortAndRunsLocked() {
        RenderedChart chart = render("");
        JsonNode container = chart.operatorContainer();
        JsonNode pod = chart.get("Deployment", "toolgate-operator").at("/spec/template");

        assertThat(container.at("/ports/1/name").asText()).isEqualTo("http-mgmt");
        assertThat(container.at("/ports/1/containerPort").asInt()).isEqualTo(9000);
        assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
        assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("http-mgmt");
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
        assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("http-mgmt");
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(pod.at("/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.at("/spec/serviceAccountName").asText()).isEqualTo("toolgate-operator");
        assertThat(pod.at("/metadata/labels/toolgate.dev~1inject").asText())
                .as("the operator's pods must not go through their own webhook").isEqualTo("false");
    }

    @Test
    void imagesDefaultToTheContractRepositoriesAtTheChartsAppVersion() {
        RenderedChart chart = render("");

        assertThat(chart.operatorContainer().at("/image").asText()).isEqualTo("ghcr.io/toolgate-dev/operator:" + APP_VERSION);
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_IMAGE")).isEqualTo("ghcr.io/toolgate-dev/sidecar:" + APP_VERSION);
    }

    @Test
    void imageRepositoriesTagsAndPullPoliciesComeFromValues() {
        RenderedChart chart = render("""
                operator:
                  image: {repository: registry.example/tg/operator, tag: "1.2.3", pullPolicy: Always}
                  imagePullSecrets: [{name: regcred}]
                sidecar:
                  image: {repository: registry.example:5000/tg/sidecar, tag: "1.2.4", pullPolicy: Never}
                """);

        assertThat(chart.operatorContainer().at("/image").asText()).isEqualTo("registry.example/tg/operator:1.2.3");
        assertThat(chart.operatorContainer().at("/imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(chart.get("Deployment", "toolgate-operator").at("/spec/template/spec/imagePullSecrets/0/name").asText())
                .isEqualTo("regcred");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_IMAGE")).isEqualTo("registry.example:5000/tg/sidecar:1.2.4");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_IMAGE_PULL_POLICY")).isEqualTo("Never");
    }

    @Test
    void sidecarDefaultsReachTheOperator() {
        RenderedChart chart = render("""
                sidecar:
                  logLevel: DEBUG
                  jvmProfile: small
                  resources:
                    requests: {cpu: 10m, memory: 32Mi}
                    limits: {memory: 64Mi}
                """);

        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_LOG_LEVEL")).isEqualTo("DEBUG");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_JVM_PROFILE")).isEqualTo("small");
        assertThat(render("").operatorEnv("TOOLGATE_OPERATOR_SIDECAR_JVM_PROFILE")).isEqualTo("throughput");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> render("").operatorEnv("TOOLGATE_OPERATOR_SIDECAR_TRACING_OTLP_ENDPOINT")).as("tracing off by default")
                .hasMessageContaining("no env");
        RenderedChart traced = render("""
                sidecar:
                  tracing: {otlpEndpoint: "http://otel-collector.observability:4318", otlpProtocol: http/protobuf}
                """);
        assertThat(traced.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_TRACING_OTLP_ENDPOINT")).isEqualTo("http://otel-collector.observability:4318");
        assertThat(traced.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_TRACING_OTLP_PROTOCOL")).isEqualTo("http/protobuf");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_CPU_REQUEST")).isEqualTo("10m");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_MEMORY_REQUEST")).isEqualTo("32Mi");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_MEMORY_LIMIT")).isEqualTo("64Mi");
        assertThat(render("").operatorEnv("TOOLGATE_OPERATOR_SIDECAR_REDIRECT_INBOUND")).isEqualTo("true");
        assertThat(render("").operatorEnv("TOOLGATE_OPERATOR_SIDECAR_INIT_IMAGE")).isEqualTo("ghcr.io/toolgate-dev/init:" + APP_VERSION);
        assertThat(render("sidecar: {redirectInbound: false, initImage: {repository: r.example/tg/init, tag: '9'}}")
                .operatorEnv("TOOLGATE_OPERATOR_SIDECAR_REDIRECT_INBOUND")).isEqualTo("false");
        assertThat(render("sidecar: {initImage: {repository: r.example/tg/init, tag: '9'}}")
                .operatorEnv("TOOLGATE_OPERATOR_SIDECAR_INIT_IMAGE")).isEqualTo("r.example/tg/init:9");
    }

    @Test
    void sharedCounterDefaultsReachTheOperatorOnlyWhenRedisIsChosen() {
        RenderedChart local = render("");
        assertThat(local.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_COUNTERS_BACKEND")).isEqualTo("local");
        assertThat(local.operatorContainer().at("/env").toString()).doesNotContain("TOOLGATE_OPERATOR_SIDECAR_COUNTERS_REDIS_URL");

        RenderedChart redis = render("""
                sidecar:
                  counters:
                    backend: redis
                    redis: {url: "redis://toolgate-redis.toolgate-system.svc:6379", passwordSecret: toolgate-redis, timeout: 50ms}
                """);
        assertThat(redis.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_COUNTERS_BACKEND")).isEqualTo("redis");
        assertThat(redis.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_COUNTERS_REDIS_URL")).isEqualTo("redis://toolgate-redis.toolgate-system.svc:6379");
        assertThat(redis.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_COUNTERS_REDIS_PASSWORD_SECRET")).isEqualTo("toolgate-redis");
        assertThat(redis.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_COUNTERS_REDIS_TIMEOUT")).isEqualTo("50ms");
        assertThat(redis.operatorEnv("TOOLGATE_OPERATOR_SIDECAR_COUNTERS_REDIS_FAIL_MODE")).isEqualTo("closed");
        assertThat(redis.operatorContainer().at("/env").toString()).doesNotContain("REDIS_CA_SECRET");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> render("sidecar: {counters: {backend: redis}}"))
                .hasMessageContaining("sidecar.counters.redis.url is required with sidecar.counters.backend=redis");
    }

    @Test
    void operatorKnowsItsNamespaceAndWebhookService() {
        RenderedChart chart = render("");

        assertThat(chart.operatorContainer().at("/env/0/name").asText()).isEqualTo("TOOLGATE_OPERATOR_NAMESPACE");
        assertThat(chart.operatorContainer().at("/env/0/valueFrom/fieldRef/fieldPath").asText()).isEqualTo("metadata.namespace");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_WEBHOOK_SERVICE_NAME")).isEqualTo("toolgate-operator");
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_WEBHOOK_PORT")).isEqualTo("8443");
    }

    @Test
    void operatorSettingsComeFromValues() {
        RenderedChart chart = render("""
                operator:
                  replicas: 2
                  logLevel: DEBUG
                  resources: {requests: {cpu: 1}}
                  nodeSelector: {kubernetes.io/os: linux}
                  priorityClassName: system-cluster-critical
                  podAnnotations: {example.com/owner: platform}
                  extraEnv: [{name: EXTRA, value: "yes"}]
                """);
        JsonNode deployment = chart.get("Deployment", "toolgate-operator");

        assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(chart.operatorEnv("QUARKUS_LOG_LEVEL")).isEqualTo("DEBUG");
        assertThat(chart.operatorEnv("EXTRA")).isEqualTo("yes");
        assertThat(chart.operatorContainer().at("/resources/requests/cpu").asInt()).isEqualTo(1);
        assertThat(deployment.at("/spec/template/spec/nodeSelector/kubernetes.io~1os").asText()).isEqualTo("linux");
        assertThat(deployment.at("/spec/template/spec/priorityClassName").asText()).isEqualTo("system-cluster-critical");
        assertThat(deployment.at("/spec/template/metadata/annotations/example.com~1owner").asText()).isEqualTo("platform");
    }

    @Test
    void selfManagedCertificatesGiveTheOperatorItsSecretAndTheWebhookConfiguration() {
        RenderedChart chart = render("");

        JsonNode secret = chart.get("Secret", "toolgate-webhook-tls");
        assertThat(secret.at("/type").asText()).isEqualTo("Opaque");
        assertThat(secret.has("data")).as("data is the operator's: keys the chart lists are reset on upgrade").isFalse();
        assertThat(chart.get("MutatingWebhookConfiguration", "toolgate-injector").at("/metadata/annotations").isMissingNode()).isTrue();
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_WEBHOOK_CERTIFICATE_MODE")).isEqualTo("selfManaged");
        assertThat(ruleFor(chart.get("ClusterRole", "toolgate-operator"), "mutatingwebhookconfigurations"))
                .as("the operator writes the CA bundle itself").isNotNull();
        assertThat(ruleFor(chart.get("Role", "toolgate-operator"), "secrets").at("/verbs"))
                .extracting(JsonNode::asText).containsExactly("get", "update");
        assertThat(chart.kinds()).doesNotContain("Certificate", "Issuer");
    }

    @Test
    void certManagerModeIssuesTheSecretAndInjectsTheCaBundle() {
        RenderedChart chart = render("certificates: {mode: certManager}");

        JsonNode certificate = chart.get("Certificate", "toolgate-webhook");
        assertThat(certificate.at("/spec/secretName").asText()).isEqualTo("toolgate-webhook-tls");
        assertThat(certificate.at("/spec/dnsNames")).extracting(JsonNode::asText)
                .contains("toolgate-operator." + NAMESPACE + ".svc", "toolgate-operator." + NAMESPACE + ".svc.cluster.local");
        assertThat(certificate.at("/spec/issuerRef/name").asText()).isEqualTo("toolgate-selfsigned");
        assertThat(chart.get("Issuer", "toolgate-selfsigned").at("/spec/selfSigned").isObject()).isTrue();
        assertThat(chart.get("MutatingWebhookConfiguration", "toolgate-injector")
                .at("/metadata/annotations/cert-manager.io~1inject-ca-from").asText())
                .isEqualTo(NAMESPACE + "/toolgate-webhook");
        assertThat(chart.find("Secret", "toolgate-webhook-tls")).as("cert-manager owns the Secret").isEmpty();
        assertThat(chart.operatorEnv("TOOLGATE_OPERATOR_WEBHOOK_CERTIFICATE_MODE")).isEqualTo("certManager");
        assertThat(ruleFor(chart.get("ClusterRole", "toolgate-operator"), "mutatingwebhookconfigurations"))
                .as("no write access to the webhook configuration when cert-manager injects the CA").isNull();
        assertThat(ruleFor(chart.get("Role", "toolgate-operator"), "secrets").at("/verbs"))
                .extracting(JsonNode::asText).containsExactly("get");
    }

    @Test
    void certManagerModeUsesAnExistingIssuerWhenGiven() {
        RenderedChart chart = render("""
                certificates:
                  mode: certManager
                  certManager:
                    issuerRef: {name: corp-ca, kind: ClusterIssuer}
                    duration: 2160h
                """);

        JsonNode certificate = chart.get("Certificate", "toolgate-webhook");
        assertThat(certificate.at("/spec/issuerRef/name").asText()).isEqualTo("corp-ca");
        assertThat(certificate.at("/spec/issuerRef/kind").asText()).isEqualTo("ClusterIssuer");
        assertThat(certificate.at("/spec/issuerRef/group").asText()).isEqualTo("cert-manager.io");
        assertThat(certificate.at("/spec/duration").asText()).isEqualTo("2160h");
        assertThat(chart.kinds()).doesNotContain("Issuer");
    }

    @Test
    void rbacGrantsOnlyWhatTheOperatorNeeds() {
        RenderedChart chart = render("");
        JsonNode clusterRole = chart.get("ClusterRole", "toolgate-operator");
        JsonNode role = chart.get("Role", "toolgate-operator");

        List<String> clusterResources = new ArrayList<>();
        for (JsonNode rule : clusterRole.at("/rules")) {
            rule.at("/resources").forEach(r -> clusterResources.add(r.asText()));
            assertThat(rule.at("/verbs")).extracting(JsonNode::asText).doesNotContain("*", "escalate", "bind", "impersonate");
            assertThat(rule.at("/resources")).extracting(JsonNode::asText).doesNotContain("*");
        }
        assertThat(clusterResources).doesNotContain("secrets");
        assertThat(ruleFor(clusterRole, "pods").at("/verbs")).extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("get", "list", "watch");
        assertThat(clusterResources).as("workload restarts are off by default").doesNotContain("deployments", "statefulsets");
        assertThat(ruleFor(clusterRole, "mutatingwebhookconfigurations").at("/resourceNames"))
                .extracting(JsonNode::asText).containsExactly("toolgate-injector");
        assertThat(ruleFor(role, "secrets").at("/resourceNames")).extracting(JsonNode::asText)
                .containsExactly("toolgate-webhook-tls");
        assertThat(chart.get("ClusterRoleBinding", "toolgate-operator").at("/subjects/0/namespace").asText()).isEqualTo(NAMESPACE);
        assertThat(chart.get("RoleBinding", "toolgate-operator").at("/subjects/0/name").asText()).isEqualTo("toolgate-operator");
    }

    @Test
    void podMonitorScrapesEverySidecarsManagementPort() {
        RenderedChart chart = render("metrics: {podMonitor: {enabled: true, interval: 15s, labels: {release: prom}}}");

        JsonNode podMonitor = chart.get("PodMonitor", "toolgate-sidecars");
        assertThat(podMonitor.at("/metadata/labels/release").asText()).isEqualTo("prom");
        assertThat(podMonitor.at("/spec/namespaceSelector/any").asBoolean()).isTrue();
        assertThat(podMonitor.at("/spec/podMetricsEndpoints/0/port").asText()).isEqualTo("tg-mgmt");
        assertThat(podMonitor.at("/spec/podMetricsEndpoints/0/path").asText()).isEqualTo("/q/metrics");
        assertThat(podMonitor.at("/spec/podMetricsEndpoints/0/interval").asText()).isEqualTo("15s");
        assertThat(chart.kinds()).doesNotContain("ServiceMonitor");
    }

    @Test
    void serviceMonitorScrapesTheOperator() {
        RenderedChart chart = render("metrics: {serviceMonitor: {enabled: true}}");

        JsonNode serviceMonitor = chart.get("ServiceMonitor", "toolgate-operator");
        assertThat(serviceMonitor.at("/spec/endpoints/0/port").asText()).isEqualTo("http-mgmt");
        assertThat(serviceMonitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
        assertThat(serviceMonitor.at("/spec/selector/matchLabels"))
                .isEqualTo(chart.get("Service", "toolgate-operator").at("/spec/selector"));
        assertThat(chart.kinds()).doesNotContain("PodMonitor");
    }

    @Test
    void grafanaDashboardConfigMapCarriesTheDashboardAndTheDiscoveryLabel() throws IOException {
        RenderedChart chart = render("grafana: {dashboard: {enabled: true, namespace: monitoring}}");

        JsonNode configMap = chart.get("ConfigMap", "toolgate-grafana-dashboard");
        assertThat(configMap.at("/metadata/namespace").asText()).isEqualTo("monitoring");
        assertThat(configMap.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
        String dashboard = Files.readString(RenderedChart.chartDir().resolve("dashboards/toolgate.json"));
        assertThat(RenderedChart.YAML.readTree(configMap.at("/data/toolgate.json").asText()))
                .isEqualTo(new com.fasterxml.jackson.databind.ObjectMapper().readTree(dashboard));
    }

    @Test
    void grafanaDashboardLabelIsConfigurable() {
        RenderedChart chart = render("grafana: {dashboard: {enabled: true, labelKey: dashboards, labelValue: toolgate}}");

        JsonNode configMap = chart.get("ConfigMap", "toolgate-grafana-dashboard");
        assertThat(configMap.at("/metadata/namespace").asText()).isEqualTo(NAMESPACE);
        assertThat(configMap.at("/metadata/labels/dashboards").asText()).isEqualTo("toolgate");
        assertThat(configMap.at("/metadata/labels/grafana_dashboard").isMissingNode()).isTrue();
    }

    @Test
    void optionalObjectsAreOffByDefault() {
        assertThat(render("").kinds()).doesNotContain("PodMonitor", "ServiceMonitor", "ConfigMap", "Certificate", "Issuer");
    }

    private static JsonNode ruleFor(JsonNode role, String resource) {
        for (JsonNode rule : role.at("/rules")) {
            for (JsonNode r : rule.at("/resources")) {
                if (resource.equals(r.asText())) {
                    return rule;
                }
            }
        }
        return null;
    }
}
