package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.approval.McpApproval;
import dev.toolgate.operator.approval.StateKeys;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Human approval against a real kube-apiserver, with the operator running as its ServiceAccount under the shipped RBAC:
 * the approval API as a sidecar calls it (a pod-bound projected token, verified by TokenReview), McpApprovals created,
 * decided through the API server (RBAC decides who may; the webhook stamps the approver and refuses self-approval), and
 * consumed exactly once even when two sidecars race for one approval.
 */
@QuarkusTest
@WithTestResource(OperatorUnderTest.class)
@WithTestResource(ApprovalReceiver.class)
class ApprovalIT {

    private static final String NS = OperatorUnderTest.APP_NAMESPACE;
    private static final String POLICY = "approvals";
    private static final String AGENT = "system:serviceaccount:" + NS + ":payments-agent";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    static final Duration RETENTION = Duration.ofSeconds(20);
    private static KubernetesClient admin;
    private static HttpClient https;
    private static String token;

    @ConfigProperty(name = "toolgate.operator.webhook.port")
    int port;

    @BeforeAll
    static void setUp() throws Exception {
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        admin.load(new ByteArrayInputStream(("""
                apiVersion: toolgate.dev/v1alpha1
                kind: McpPolicy
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  podSelector:
                    matchLabels:
                      app: payments-approvals
                  upstream:
                    port: 8080
                  default: deny
                  tools:
                    update_amount:
                      action: require_approval
                """.formatted(POLICY, NS)).getBytes(StandardCharsets.UTF_8))).createOrReplace();
        admin.serviceAccounts().inNamespace(NS).resource(new ServiceAccountBuilder().withNewMetadata().withName("payments").endMetadata()
                .build()).createOr(op -> op.update());
        // approvers: the chart's toolgate-approver rights, bound in this namespace to alice and to the agent itself
        admin.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName("toolgate-approver-it").endMetadata()
                .addNewRule().withApiGroups("toolgate.dev").withResources("mcpapprovals").withVerbs("get", "list", "watch", "patch").endRule()
                .build()).createOr(op -> op.update());
        admin.rbac().roleBindings().inNamespace(NS).resource(new RoleBindingBuilder().withNewMetadata().withName("approvers").endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName("toolgate-approver-it").endRoleRef()
                .addNewSubject().withKind("User").withApiGroup("rbac.authorization.k8s.io").withName("alice").endSubject()
                .addNewSubject().withKind("User").withApiGroup("rbac.authorization.k8s.io").withName(AGENT).endSubject()
                .build()).createOr(op -> op.update());
        Pod pod = serverPod("payments-0", "payments-approvals");
        token = podToken(pod, ToolgateNames.APPROVALS_AUDIENCE);
        https = HttpClient.newBuilder().sslContext(trusting(caBundle())).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void close() {
        admin.close();
    }

