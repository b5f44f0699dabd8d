package dev.toolgate.operator.mcppolicy;

import dev.toolgate.operator.baseline.Baselines;
import dev.toolgate.operator.baseline.McpClusterPolicy;
import dev.toolgate.operator.baseline.McpNamespacePolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.List;
import java.util.Objects;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.toolgate.operator.AdmissionReviews;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.StatusCauseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Answers the validating AdmissionReview of an McpPolicy, McpClusterPolicy or McpNamespacePolicy CREATE or UPDATE: refused, with every problem at once and
 * its spec path ({@link PolicyValidation}), when the policy engine would not accept it, so {@code kubectl apply} and
 * {@code --dry-run=server} fail instead of the status reporting it later. An UPDATE that leaves the spec as it was is
 * always allowed: a policy stored before this webhook existed can still get its metadata changed and be deleted.
 */
public class PolicyAdmission {

    private static final Logger LOG = Logger.getLogger(PolicyAdmission.class);
    private static final ObjectMapper JSON = SpecObject.writingUnknownFields(new ObjectMapper())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final MeterRegistry meters;

    public PolicyAdmission(MeterRegistry meters) {
        this.meters = meters;
    }

    public AdmissionReview handle(AdmissionReview review) {
        return AdmissionReviews.answer(review, this::respond, (request, e) -> {
            LOG.errorf(e, "Validation of %s %s/%s failed", request.getKind() == null ? "?" : request.getKind().getKind(), request.getNamespace(), request.getName());
            meters.counter("toolgate.operator.policy.admissions", "result", "error").increment();
            return "toolgate could not validate the " + (request.getKind() == null ? "policy" : request.getKind().getKind()) + ": " + e.getMessage();
        });
    }

    private AdmissionResponse respond(AdmissionRequest request) {
        AdmissionResponseBuilder response = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(true);
        boolean write = "CREATE".equals(request.getOperation()) || "UPDATE".equals(request.getOperation());
        String kind = request.getKind() == null ? null : request.getKind().getKind();
        if (!write || kind == null || request.getObject() == null) {
            return response.build();
        }
        Class<? extends HasMetadata> type = switch (kind) {
            case "McpPolicy" -> McpPolicy.class;
            case "McpClusterPolicy" -> McpClusterPolicy.class;
            case "McpNamespacePolicy" -> McpNamespacePolicy.class;
            default -> null;
        };
        if (type == null) {
            return response.build();
        }
        HasMetadata object = JSON.convertValue(request.getObject(), type);
        if ("UPDATE".equals(request.getOperation()) && request.getOldObject() != null
                && Objects.equals(JSON.valueToTree(specOf(object)), JSON.valueToTree(specOf(JSON.convertValue(request.getOldObject(), type))))) {
            meters.counter("toolgate.operator.policy.admissions", "result", "unchanged").increment();
            return response.build();
        }
        List<String> problems = object instanceof McpPolicy policy ? PolicyValidation.validate(policy.getSpec()).problems()
                : object instanceof McpClusterPolicy baseline ? Baselines.validate(baseline.getSpec()).problems()
                : Baselines.validate(((McpNamespacePolicy) object).getSpec()).problems();
        if (problems.isEmpty()) {
            meters.counter("toolgate.operator.policy.admissions", "result", "accepted").increment();
            return response.build();
        }
        meters.counter("toolgate.operator.policy.admissions", "result", "refused").increment();
        String objectName = request.getName() != null ? request.getName() : object.getMetadata().getName();
        String name = request.getNamespace() == null ? objectName : request.getNamespace() + "/" + objectName;
        String message = kind + " " + name + " is invalid (" + problems.size() + (problems.size() == 1 ? " problem" : " problems") + "): "
                + String.join("; ", problems);
        List<StatusCause> causes = problems.stream().map(PolicyAdmission::cause).toList();
        return response.withAllowed(false).withStatus(new StatusBuilder().withCode(422).withReason("Invalid").withMessage(message)
                .withNewDetails().withKind(kind).withGroup("toolgate.dev").withName(object.getMetadata().getName())
                .withCauses(causes).endDetails().build()).build();
    }

    private static Object specOf(HasMetadata object) {
        return object instanceof io.fabric8.kubernetes.client.CustomResource<?, ?> resource ? resource.getSpec() : null;
    }

    /** {@code "spec.tools[\"x\"].limits[0].scope: expected ..."} → field {@code spec.tools["x"].limits[0].scope}, the message. */
    private static StatusCause cause(String problem) {
        int colon = problem.indexOf(": ");
        String field = colon > 0 && problem.startsWith("spec") ? problem.substring(0, colon) : null;
        String message = field == null ? problem : problem.substring(colon + 2);
        return new StatusCauseBuilder().withReason("FieldValueInvalid").withField(field).withMessage(message).build();
    }
}
