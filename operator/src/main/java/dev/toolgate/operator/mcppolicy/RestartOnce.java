package dev.toolgate.operator.mcppolicy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;

/**
 * The rule that keeps {@code spec.restartUnprotected} from looping: a workload is rollout-restarted at most once per pod
 * template. The restart records the template's hash on the workload; while the template hashes the same (the
 * operator's own {@code toolgate.dev/restartedAt} left out), it is never restarted again, however long its pods stay
 * unprotected. Pure.
 */
public final class RestartOnce {

    private static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private RestartOnce() {
    }

    /** SHA-256 (16 hex digits) of the pod template without the operator's restart annotation. */
    public static String templateHash(PodTemplateSpec template) {
        JsonNode tree = JSON.valueToTree(template);
        if (tree.path("metadata").path("annotations") instanceof ObjectNode annotations) {
            annotations.remove(ToolgateNames.RESTARTED_AT_ANNOTATION);
            if (annotations.isEmpty()) {
                // The restart adds the first annotation to a template that had none: no annotations and {} are the same.
                ((ObjectNode) tree.get("metadata")).remove("annotations");
            }
        }
        try {
            // Through a tree to a sorted, canonical text: key order must not change the hash.
            String canonical = JSON.writeValueAsString(JSON.treeToValue(tree, Object.class));
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the workload (its annotations) was already restarted for this template. */
    public static boolean alreadyRestarted(Map<String, String> workloadAnnotations, PodTemplateSpec template) {
        return workloadAnnotations != null && templateHash(template).equals(workloadAnnotations.get(ToolgateNames.RESTARTED_TEMPLATE_ANNOTATION));
    }

    /** The merge patch of a rollout restart: a new restartedAt on the template, and the template's hash on the workload. */
    public static String patch(PodTemplateSpec template, Instant now) {
        ObjectNode patch = JSON.createObjectNode();
        patch.putObject("metadata").putObject("annotations").put(ToolgateNames.RESTARTED_TEMPLATE_ANNOTATION, templateHash(template));
        patch.putObject("spec").putObject("template").putObject("metadata").putObject("annotations")
                .put(ToolgateNames.RESTARTED_AT_ANNOTATION, now.toString());
        return patch.toString();
    }

    /** Whether the pod was created from the template after the operator restarted it (it carries the template's restartedAt). */
    public static boolean createdByTheRestart(Pod pod, PodTemplateSpec template) {
        String restartedAt = template.getMetadata() == null || template.getMetadata().getAnnotations() == null ? null
                : template.getMetadata().getAnnotations().get(ToolgateNames.RESTARTED_AT_ANNOTATION);
        Map<String, String> podAnnotations = pod.getMetadata().getAnnotations();
        return restartedAt != null && podAnnotations != null && restartedAt.equals(podAnnotations.get(ToolgateNames.RESTARTED_AT_ANNOTATION));
    }
}