    @Test
    void requestApproveConsumeOnceThenAskAgain() throws Exception {
        String digest = "a".repeat(64);
        JsonNode first = call("request", token, request("update_amount", digest, "{\"amount\":100}"));
        assertThat(first.path("state").asText()).isEqualTo("Pending");
        String name = first.path("approval").asText();
        assertThat(name).startsWith("update-amount-").endsWith("-1");
        assertThat(call("request", token, request("update_amount", digest, "{\"amount\":100}")).path("approval").asText())
                .as("the same call asks for the same approval").isEqualTo(name);

        McpApproval stored = approval(name);
        assertThat(stored.getSpec().getTool()).isEqualTo("update_amount");
        assertThat(stored.getSpec().getRequester().getSubject()).isEqualTo(AGENT);
        assertThat(stored.getSpec().getArguments().path("amount").asInt()).isEqualTo(100);
        assertThat(stored.getSpec().getArgumentsSha256()).isEqualTo(digest);
        assertThat(stored.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo(POLICY));
        assertThat(consume(token, name, digest).path("consumed").asBoolean()).as("pending: nothing to consume").isFalse();

        // alice approves, and claims to be someone else: the webhook writes who she is
        decide(as("alice"), name, "{\"verdict\":\"Approved\",\"reason\":\"checked the invoice\",\"approver\":\"mallory\"}");
        McpApproval approved = approval(name);
        assertThat(approved.getSpec().getDecision().getApprover()).isEqualTo("alice");
        assertThat(approved.getSpec().getDecision().getDecidedAt()).isNotBlank();
        await(name, "Approved");

        assertThat(consume(token, name, digest.replace('a', 'b')).path("consumed").asBoolean()).isFalse();
        assertThat(consumeWith(token, name, "other_tool", digest).path("consumed").asBoolean()).as("another tool").isFalse();
        JsonNode used = consume(token, name, digest);
        assertThat(used.path("consumed").asBoolean()).isTrue();
        assertThat(used.path("approver").asText()).isEqualTo("alice");
        assertThat(consume(token, name, digest).path("consumed").asBoolean()).as("a replay").isFalse();
        McpApproval consumed = await(name, "Consumed");
        assertThat(consumed.getStatus().getConsumedBy()).containsExactly("payments-0");

        JsonNode again = call("request", token, request("update_amount", digest, "{\"amount\":100}"));
        assertThat(again.path("state").asText()).isEqualTo("Pending");
        assertThat(again.path("approval").asText()).as("the next identical call needs a new approval").isNotEqualTo(name).endsWith("-2");
        assertThat(again.path("previous").path("state").asText()).isEqualTo("Consumed");

        // the receiver was told when it began waiting and when it stopped
        JsonNode firing = notification(name, "firing");
        assertThat(firing.path("text").asText()).contains(AGENT + " asks to call update_amount").contains("kubectl toolgate show " + name);
        assertThat(firing.path("version").asText()).isEqualTo("4");
        assertThat(firing.path("alerts").path(0).path("labels").path("alertname").asText()).isEqualTo("ToolgateApprovalPending");
        assertThat(firing.path("alerts").path(0).path("annotations").path("approve").asText())
                .isEqualTo("kubectl toolgate approve " + name + " -n " + NS);
        assertThat(notification(name, "resolved").path("text").asText()).endsWith("was approved by alice");

        // a decision is final
        assertThatThrownBy(() -> decide(as("alice"), name, "{\"verdict\":\"Rejected\"}"))
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("already decided");
    }

    @Test
    void rejectedWithAReason() throws Exception {
        String digest = "c".repeat(64);
        String name = call("request", token, request("update_amount", digest, "{\"amount\":5}")).path("approval").asText();
        decide(as("alice"), name, "{\"verdict\":\"Rejected\",\"reason\":\"not this customer\"}");
        JsonNode answer = call("request", token, request("update_amount", digest, "{\"amount\":5}"));
        assertThat(answer.path("state").asText()).isEqualTo("Rejected");
        assertThat(answer.path("reason").asText()).isEqualTo("not this customer");
        assertThat(answer.path("approver").asText()).isEqualTo("alice");
        assertThat(answer.path("approval").asText()).isEqualTo(name);
        assertThat(consume(token, name, digest).path("consumed").asBoolean()).isFalse();
        await(name, "Rejected");
    }

