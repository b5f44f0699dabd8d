package dev.toolgate.operator;

import java.util.function.Function;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;

/** The AdmissionReview envelope both webhooks answer in: the request's uid checked, a fault answered as a refusal. */
public final class AdmissionReviews {

    /** What a handler does when answering failed: record it, and say what to put in the refusal. */
    public interface OnFault {
        /** @return the message of the 500 refusal (the API server then applies the webhook's failurePolicy) */
        String recorded(AdmissionRequest request, RuntimeException fault);
    }

    private AdmissionReviews() {
    }

    /**
     * The answer to {@code review}: {@code respond}'s, or, when it throws, a refusal with code 500 and
     * {@code onFault}'s message.
     *
     * @throws IllegalArgumentException when the review has no request uid (the webhook server answers 400)
     */
    public static AdmissionReview answer(AdmissionReview review, Function<AdmissionRequest, AdmissionResponse> respond, OnFault onFault) {
        AdmissionRequest request = review.getRequest();
        if (request == null || request.getUid() == null) {
            throw new IllegalArgumentException("AdmissionReview has no request uid");
        }
        AdmissionResponse response;
        try {
            response = respond.apply(request);
        } catch (RuntimeException e) {
            response = new AdmissionResponseBuilder().withUid(request.getUid()).withAllowed(false)
                    .withStatus(new StatusBuilder().withCode(500).withMessage(onFault.recorded(request, e)).build())
                    .build();
        }
        return new AdmissionReviewBuilder().withApiVersion("admission.k8s.io/v1").withKind("AdmissionReview").withResponse(response).build();
    }
}
