package dev.toolgate.operator.mcppolicy;

import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/** The ConfigMap the sidecar mounts: an accepted policy's canonical document, owned by its McpPolicy. */
public final class PolicyConfigMapFactory {

    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PolicyConfigMapFactory() {
    }

    public static ConfigMap create(McpPolicy policy, String canonicalJson, String hash) {
        return create(policy, canonicalJson, hash, null);
    }

    /**
     * @param operatorCa the CA bundle of the operator's HTTPS server, mounted beside the policy so the sidecar can verify
     *                   the approval API it calls; null for none
     */
    public static ConfigMap create(McpPolicy policy, String canonicalJson, String hash, String operatorCa) {
        Map<String, String> data = new TreeMap<>();
        data.put(ToolgateNames.POLICY_FILE_KEY, readable(canonicalJson));
        if (operatorCa != null) {
            data.put(ToolgateNames.OPERATOR_CA_KEY, operatorCa);
        }
        return new ConfigMapBuilder()
                .withNewMetadata()
                .withName(ToolgateNames.configMapName(policy.getMetadata().getName()))
                .withNamespace(policy.getMetadata().getNamespace())
                .withLabels(labels(policy))
                .withAnnotations(Map.of(ToolgateNames.POLICY_HASH_ANNOTATION, hash))
                .withOwnerReferences(ownerReference(policy))
                .endMetadata()
                .withData(data)
                .build();
    }

    /** Indented, keys still sorted: readable in {@code kubectl get -o yaml}; the sidecar hashes the canonical form anyway. */
    static String readable(String canonicalJson) {
        try {
            return PRETTY.writeValueAsString(PRETTY.readTree(canonicalJson)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("policy document is not JSON", e);
        }
    }

    /** The policy as the controlling owner of what the operator writes for it, so the garbage collector deletes that with it. */
    public static OwnerReference ownerReference(McpPolicy policy) {
        return new OwnerReferenceBuilder()
                .withApiVersion(policy.getApiVersion())
                .withKind(policy.getKind())
                .withName(policy.getMetadata().getName())
                .withUid(policy.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    public static Map<String, String> labels(McpPolicy policy) {
        Map<String, String> labels = new TreeMap<>();
        labels.put(ToolgateNames.MANAGED_BY_LABEL, ToolgateNames.MANAGED_BY_VALUE);
        labels.put(ToolgateNames.POLICY_LABEL, policy.getMetadata().getName());
        return labels;
    }

    /** True when {@code existing} already carries what {@code desired} says; other fields (e.g. user labels) are left alone. */
    public static boolean matches(ConfigMap existing, ConfigMap desired) {
        if (existing == null) {
            return false;
        }
        Map<String, String> labels = existing.getMetadata().getLabels() == null ? Map.of() : existing.getMetadata().getLabels();
        Map<String, String> annotations = existing.getMetadata().getAnnotations() == null ? Map.of()
                : existing.getMetadata().getAnnotations();
        return desired.getData().equals(existing.getData())
                && labels.entrySet().containsAll(desired.getMetadata().getLabels().entrySet())
                && annotations.entrySet().containsAll(desired.getMetadata().getAnnotations().entrySet())
                && existing.getMetadata().getOwnerReferences() != null
                && existing.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> o.getUid().equals(desired.getMetadata().getOwnerReferences().get(0).getUid()));
    }
}
