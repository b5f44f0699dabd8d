package dev.toolgate.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import dev.toolgate.testsupport.GoldenFiles;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable;

/**
 * The committed CRD on a real API server: valid policies round-trip unchanged, invalid ones are refused with exactly
 * the messages in {@code crd-fixtures/invalid/<case>.message} (regenerate with -Dtoolgate.golden.update=true and review).
 * Requests use Strict field validation, as kubectl does by default. Misspelt fields are not the schema's to refuse: it
 * preserves unknown fields so that no client's field validation can prune one, and the validating webhook and the
 * reconciler refuse them ({@code PolicyValidationIT}, {@code OperatorIT}).
 */
class McpPolicyCrdIT {

    private static final String NAMESPACE = "crd-it";
    private static KubernetesClient client;

    @BeforeAll
    static void connect() {
        client = new KubernetesClientBuilder().withConfig(KubeApiServers.admin()).build();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).createOr(op -> op.update());
    }

    @AfterAll
    static void close() {
        client.close();
    }

    static Stream<GoldenFiles.Case> valid() {
        return GoldenFiles.cases("golden/configmap");
    }

    static Stream<GoldenFiles.Case> invalid() {
        return GoldenFiles.cases("crd-fixtures/invalid", ".message");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void validPoliciesRoundTripUnchanged(GoldenFiles.Case fixture) throws IOException {
        McpPolicy policy = GoldenFiles.YAML.readValue(fixture.input().toFile(), McpPolicy.class);
        policy.getMetadata().setUid(null);
        policy.getMetadata().setNamespace(NAMESPACE);
        policy.getMetadata().setName("valid-" + fixture.name());

        McpPolicy created = client.resources(McpPolicy.class).inNamespace(NAMESPACE).resource(policy)
                .fieldValidation(FieldValidateable.Validation.STRICT).create();
        try {
            JsonNode sent = GoldenFiles.YAML.valueToTree(policy.getSpec());
            JsonNode stored = GoldenFiles.YAML.valueToTree(created.getSpec());
            assertThat(stored).as("spec after the round trip").isEqualTo(sent);
        } finally {
            client.resource(created).delete();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidPoliciesAreRefusedWithExactMessages(GoldenFiles.Case fixture) throws IOException {
        ObjectNode policy = (ObjectNode) GoldenFiles.YAML.readTree(fixture.input().toFile());
        ((ObjectNode) policy.get("metadata")).put("namespace", NAMESPACE);

        KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                () -> client.resource(GoldenFiles.YAML.writeValueAsString(policy)).inNamespace(NAMESPACE)
                        .fieldValidation(FieldValidateable.Validation.STRICT).create());

        assertThat(refused).as("the API server must refuse %s", fixture.name()).isNotNull();
        assertThat(refused.getCode()).isIn(400, 422);
        String message = refused.getStatus().getMessage() + "\n";
        if (Boolean.getBoolean("toolgate.golden.update")) {
            Files.writeString(fixture.expected(), message);
            return;
        }
        assertThat(fixture.expected()).exists();
        assertThat(message).isEqualTo(Files.readString(fixture.expected()));
    }

}
