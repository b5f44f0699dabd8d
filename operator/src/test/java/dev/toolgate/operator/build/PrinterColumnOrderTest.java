package dev.toolgate.operator.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.toolgate.operator.mcppolicy.McpPolicy;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;

class PrinterColumnOrderTest {

    private static final String GENERATED = """
            spec:
              versions:
              - additionalPrinterColumns:
                - jsonPath: ".metadata.creationTimestamp"
                  name: "Age"
                  type: "date"
                - jsonPath: ".spec.default"
                  name: "Default"
                  type: "string"
                name: "v1alpha1"
                served: true
            """;

    @Test
    void movesWholeColumnsIntoTheDeclaredOrderAndLeavesTheRestAlone() {
        assertThat(PrinterColumnOrder.reorder(GENERATED, List.of("Default", "Age"))).isEqualTo("""
                spec:
                  versions:
                  - additionalPrinterColumns:
                    - jsonPath: ".spec.default"
                      name: "Default"
                      type: "string"
                    - jsonPath: ".metadata.creationTimestamp"
                      name: "Age"
                      type: "date"
                    name: "v1alpha1"
                    served: true
                """);
    }

    @Test
    void refusesColumnsTheAnnotationsDoNotName() {
        assertThatThrownBy(() -> PrinterColumnOrder.reorder(GENERATED, List.of("Default", "Tools")))
                .hasMessage("printer columns in the CRD [Age, Default] differ from the annotations [Default, Tools]");
    }

    @Test
    void committedCrdShowsTheColumnsInTheDeclaredOrder() throws IOException {
        CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(Path.of(System.getProperty("toolgate.crd.committed"))),
                CustomResourceDefinition.class);
        List<String> columns = crd.getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream()
                .map(CustomResourceColumnDefinition::getName).toList();
        assertThat(columns).containsExactly("Default", "Tools", "Identity", "Ready", "Conflicted", "Counters", "Age")
                .containsExactlyElementsOf(Arrays.stream(McpPolicy.class.getAnnotationsByType(AdditionalPrinterColumn.class))
                        .map(AdditionalPrinterColumn::name).toList());
    }
}
