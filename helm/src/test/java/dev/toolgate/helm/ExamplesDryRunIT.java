package dev.toolgate.helm;

import dev.toolgate.testsupport.RealApiServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every file in k8s-examples/ is accepted by a real API server holding the generated CRD, with server-side dry run
 * and strict field validation (what {@code kubectl apply --server-side} does): a CRD change that breaks an example
 * fails the build. A misspelt field is not the schema's to refuse (it preserves unknown fields for the validating
 * webhook and the reconciler to refuse by their spec path: operator {@code PolicyValidationIT}).
 */
class ExamplesDryRunIT {

    private static final String SEED_NAMESPACE = "examples";
    private static RealApiServer api;

    @BeforeAll
    static void startApiServer() throws Exception {
        api = RealApiServer.start();
        api.applyCrds(Path.of(System.getProperty("toolgate.crds.dir", "../crds")));
        // Dry run still needs the target namespaces to exist; the demo's own Namespace is dry-run like the rest.
        for (String namespace : List.of(SEED_NAMESPACE, "toolgate-demo")) {
            api.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        }
    }

    @AfterAll
    static void stopApiServer() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void everyExampleFileIsAcceptedByTheApiServer() throws Exception {
        List<Path> files = ExamplePolicies.files();
        assertThat(files).hasSizeGreaterThanOrEqualTo(6);

        for (Path file : files) {
            boolean namespaced = ExamplePolicies.objects(file).stream().allMatch(o -> o.at("/metadata/namespace").isTextual()
                    || "Namespace".equals(o.path("kind").asText()));
            RealApiServer.KubectlResult result = namespaced
                    ? dryRunApply(file.toString())
                    : dryRunApply(file.toString(), "--namespace", SEED_NAMESPACE);

            assertThat(result.exitCode()).as("kubectl apply --server-side --dry-run=server -f %s:%n%s", file, result.all()).isZero();
            assertThat(result.output()).contains("(server dry run)");
        }
        assertThat(api.admin().genericKubernetesResources("toolgate.dev/v1alpha1", "McpPolicy").inAnyNamespace().list().getItems())
                .as("dry run persists nothing").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown action     | action: block                                                | Unsupported value: \"block\"
            unknown scope      | limits: [{counter: c, window: minute, max: 1, scope: everyone}] | Unsupported value: \"everyone\"
            """)
    void aBrokenExampleWouldBeRejected(String what, String echoEntry, String expectedError) throws Exception {
        Path broken = Files.createTempFile("broken-mcppolicy-", ".yaml");
        Files.writeString(broken, """
                apiVersion: toolgate.dev/v1alpha1
                kind: McpPolicy
                metadata:
                  name: broken
                spec:
                  podSelector: {matchLabels: {app: x}}
                  upstream: {port: 8080}
                  default: deny
                  tools:
                    echo:
                      %s
                """.formatted(echoEntry));

        RealApiServer.KubectlResult result = dryRunApply(broken.toString(), "--namespace", SEED_NAMESPACE);

        assertThat(result.exitCode()).as(result.all()).isNotZero();
        assertThat(result.errors()).contains(expectedError);
        Files.delete(broken);
    }

    private static RealApiServer.KubectlResult dryRunApply(String file, String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("apply", "--server-side", "--dry-run=server",
                "--validate=strict", "--field-manager=toolgate-examples-check", "-f", file));
        args.addAll(List.of(extra));
        return api.kubectl(args.toArray(String[]::new));
    }
}
