package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The McpPolicy validator, called by the real API server: a policy the engine would not accept is refused at apply
 * time (and at server-side dry run) with every problem and its spec path, and nothing is stored; a valid one is stored;
 * a policy stored before validation applied can still have its metadata changed and be deleted.
 */
@QuarkusTest
@WithTestResource(OperatorUnderTest.class)
class PolicyValidationIT {

    private static final String NS = "validate-it";
    private static KubernetesClient admin;

    /** Three problems the CRD's schema lets through and only the engine sees. */
    private static final String INVALID = """
            apiVersion: toolgate.dev/v1alpha1
            kind: McpPolicy
            metadata: {name: %s, namespace: %s}
            spec:
              podSelector: {matchLabels: {app: shop}}
              upstream: {port: 8080}
              default: deny
              tools:
                "a*": {}
                "*b": {}
                echo:
                  limits: [{counter: c, window: "1 hour", max: 5, scope: identity}]
                  denyIf: [{conditions: [{arg: message, op: matches, value: "("}]}]
            """;

    private static final String VALID = """
            apiVersion: toolgate.dev/v1alpha1
            kind: McpPolicy
            metadata: {name: %s, namespace: %s}
            spec:
              podSelector: {matchLabels: {app: shop}}
              upstream: {port: 8080}
              default: deny
              tools:
                echo:
                  limits: [{counter: c, window: minute, max: 5, scope: identity}]
            """;

