package dev.toolgate.operator.baseline;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.toolgate.operator.LabelSelectors;
import dev.toolgate.operator.mcppolicy.UnknownFields;
import dev.toolgate.policy.PolicyDocument;
import dev.toolgate.policy.PolicyException;
import dev.toolgate.policy.PolicySpec;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Which baselines an McpPolicy is layered under, in the order they are combined: the McpClusterPolicies whose
 * namespace selector matches its namespace (by name), then the McpNamespacePolicies of its namespace (by name); and
 * each baseline's validation. Pure.
 */
public final class Baselines {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One baseline that applies: its source ({@code McpClusterPolicy/name}), the resource, and its validation. */
    public record Applicable(String source, HasMetadata resource, Validation validation) {
    }

    /** A baseline's validated document, or the problems that keep it from being layered anywhere (never both). */
    public record Validation(PolicyDocument document, List<String> problems) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    private Baselines() {
    }

    public static List<Applicable> applicableTo(String namespace, Map<String, String> namespaceLabels, Collection<McpClusterPolicy> cluster,
            Collection<McpNamespacePolicy> namespaced) {
        List<Applicable> result = new ArrayList<>();
        cluster.stream()
                .filter(b -> b.getSpec() != null && b.getMetadata().getDeletionTimestamp() == null)
                .filter(b -> b.getSpec().getNamespaceSelector() == null
                        || LabelSelectors.matches(b.getSpec().getNamespaceSelector(), namespaceLabels))
                .sorted(Comparator.comparing(b -> b.getMetadata().getName()))
                .forEach(b -> result.add(new Applicable(b.source(), b, validate(b.getSpec()))));
        namespaced.stream()
                .filter(b -> b.getSpec() != null && b.getMetadata().getDeletionTimestamp() == null)
                .filter(b -> namespace.equals(b.getMetadata().getNamespace()))
                .sorted(Comparator.comparing(b -> b.getMetadata().getName()))
                .forEach(b -> result.add(new Applicable(b.source(), b, validate(b.getSpec()))));
        return List.copyOf(result);
    }

    /** Everything wrong with a baseline's spec, with spec paths: unknown fields, then the engine's baseline validation. */
    public static Validation validate(BaselineRules spec) {
        if (spec == null) {
            return new Validation(null, List.of("spec: required"));
        }
        List<String> problems = new ArrayList<>(UnknownFields.of(spec));
        PolicyDocument document = null;
        try {
            document = PolicySpec.parseBaseline(JSON.valueToTree(spec));
        } catch (PolicyException e) {
            e.errors().forEach(error -> problems.add(error.toString()));
        }
        return problems.isEmpty() ? new Validation(document, List.of()) : new Validation(null, List.copyOf(problems));
    }
}
