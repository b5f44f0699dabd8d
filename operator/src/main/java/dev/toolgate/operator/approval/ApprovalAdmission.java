package dev.toolgate.operator.approval;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Objects;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.AdmissionReviews;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.zjsonpatch.JsonDiff;

/**
 * The mutating admission of McpApprovals, which makes a decision trustworthy:
 * <ul>
 * <li>only the operator creates them, and never with a decision;</li>
 * <li>what is to be approved ({@code spec} but {@code decision}) never changes;</li>
 * <li>a decision is made once, by someone other than the requester, and the webhook writes {@code approver} (the
 * Kubernetes user of the request) and {@code decidedAt}, overwriting whatever the patch said.</li>
 * </ul>
 * Who may decide at all is RBAC's: {@code patch} on {@code mcpapprovals}.
 */
public class ApprovalAdmission {

    private static final Logger LOG = Logger.getLogger(ApprovalAdmission.class);
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final String operatorUser;
    private final Clock clock;

    public ApprovalAdmission(String operatorUser, Clock clock) {
        this.operatorUser = operatorUser;
        this.clock = clock;
    }

    public AdmissionReview handle(AdmissionReview review) {
        return AdmissionReviews.answer(review, this::respond, (request, e) -> {
            LOG.errorf(e, "Admission of McpApproval %s/%s failed", request.getNamespace(), request.getName());
            return "toolgate could not check the McpApproval: " + e.getMessage();
        });
    }

    private AdmissionResponse respond(AdmissionRequest request) {
        AdmissionResponseBuilder allowed = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(true);
        if (request.getKind() == null || !"McpApproval".equals(request.getKind().getKind()) || request.getObject() == null
                || request.getSubResource() != null && !request.getSubResource().isEmpty()) {
            return allowed.build();
        }
        String user = request.getUserInfo() == null ? null : request.getUserInfo().getUsername();
        McpApproval approval = JSON.convertValue(request.getObject(), McpApproval.class);
        if ("CREATE".equals(request.getOperation())) {
            if (!operatorUser.equals(user)) {
                return refused(request, 403, "McpApprovals are created by the Toolgate operator when a call needs one; " + user + " cannot create them");
            }
            if (approval.getSpec() != null && approval.getSpec().getDecision() != null) {
                return refused(request, 422, "a new McpApproval cannot carry a decision");
            }
            return allowed.build();
        }
        if (!"UPDATE".equals(request.getOperation()) || request.getOldObject() == null) {
            return allowed.build();
        }
        McpApproval old = JSON.convertValue(request.getOldObject(), McpApproval.class);
        ObjectNode oldSpec = JSON.valueToTree(old.getSpec());
        ObjectNode newSpec = JSON.valueToTree(approval.getSpec());
        JsonNode oldDecision = oldSpec.remove("decision");
        JsonNode newDecision = newSpec.remove("decision");
        if (!oldSpec.equals(newSpec)) {
            return refused(request, 422, "spec." + firstDifference(oldSpec, newSpec) + " is immutable: an approval is for the call it was requested for; "
                    + "only spec.decision may be set");
        }
        if (Objects.equals(oldDecision, newDecision)) {
            return allowed.build();
        }
        if (oldDecision != null && !oldDecision.isNull()) {
            ApprovalDecision made = old.getSpec().getDecision();
            return refused(request, 409, "already decided: " + made.getVerdict() + " by " + made.getApprover() + " at " + made.getDecidedAt()
                    + "; a decision cannot be changed");
        }
        ApprovalDecision decision = approval.getSpec().getDecision();
        if (decision.getVerdict() == null) {
            return refused(request, 422, "spec.decision.verdict is required: Approved or Rejected");
        }
        if (user == null || user.isBlank()) {
            return refused(request, 403, "the request has no user to record as the approver");
        }
        if (user.equals(approval.getSpec().getRequester().getSubject())) {
            return refused(request, 403, user + " requested this call and cannot decide it: another person must");
        }
        if (decision.getValidFor() != null) {
            Duration validFor = ApprovalLimits.parseDuration(decision.getValidFor());
            if (validFor == null || validFor.isZero() || validFor.isNegative() || validFor.compareTo(ApprovalLimits.MAX_VALID_FOR) > 0) {
                return refused(request, 422, "spec.decision.validFor: expected a duration like \"30m\" or \"2h\", at most 24h, got \""
                        + decision.getValidFor() + "\"");
            }
            if (decision.getVerdict() == ApprovalDecision.Verdict.REJECTED) {
                return refused(request, 422, "spec.decision.validFor applies to an approval, not a rejection");
            }
        }
        if (decision.getUses() != null && decision.getVerdict() == ApprovalDecision.Verdict.REJECTED) {
            return refused(request, 422, "spec.decision.uses applies to an approval, not a rejection");
        }
        if (ApprovalState.of(old, clock.instant()) == ApprovalState.EXPIRED) {
            return refused(request, 409, "the request expired at " + old.getSpec().getExpiresAt() + "; the agent's next call asks again");
        }
        decision.setApprover(user);
        decision.setDecidedAt(clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
        JsonNode patch = JsonDiff.asJson(JSON.valueToTree(request.getObject()), JSON.valueToTree(withDecision(request.getObject(), decision)));
        LOG.infof("McpApproval %s/%s: %s by %s", request.getNamespace(), request.getName(), decision.getVerdict(), user);
        return allowed.withPatchType("JSONPatch")
                .withPatch(Base64.getEncoder().encodeToString(patch.toString().getBytes(StandardCharsets.UTF_8))).build();
    }

    /** The submitted object with its decision replaced: everything else exactly as submitted. */
    private static JsonNode withDecision(Object submitted, ApprovalDecision decision) {
        ObjectNode object = JSON.valueToTree(submitted);
        ((ObjectNode) object.get("spec")).set("decision", JSON.valueToTree(decision));
        return object;
    }

    private static String firstDifference(ObjectNode a, ObjectNode b) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        a.fieldNames().forEachRemaining(names::add);
        b.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            if (!Objects.equals(a.get(name), b.get(name))) {
                return name;
            }
        }
        return "?";
    }

    private static AdmissionResponse refused(AdmissionRequest request, int code, String message) {
        return new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(false)
                .withStatus(new StatusBuilder().withCode(code).withMessage("McpApproval " + request.getNamespace() + "/" + request.getName()
                        + ": " + message).build()).build();
    }
}
