package dev.toolgate.operator.injection;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.toolgate.operator.AdmissionReviews;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.zjsonpatch.JsonDiff;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Answers a Pod CREATE AdmissionReview: decides, mutates and returns the difference as a JSON patch. Always allows
 * the pod — whether an unprotected pod may start at all is the webhook configuration's failurePolicy's business.
 */
public class AdmissionHandler {

    private static final Logger LOG = Logger.getLogger(AdmissionHandler.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Function<String, List<McpPolicy>> policiesInNamespace;
    private final java.util.function.Supplier<SidecarSettings> settings;
    private final MeterRegistry meters;

    public AdmissionHandler(Function<String, List<McpPolicy>> policiesInNamespace, java.util.function.Supplier<SidecarSettings> settings, MeterRegistry meters) {
        this.policiesInNamespace = policiesInNamespace;
        this.settings = settings;
        this.meters = meters;
    }

    public AdmissionReview handle(AdmissionReview review) {
        return AdmissionReviews.answer(review, this::respond, (request, e) -> {
            meters.counter("toolgate.operator.admission.requests", "result", "error", "reason", "error").increment();
            LOG.errorf(e, "Admission of pod %s/%s failed", request.getNamespace(), podName(request));
            // An error is an error: the API server applies failurePolicy (Fail by default) rather than admit it uninjected.
            return "toolgate injection failed: " + e.getMessage();
        });
    }

    private AdmissionResponse respond(AdmissionRequest request) {
        AdmissionResponseBuilder response = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(true);
        if (!"CREATE".equals(request.getOperation()) || request.getKind() == null || !"Pod".equals(request.getKind().getKind())
                || !(request.getObject() instanceof Pod pod)) {
            return record(response, InjectionDecision.skip(InjectionReason.NOT_A_POD_CREATE), request).build();
        }
        String namespace = request.getNamespace();
        InjectionDecision decision = InjectionDecision.admit(pod, policiesInNamespace.apply(namespace), settings.get());
        if (decision.selectedButSkipped()) {
            record(response, decision, request);
            return response.withWarnings(List.of("toolgate: not injected although McpPolicy " + decision.policy().getMetadata().getName()
                    + " selects this pod: " + decision.reason().sentence())).build();
        }
        if (decision.reason().refuses()) {
            record(response, decision, request);
            return refused(response, decision.refusal());
        }
        if (!decision.inject()) {
            record(response, decision, request);
            return response.build();
        }
        record(response, decision, request);
        Pod injected = PodMutator.inject(pod, decision.policy(), settings.get());
        JsonNode patch = JsonDiff.asJson(JSON.valueToTree(pod), JSON.valueToTree(injected));
        List<String> warnings = new ArrayList<>();
        if (!decision.overruled().isEmpty()) {
            warnings.add("toolgate: pod is also selected by McpPolicy " + String.join(", ", decision.overruled()) + "; injected "
                    + decision.policy().getMetadata().getName() + " (oldest policy wins)");
        }
        List<String> sameUid = PodMutator.containersSharingTheSidecarUid(pod, settings.get());
        if (!sameUid.isEmpty()) {
            warnings.add("toolgate: container(s) " + String.join(", ", sameUid) + " run as the sidecar's uid "
                    + settings.get().runAsUser() + ", so their connections to the MCP port inside the pod bypass the sidecar;"
                    + " run them as another uid");
        }
        return response.withPatchType("JSONPatch")
                .withPatch(Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8)))
                .withWarnings(warnings.isEmpty() ? null : warnings)
                .build();
    }

    private static AdmissionResponse refused(AdmissionResponseBuilder response, String message) {
        return response.withAllowed(false)
                .withStatus(new io.fabric8.kubernetes.api.model.StatusBuilder().withCode(400).withReason("Invalid").withMessage(message).build())
                .build();
    }

    private AdmissionResponseBuilder record(AdmissionResponseBuilder response, InjectionDecision decision, AdmissionRequest request) {
        String result = decision.inject() ? "injected" : decision.reason().refuses() ? "refused" : "skipped";
        meters.counter("toolgate.operator.admission.requests", "result", result, "reason",
                decision.reason().label()).increment();
        LOG.debugf("Pod %s/%s: %s", request.getNamespace(), podName(request), decision.reason().sentence());
        return response;
    }

    private static String podName(AdmissionRequest request) {
        if (request.getObject() instanceof Pod pod && pod.getMetadata() != null) {
            return pod.getMetadata().getName() != null ? pod.getMetadata().getName() : pod.getMetadata().getGenerateName() + "*";
        }
        return request.getName();
    }
}
