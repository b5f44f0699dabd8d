package dev.toolgate.operator.approval;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.toolgate.operator.ToolgateNames;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Who a sidecar is: its pod's projected service-account token (audience {@link ToolgateNames#APPROVALS_AUDIENCE}),
 * verified by the API server (TokenReview), and the pod the token is bound to, which must still exist with the same uid.
 * The sidecar needs no Kubernetes rights for this. Verified tokens are remembered for a minute.
 */
public class SidecarAuthenticator {

    /**
     * The pod a verified sidecar runs in: the policy it was injected with (null when it has no Toolgate sidecar, whatever
     * its annotations say) and its labels, for the policy's selector.
     */
    public record SidecarPod(String namespace, String name, String serviceAccount, String policy, Map<String, String> labels) {
    }

    static final long REMEMBER_MILLIS = 60_000;
    private static final int REMEMBERED = 1024;
    private static final String POD_NAME = "authentication.kubernetes.io/pod-name";
    private static final String POD_UID = "authentication.kubernetes.io/pod-uid";

    private final KubernetesClient client;
    private final Clock clock;
    private final Map<String, Remembered> verified = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Remembered> eldest) {
            return size() > REMEMBERED;
        }
    };

    private record Remembered(SidecarPod pod, long until) {
    }

    public SidecarAuthenticator(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** The sidecar's pod; throws {@link ApprovalException} 401 when the token is missing, invalid or not a pod's. */
    public SidecarPod authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.length() <= 7) {
            throw new ApprovalException(401, "a Bearer token is required: the pod's projected service-account token for audience "
                    + ToolgateNames.APPROVALS_AUDIENCE);
        }
        String token = authorization.substring(7).trim();
        long now = clock.millis();
        synchronized (verified) {
            Remembered known = verified.get(token);
            if (known != null && known.until > now) {
                return known.pod;
            }
        }
        TokenReview review = client.resource(new TokenReviewBuilder().withNewSpec().withToken(token)
                .withAudiences(ToolgateNames.APPROVALS_AUDIENCE).endSpec().build()).create();
        if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
            String why = review.getStatus() == null || review.getStatus().getError() == null ? "not authenticated" : review.getStatus().getError();
            throw new ApprovalException(401, "the token was refused by the API server: " + why);
        }
        String username = review.getStatus().getUser().getUsername();
        String[] parts = username == null ? new String[0] : username.split(":");
        if (parts.length != 4 || !"system".equals(parts[0]) || !"serviceaccount".equals(parts[1])) {
            throw new ApprovalException(401, "the token is not a service account's (" + username + ")");
        }
        Map<String, List<String>> extra = review.getStatus().getUser().getExtra();
        String podName = first(extra, POD_NAME);
        String podUid = first(extra, POD_UID);
        if (podName == null || podUid == null) {
            throw new ApprovalException(401, "the token is not bound to a pod: use the sidecar's projected token");
        }
        Pod pod = client.pods().inNamespace(parts[2]).withName(podName).get();
        if (pod == null || !podUid.equals(pod.getMetadata().getUid())) {
            throw new ApprovalException(401, "the token's pod " + parts[2] + "/" + podName + " no longer exists");
        }
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        boolean injected = Stream.concat(pod.getSpec().getContainers().stream(),
                pod.getSpec().getInitContainers() == null ? Stream.empty() : pod.getSpec().getInitContainers().stream())
                .anyMatch(c -> ToolgateNames.SIDECAR_CONTAINER.equals(c.getName()));
        String policy = annotations == null || !injected ? null : annotations.get(ToolgateNames.POLICY_ANNOTATION);
        SidecarPod sidecar = new SidecarPod(parts[2], podName, parts[3], policy,
                pod.getMetadata().getLabels() == null ? Map.of() : Map.copyOf(pod.getMetadata().getLabels()));
        synchronized (verified) {
            verified.put(token, new Remembered(sidecar, now + REMEMBER_MILLIS));
        }
        return sidecar;
    }

    private static String first(Map<String, List<String>> extra, String key) {
        if (extra == null || extra.get(key) == null || extra.get(key).isEmpty()) {
            return null;
        }
        return extra.get(key).get(0);
    }

    static Instant now(Clock clock) {
        return clock.instant();
    }
}