    @Test
    void finalApprovalsAreDeletedAfterTheRetentionPeriod() throws Exception {
        String digest = "7".repeat(64);
        String name = call("request", token, request("update_amount", digest, "{}")).path("approval").asText();
        decide(as("alice"), name, "{\"verdict\":\"Rejected\",\"reason\":\"no\"}");
        await(name, "Rejected");
        long rejectedAt = System.currentTimeMillis();
        admin.resources(McpApproval.class).inNamespace(NS).withName(name)
                .waitUntilCondition(java.util.Objects::isNull, RETENTION.plusSeconds(30).toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(System.currentTimeMillis() - rejectedAt).as("kept for the retention period first")
                .isGreaterThanOrEqualTo(RETENTION.minusSeconds(2).toMillis());
    }

    @Test
    void onlyOthersWithRightsDecideAndNobodyRewritesTheRequest() throws Exception {
        String digest = "d".repeat(64);
        String name = call("request", token, request("update_amount", digest, "{}")).path("approval").asText();
        assertThatThrownBy(() -> decide(as(AGENT), name, "{\"verdict\":\"Approved\"}")).as("self-approval")
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("requested this call and cannot decide it");
        assertThatThrownBy(() -> decide(as("bob"), name, "{\"verdict\":\"Approved\"}")).as("no RBAC")
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(403))
                .hasMessageContaining("forbidden");
        assertThatThrownBy(() -> as("alice").resources(McpApproval.class).inNamespace(NS).withName(name)
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                        "{\"spec\":{\"tool\":\"refund\",\"decision\":{\"verdict\":\"Approved\"}}}"))
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("spec.tool is immutable");
        McpApproval forged = new McpApproval();
        forged.getMetadata().setName("forged");
        forged.getMetadata().setNamespace(NS);
        forged.setSpec(approval(name).getSpec());
        assertThatThrownBy(() -> admin.resource(forged).create()).as("only the operator creates approvals")
                .isInstanceOf(KubernetesClientException.class).hasMessageContaining("created by the Toolgate operator");
        assertThat(approval(name).getSpec().getDecision()).isNull();
    }

    @Test
    void twoSidecarsRacingForOneApprovalRunItOnce() throws Exception {
        Pod second = serverPod("payments-1", "payments-approvals");
        String secondToken = podToken(second, ToolgateNames.APPROVALS_AUDIENCE);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 5; round++) {
                String digest = Integer.toString(round).repeat(64);
                String name = call("request", token, request("update_amount", digest, "{\"round\":" + round + "}")).path("approval").asText();
                decide(as("alice"), name, "{\"verdict\":\"Approved\"}");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<JsonNode>> racers = new ArrayList<>();
                for (String t : List.of(token, secondToken)) {
                    // each racer on its own connection, so the operator handles them on separate worker threads
                    HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusting(caBundle())).build();
                    Callable<JsonNode> racer = () -> {
                        start.await();
                        return consumeOver(own, t, name, digest);
                    };
                    racers.add(pool.submit(racer));
                }
                start.countDown();
                int admitted = 0;
                for (Future<JsonNode> racer : racers) {
                    admitted += racer.get().path("consumed").asBoolean() ? 1 : 0;
                }
                assertThat(admitted).as("round %d: exactly one of two racing sidecars runs the approved call", round).isEqualTo(1);
                assertThat(approval(name).getStatus().getConsumed()).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoSidecarsFilingTheSameCallAtOnceWaitForOneApproval() throws Exception {
        Pod second = serverPod("payments-3", "payments-approvals");
        String secondToken = podToken(second, ToolgateNames.APPROVALS_AUDIENCE);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 5; round++) {
                String digest = String.format("%064x", 0xf11ed00 + round); // a digest no other test uses
                ObjectNode body = request("update_amount", digest, "{\"filed\":" + round + "}");
                CountDownLatch start = new CountDownLatch(1);
                List<Future<JsonNode>> filers = new ArrayList<>();
                for (String t : List.of(token, secondToken)) {
                    HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trusting(caBundle())).build();
                    Callable<JsonNode> filer = () -> {
                        start.await();
                        HttpResponse<String> response = send(own, "request", t, body);
                        assertThat(response.statusCode()).as("request: %s", response.body()).isEqualTo(200);
                        return JSON.readTree(response.body());
                    };
                    filers.add(pool.submit(filer));
                }
                start.countDown();
                String first = filers.get(0).get().path("approval").asText();
                assertThat(filers.get(1).get().path("approval").asText()).as("round %d: the same approval for both", round).isEqualTo(first);
                assertThat(admin.resources(McpApproval.class).inNamespace(NS).withLabel(ToolgateNames.APPROVAL_KEY_LABEL,
                        approval(first).getMetadata().getLabels().get(ToolgateNames.APPROVAL_KEY_LABEL)).list().getItems())
                        .as("round %d: one McpApproval filed", round).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void everyReplicaOfAPolicysServerGetsTheSameStateKey() throws Exception {
        Pod other = serverPod("payments-2", "payments-approvals");
        ObjectNode body = JSON.createObjectNode().put("policy", POLICY);
        String served = call("state-key", token, body).path("key").asText();
        assertThat(Base64.getDecoder().decode(served)).as("a 256-bit HMAC key").hasSize(32);
        assertThat(call("state-key", podToken(other, ToolgateNames.APPROVALS_AUDIENCE), body).path("key").asText())
                .as("another pod of the policy").isEqualTo(served);
        ObjectNode otherPolicy = body.deepCopy().put("policy", "some-other-policy");
        assertThat(status("state-key", token, otherPolicy)).as("only the governing policy's key").isEqualTo(403);
        assertThat(status("state-key", null, body)).as("no token").isEqualTo(401);

        // the master key is kept in the operator's Secret: a restarted operator, or another replica, derives the same keys
        var secret = admin.secrets().inNamespace(KubeApiServers.OPERATOR_NAMESPACE).withName(ToolgateNames.APPROVAL_STATE_SECRET).get();
        assertThat(secret.getData()).containsKey("master-key");
        StateKeys replica = new StateKeys(admin, KubeApiServers.OPERATOR_NAMESPACE);
        assertThat(Base64.getEncoder().encodeToString(replica.keyFor(NS, POLICY))).isEqualTo(served);
        assertThat(replica.keyFor(NS, "some-other-policy")).as("each policy its own key").isNotEqualTo(replica.keyFor(NS, POLICY));
        assertThat(replica.keyFor("another-namespace", POLICY)).isNotEqualTo(replica.keyFor(NS, POLICY));
    }

    @Test
    void approvedForSeveralUsesOrAPeriod() throws Exception {
        String digest = "e".repeat(64);
        String name = call("request", token, request("update_amount", digest, "{}")).path("approval").asText();
        decide(as("alice"), name, "{\"verdict\":\"Approved\",\"uses\":2}");
        assertThat(consume(token, name, digest).path("remaining").asInt()).isEqualTo(1);
        assertThat(consume(token, name, digest).path("consumed").asBoolean()).isTrue();
        assertThat(consume(token, name, digest).path("consumed").asBoolean()).as("a third use of two").isFalse();
        assertThatThrownBy(() -> {
            String other = call("request", token, request("update_amount", "f".repeat(64), "{}")).path("approval").asText();
            decide(as("alice"), other, "{\"verdict\":\"Approved\",\"validFor\":\"3d\"}");
        }).isInstanceOf(KubernetesClientException.class).hasMessageContaining("at most 24h");
    }

    @Test
    void unusedRequestsExpire() throws Exception {
        String digest = "9".repeat(64);
        ObjectNode body = request("update_amount", digest, "{}");
        body.put("expiresAfterSeconds", 2);
        String name = call("request", token, body).path("approval").asText();
        await(name, "Expired");
        assertThatThrownBy(() -> decide(as("alice"), name, "{\"verdict\":\"Approved\"}")).isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("expired");
        JsonNode again = call("request", token, request("update_amount", digest, "{}"));
        assertThat(again.path("previous").path("state").asText()).isEqualTo("Expired");
        assertThat(again.path("state").asText()).isEqualTo("Pending");
    }

    @Test
    void onlyTheSidecarsOfThePolicysPodsMayAsk() throws Exception {
        ObjectNode body = request("update_amount", "8".repeat(64), "{}");
        assertThat(status("request", null, body)).as("no token").isEqualTo(401);
        assertThat(status("request", "not-a-token", body)).as("garbage").isEqualTo(401);
        Pod pod = admin.pods().inNamespace(NS).withName("payments-0").get();
        assertThat(status("request", podToken(pod, "some-other-audience"), body)).as("another audience").isEqualTo(401);
        String unbound = admin.serviceAccounts().inNamespace(NS).withName("payments").tokenRequest(new TokenRequestBuilder().withNewSpec()
                .withAudiences(ToolgateNames.APPROVALS_AUDIENCE).withExpirationSeconds(600L).endSpec().build()).getStatus().getToken();
        assertThat(status("request", unbound, body)).as("a token bound to no pod").isEqualTo(401);
        ObjectNode otherPolicy = body.deepCopy();
        otherPolicy.put("policy", "some-other-policy");
        assertThat(status("request", token, otherPolicy)).as("a policy that does not govern the pod").isEqualTo(403);
        // a pod that claims the policy in an annotation but runs no sidecar (the policy does not select it)
        Pod impostor = admin.resource(new PodBuilder().withNewMetadata().withName("impostor").withNamespace(NS).addToLabels("app", "other")
                .addToAnnotations(ToolgateNames.POLICY_ANNOTATION, POLICY).endMetadata()
                .withNewSpec().withServiceAccountName("payments").addNewContainer().withName("server").withImage("mcp:1").endContainer()
                .endSpec().build()).createOr(op -> op.update());
        assertThat(status("request", podToken(impostor, ToolgateNames.APPROVALS_AUDIENCE), body)).as("a pod without the sidecar").isEqualTo(403);
        ObjectNode anonymous = body.deepCopy();
        ((ObjectNode) anonymous.get("requester")).put("subject", "anonymous");
        assertThat(status("request", token, anonymous)).isEqualTo(400);
    }

    // --- helpers

    /** The notification about approval {@code name} with {@code status}, once it arrived (they are sent in the background). */
    private static JsonNode notification(String name, String status) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            for (String body : ApprovalReceiver.RECEIVED) {
                JsonNode node = JSON.readTree(body);
                if (status.equals(node.path("status").asText()) && name.equals(node.path("alerts").path(0).path("labels").path("approval").asText())) {
                    return node;
                }
            }
            assertThat(System.currentTimeMillis()).as("a %s notification for %s; received: %s", status, name, ApprovalReceiver.RECEIVED)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static ObjectNode request(String tool, String digest, String arguments) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("policy", POLICY);
        body.put("policyHash", "0".repeat(64));
        body.put("tool", tool);
        body.set("requester", JSON.readTree("{\"subject\":\"" + AGENT + "\",\"groups\":[\"agents\"],\"source\":\"service-account\"}"));
        body.put("session", "s-1");
        body.set("arguments", JSON.readTree(arguments));
        body.put("argumentsShown", true);
        body.put("argumentsSha256", digest);
        return body;
    }

    private JsonNode consume(String bearer, String name, String digest) throws Exception {
        return consumeWith(bearer, name, "update_amount", digest);
    }

    private JsonNode consumeWith(String bearer, String name, String tool, String digest) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("policy", POLICY);
        body.put("approval", name);
        body.put("subject", AGENT);
        body.put("tool", tool);
        body.put("argumentsSha256", digest);
        return call("consume", bearer, body);
    }

    private JsonNode consumeOver(HttpClient over, String bearer, String name, String digest) throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.put("policy", POLICY);
        body.put("approval", name);
        body.put("subject", AGENT);
        body.put("tool", "update_amount");
        body.put("argumentsSha256", digest);
        HttpResponse<String> response = send(over, "consume", bearer, body);
        assertThat(response.statusCode()).as("consume: %s", response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private JsonNode call(String operation, String bearer, JsonNode body) throws Exception {
        HttpResponse<String> response = send(operation, bearer, body);
        assertThat(response.statusCode()).as("%s: %s", operation, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private int status(String operation, String bearer, JsonNode body) throws Exception {
        HttpResponse<String> response = send(operation, bearer, body);
        assertThat(JSON.readTree(response.body()).path("error").asText()).as("an error names what is wrong").isNotBlank();
        return response.statusCode();
    }

    private HttpResponse<String> send(String operation, String bearer, JsonNode body) throws Exception {
        return send(https, operation, bearer, body);
    }

    private HttpResponse<String> send(HttpClient over, String operation, String bearer, JsonNode body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + ToolgateNames.APPROVALS_PATH + operation))
                .timeout(Duration.ofSeconds(15)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return over.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void decide(KubernetesClient as, String name, String decision) {
        as.resources(McpApproval.class).inNamespace(NS).withName(name)
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                        "{\"spec\":{\"decision\":" + decision + "}}");
    }

    private static KubernetesClient as(String user) {
        return new KubernetesClientBuilder().withConfig(new ConfigBuilder(KubeApiServers.admin()).withImpersonateUsername(user)
                .withImpersonateGroups("system:authenticated").build()).build();
    }

    private static McpApproval approval(String name) {
        return admin.resources(McpApproval.class).inNamespace(NS).withName(name).get();
    }

    private static McpApproval await(String name, String state) {
        return admin.resources(McpApproval.class).inNamespace(NS).withName(name)
                .waitUntilCondition(a -> a != null && a.getStatus() != null && state.equals(a.getStatus().getState()), WAIT.toSeconds(),
                        java.util.concurrent.TimeUnit.SECONDS);
    }

    /** A pod of the policy, created through the API server (so the injection webhook annotates it with its policy). */
    private static Pod serverPod(String name, String app) {
        admin.pods().inNamespace(NS).withName(name).delete();
        admin.pods().inNamespace(NS).withName(name).waitUntilCondition(java.util.Objects::isNull, 30, java.util.concurrent.TimeUnit.SECONDS);
        Pod pod = admin.resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).addToLabels("app", app).endMetadata()
                .withNewSpec().withServiceAccountName("payments").addNewContainer().withName("server").withImage("mcp:1")
                .addNewPort().withContainerPort(8080).endPort().endContainer().endSpec().build()).create();
        assertThat(pod.getMetadata().getAnnotations()).containsEntry(ToolgateNames.POLICY_ANNOTATION, POLICY);
        return pod;
    }

    /** A projected-style token: bound to the pod, for {@code audience}. */
    private static String podToken(Pod pod, String audience) {
        return admin.serviceAccounts().inNamespace(NS).withName("payments").tokenRequest(new TokenRequestBuilder().withNewSpec()
                .withAudiences(audience).withExpirationSeconds(3600L).withNewBoundObjectRef().withKind("Pod").withApiVersion("v1")
                .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).endBoundObjectRef().endSpec().build())
                .getStatus().getToken();
    }

    /** The CA bundle the operator wrote into its webhook configuration: what sidecars get in their policy ConfigMap. */
    private static String caBundle() {
        return admin.admissionRegistration().v1().mutatingWebhookConfigurations().withName(ToolgateNames.WEBHOOK_CONFIGURATION)
                .waitUntilCondition(c -> c != null && c.getWebhooks().get(0).getClientConfig().getCaBundle() != null, 30,
                        java.util.concurrent.TimeUnit.SECONDS)
                .getWebhooks().get(0).getClientConfig().getCaBundle();
    }

    private static SSLContext trusting(String caBundleBase64) throws Exception {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (java.security.cert.Certificate ca : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Base64.getDecoder().decode(caBundleBase64)))) {
            trust.setCertificateEntry("ca-" + i++, (X509Certificate) ca);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

}