    @BeforeAll
    static void connect() {
        admin = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS)
                .addToLabels(KubeApiServers.POLICY_VALIDATION_LABEL, "enabled").endMetadata().build()).createOr(op -> op.update());
    }

    @AfterAll
    static void close() {
        admin.close();
    }

    private static McpPolicy policy(String template, String name, String namespace) {
        return Serialization.unmarshal(template.formatted(name, namespace), McpPolicy.class);
    }

    /** A JSON merge patch, as {@code kubectl patch --type merge} sends it: no resourceVersion, so the operator's status writes do not conflict. */
    private static McpPolicy mergePatch(String namespace, String name, String patch) {
        return admin.resources(McpPolicy.class).inNamespace(namespace).withName(name)
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), patch);
    }

    @Test
    void anInvalidPolicyIsRefusedAtApplyAndAtDryRunWithEveryProblemAndItsSpecPath() {
        for (boolean dryRun : new boolean[] {false, true}) {
            McpPolicy bad = policy(INVALID, "bad", NS);
            KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                    () -> (dryRun ? admin.resource(bad).dryRun() : admin.resource(bad)).create());
            assertThat(refused).as("dry run %s", dryRun).isNotNull();
            assertThat(refused.getCode()).isEqualTo(422);
            assertThat(refused.getMessage())
                    .contains("admission webhook \"policies.toolgate.dev\" denied the request")
                    .contains("McpPolicy " + NS + "/bad is invalid (3 problems)")
                    .contains("spec.tools[\"echo\"].limits[0].window")
                    .contains("spec.tools[\"echo\"].denyIf[0].conditions[0].value")
                    .contains("\"a*\"").contains("\"*b\"");
            assertThat(refused.getStatus().getDetails().getCauses()).hasSize(3)
                    .allSatisfy(cause -> assertThat(cause.getField()).startsWith("spec."));
            assertThat(admin.resources(McpPolicy.class).inNamespace(NS).withName("bad").get()).as("nothing stored").isNull();
        }
    }

    @Test
    void holdForWithElicitModeIsRefusedAtApplyNamingTheField() {
        McpPolicy bad = policy("""
                apiVersion: toolgate.dev/v1alpha1
                kind: McpPolicy
                metadata: {name: %s, namespace: %s}
                spec:
                  podSelector: {matchLabels: {app: shop}}
                  upstream: {port: 8080}
                  default: deny
                  tools:
                    update_amount: {action: require_approval, approval: {mode: elicit, holdFor: 1m}}
                """, "elicit-held", NS);
        KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class, () -> admin.resource(bad).dryRun().create());
        assertThat(refused).isNotNull();
        assertThat(refused.getCode()).isEqualTo(422);
        assertThat(refused.getMessage()).contains("spec.tools[\"update_amount\"].approval.holdFor")
                .contains("hold_for applies only to \"mode\": \"hold\" (in elicit mode nothing is held");
        assertThat(admin.resource(policy(VALID.replace("echo:", "update_amount: {action: require_approval, approval: {mode: elicit}}\n    echo:"),
                "elicit-ok", NS)).dryRun().create()).as("elicit mode itself is accepted").isNotNull();
    }

    @Test
    void aValidPolicyIsStoredAndAnUpdateThatBreaksItIsRefusedLeavingItAsItWas() {
        McpPolicy created = admin.resource(policy(VALID, "good", NS)).create();
        try {
            assertThat(admin.resource(policy(VALID, "dry", NS)).dryRun().create()).isNotNull();
            assertThat(admin.resources(McpPolicy.class).inNamespace(NS).withName("dry").get()).as("a dry run stores nothing").isNull();

            KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                    () -> mergePatch(NS, "good", "{\"spec\":{\"tools\":{\"echo\":{\"limits\":[{\"counter\":\"c\",\"window\":\"1 hour\",\"max\":5,\"scope\":\"identity\"}]}}}}"));
            assertThat(refused).isNotNull();
            assertThat(refused.getMessage()).contains("spec.tools[\"echo\"].limits[0].window");
            McpPolicy stored = admin.resources(McpPolicy.class).inNamespace(NS).withName("good").get();
            assertThat(stored.getSpec().getTools().get("echo").getLimits().get(0).getWindow().getStrVal()).isEqualTo("minute");
            assertThat(stored.getMetadata().getGeneration()).isEqualTo(created.getMetadata().getGeneration());
        } finally {
            admin.resources(McpPolicy.class).inNamespace(NS).withName("good").delete();
        }
    }

    @Test
    void aPolicyStoredBeforeValidationAppliedCanBeRelabelledAndDeletedButNotChangedWhileInvalid() {
        String ns = "validate-later-it";
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).createOr(op -> op.update());
        admin.resource(policy(INVALID, "legacy", ns)).create(); // no validation in this namespace yet
        admin.namespaces().withName(ns).edit(n -> {
            n.getMetadata().getLabels().put(KubeApiServers.POLICY_VALIDATION_LABEL, "enabled");
            return n;
        });
        McpPolicy relabelled = mergePatch(ns, "legacy", "{\"metadata\":{\"labels\":{\"team\":\"shop\"}}}");
        assertThat(relabelled.getMetadata().getLabels()).containsEntry("team", "shop");
        KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                () -> mergePatch(ns, "legacy", "{\"spec\":{\"tools\":{\"a*\":null}}}"));
        assertThat(refused).as("a spec change is validated: two problems remain").isNotNull();
        assertThat(refused.getMessage()).contains("(2 problems)");
        assertThat(admin.resources(McpPolicy.class).inNamespace(ns).withName("legacy").delete()).isNotEmpty();
    }

    /** The review's case: under {@code default: allow}, a pruned {@code actoin: deny} would have allowed the tool. */
    private static final String MISSPELT = """
            apiVersion: toolgate.dev/v1alpha1
            kind: McpPolicy
            metadata: {name: misspelt, namespace: %s}
            spec:
              podSelector: {matchLabels: {app: shop}}
              upstream: {port: 8080}
              default: allow
              hideDeniedTool: true
              tools:
                delete_repository: {actoin: deny}
            """;

    @Test
    void aMisspeltFieldIsRefusedWhateverFieldValidationTheClientAsksFor() throws Exception {
        for (FieldValidateable.Validation validation : FieldValidateable.Validation.values()) {
            GenericKubernetesResource policy = Serialization.unmarshal(MISSPELT.formatted(NS), GenericKubernetesResource.class);
            KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                    () -> admin.genericKubernetesResources("toolgate.dev/v1alpha1", "McpPolicy").inNamespace(NS).resource(policy)
                            .fieldValidation(validation).create());
            assertThat(refused).as("field validation %s", validation).isNotNull();
            assertThat(refused.getCode()).isEqualTo(422);
            assertThat(refused.getMessage()).as("field validation %s", validation)
                    .contains("McpPolicy " + NS + "/misspelt is invalid (2 problems)")
                    .contains("spec.hideDeniedTool: unknown field \"hideDeniedTool\"; expected one of")
                    .contains("spec.tools[\"delete_repository\"].actoin: unknown field \"actoin\"; expected one of action,");
            assertThat(admin.resources(McpPolicy.class).inNamespace(NS).withName("misspelt").get()).as("nothing stored").isNull();
        }
    }
}
