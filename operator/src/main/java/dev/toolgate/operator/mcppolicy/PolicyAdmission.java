package dev.toolgate.operator.mcppolicy;

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
 * Answers the validating AdmissionReview of an McpPolicy CREATE or UPDATE: refused, with every problem at once and
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
            LOG.errorf(e, "Validation of McpPolicy %s/%s failed", request.getNamespace(), request.getName());
            meters.counter("toolgate.operator.policy.admissions", "result", "error").increment();
            return "toolgate could not validate the McpPolicy: " + e.getMessage();
        });
    }

    private AdmissionResponse respond(AdmissionRequest request) {
        AdmissionResponseBuilder response = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(true);
        boolean write = "CREATE".equals(request.getOperation()) || "UPDATE".equals(request.getOperation());
        if (!write || request.getKind() == null || !"McpPolicy".equals(request.getKind().getKind()) || request.getObject() == null) {
            return response.build();
        }
        McpPolicy policy = JSON.convertValue(request.getObject(), McpPolicy.class);
        if ("UPDATE".equals(request.getOperation()) && request.getOldObject() != null
                && Objects.equals(JSON.valueToTree(policy.getSpec()), JSON.valueToTree(JSON.convertValue(request.getOldObject(), McpPolicy.class).getSpec()))) {
            meters.counter("toolgate.operator.policy.admissions", "result", "unchanged").increment();
            return response.build();
        }
        PolicyValidation.Result validation = PolicyValidation.validate(policy.getSpec());
        if (validation.valid()) {
            meters.counter("toolgate.operator.policy.admissions", "result", "accepted").increment();
            return response.build();
        }
        meters.counter("toolgate.operator.policy.admissions", "result", "refused").increment();
        List<String> problems = validation.problems();
        String name = request.getNamespace() + "/" + (request.getName() != null ? request.getName() : policy.getMetadata().getName());
        String message = "McpPolicy " + name + " is invalid (" + problems.size() + (problems.size() == 1 ? " problem" : " problems") + "): "
                + String.join("; ", problems);
        List<StatusCause> causes = problems.stream().map(PolicyAdmission::cause).toList();
        return response.withAllowed(false).withStatus(new StatusBuilder().withCode(422).withReason("Invalid").withMessage(message)
                .withNewDetails().withKind("McpPolicy").withGroup("toolgate.dev").withName(policy.getMetadata().getName())
                .withCauses(causes).endDetails().build()).build();
    }

    /** {@code "spec.tools[\"x\"].limits[0].scope: expected ..."} → field {@code spec.tools["x"].limits[0].scope}, the message. */
    private static StatusCause cause(String problem) {
        int colon = problem.indexOf(": ");
        String field = colon > 0 && problem.startsWith("spec") ? problem.substring(0, colon) : null;
        String message = field == null ? problem : problem.substring(colon + 2);
        return new StatusCauseBuilder().withReason("FieldValueInvalid").withField(field).withMessage(message).build();
    }
}
