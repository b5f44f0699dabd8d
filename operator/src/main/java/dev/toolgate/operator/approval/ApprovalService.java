package dev.toolgate.operator.approval;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.toolgate.operator.KubernetesEvents;
import dev.toolgate.operator.ToolgateNames;
import dev.toolgate.operator.mcppolicy.McpPolicy;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The operator's approval API for sidecars ({@code POST /approvals/v1/request}, {@code /status} and {@code /consume}), on the webhook's
 * HTTPS port. A sidecar that meets a call needing approval <em>requests</em> it: the latest McpApproval for the same
 * policy, requester, tool and arguments digest is answered as it stands, or a new pending one is created. A sidecar
 * holding the call (hold mode) asks for its <em>status</em> until it is decided. When it is
 * approved, the sidecar decides the call again (its limits still apply) and <em>consumes</em> it: one use, taken by an
 * optimistic-concurrency update of the status, so two replicas racing for one approval cannot both run the call. A
 * sidecar in elicit mode fetches its policy's <em>state-key</em> ({@link StateKeys}), the same for every replica.
 */
public class ApprovalService {

    private static final Logger LOG = Logger.getLogger(ApprovalService.class);
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONSUME_ATTEMPTS = 5;

    private final KubernetesClient client;
    private final SidecarAuthenticator authenticator;
    private final ApprovalRecorder recorder;
    private final Clock clock;
    private final StateKeys stateKeys;

    public ApprovalService(KubernetesClient client, SidecarAuthenticator authenticator, ApprovalRecorder recorder, Clock clock,
            StateKeys stateKeys) {
        this.client = client;
        this.authenticator = authenticator;
        this.recorder = recorder;
        this.clock = clock;
        this.stateKeys = stateKeys;
    }

    /** A request body: a JSON object, or a 400 naming what is wrong. */
    public static JsonNode parse(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw new ApprovalException(400, "expected a JSON object");
            }
            return node;
        } catch (java.io.IOException e) {
            throw new ApprovalException(400, "invalid JSON: " + e.getMessage());
        }
    }

    /** Answers {@code operation} ("request" or "consume") for the sidecar presenting {@code authorization}. */
    public ObjectNode handle(String operation, String authorization, JsonNode body) {
        SidecarAuthenticator.SidecarPod pod = authenticator.authenticate(authorization);
        String policyName = text(body, "policy", true);
        if (!policyName.equals(pod.policy())) {
            throw new ApprovalException(403, "pod " + pod.namespace() + "/" + pod.name() + " is governed by McpPolicy "
                    + (pod.policy() == null ? "(none: it runs no Toolgate sidecar)" : pod.policy()) + ", not " + policyName);
        }
        McpPolicy policy = client.resources(McpPolicy.class).inNamespace(pod.namespace()).withName(policyName).get();
        if (policy == null) {
            throw new ApprovalException(404, "McpPolicy " + pod.namespace() + "/" + policyName + " does not exist");
        }
        if (!dev.toolgate.operator.LabelSelectors.matches(policy.getSpec().getPodSelector(), pod.labels())) {
            throw new ApprovalException(403, "McpPolicy " + policyName + " does not select pod " + pod.namespace() + "/" + pod.name());
        }
        return switch (operation) {
            case "request" -> request(pod, policy, body);
            case "consume" -> consume(pod, body);
            case "status" -> status(pod, body);
            case "state-key" -> JSON.createObjectNode().put("key",
                    java.util.Base64.getEncoder().encodeToString(stateKeys.keyFor(pod.namespace(), policyName)));
            default -> throw new ApprovalException(404, "unknown approval operation " + operation
                    + "; expected request, status, consume or state-key");
        };
    }

    private ObjectNode request(SidecarAuthenticator.SidecarPod pod, McpPolicy policy, JsonNode body) {
        String policyName = policy.getMetadata().getName();
        String tool = text(body, "tool", true);
        String digest = text(body, "argumentsSha256", true);
        if (!digest.matches("[0-9a-f]{64}")) {
            throw new ApprovalException(400, "argumentsSha256 must be 64 lowercase hex digits");
        }
        JsonNode requesterNode = body.get("requester");
        if (requesterNode == null || !requesterNode.isObject()) {
            throw new ApprovalException(400, "requester is required: {\"subject\": ..., \"groups\": [...], \"source\": ...}");
        }
        ApprovalRequester requester = JSON.convertValue(requesterNode, ApprovalRequester.class);
        if (requester.getSubject() == null || requester.getSubject().isBlank() || "anonymous".equals(requester.getSubject())) {
            throw new ApprovalException(400, "an anonymous call cannot be approved: the approval is bound to who asks");
        }
        String key = key(policyName, requester.getSubject(), tool, digest);
        // Two sidecars filing the same call at once (two replicas, a client retrying) race for the name: the loser reads
        // again and answers with the winner's approval, so one call waits for one approval.
        for (int attempt = 0; attempt < 3; attempt++) {
            List<McpApproval> existing = approvalsFor(pod.namespace(), key);
            Instant now = clock.instant();
            McpApproval latest = existing.isEmpty() ? null : existing.get(existing.size() - 1);
            ObjectNode answer = JSON.createObjectNode();
            if (latest != null) {
                ApprovalState state = ApprovalState.of(latest, now);
                boolean rejectionStands = state == ApprovalState.REJECTED && !now.isAfter(ApprovalState.expiresAt(latest.getSpec()));
                if (state == ApprovalState.PENDING || state == ApprovalState.APPROVED || rejectionStands) {
                    return describe(answer, latest, state);
                }
                answer.set("previous", describe(JSON.createObjectNode(), latest, state));
            }
            McpApproval created = create(pod, policy, body, requester, tool, digest, key, existing, now);
            if (created != null) {
                recorder.requested(created, pod);
                return describe(answer, created, ApprovalState.PENDING);
            }
        }
        throw new ApprovalException(503, "could not file an approval for " + tool + ": other requests kept filing it first");
    }

    /** The new pending approval, or null when another request created one of that number first (read again then). */
    private McpApproval create(SidecarAuthenticator.SidecarPod pod, McpPolicy policy, JsonNode body, ApprovalRequester requester,
            String tool, String digest, String key, List<McpApproval> existing, Instant now) {
        long expiresAfterSeconds = body.path("expiresAfterSeconds").asLong(3600);
        if (expiresAfterSeconds < 1 || expiresAfterSeconds > ApprovalLimits.MAX_EXPIRES_AFTER.toSeconds()) {
            throw new ApprovalException(400, "expiresAfterSeconds must be between 1 and " + ApprovalLimits.MAX_EXPIRES_AFTER.toSeconds());
        }
        int seq = existing.stream().mapToInt(ApprovalService::seq).max().orElse(0) + 1;
        McpApproval approval = new McpApproval();
        approval.getMetadata().setNamespace(pod.namespace());
        approval.getMetadata().setName(slug(tool) + "-" + key.substring(0, 8) + "-" + seq);
        approval.getMetadata().setLabels(Map.of(ToolgateNames.APPROVAL_KEY_LABEL, key, ToolgateNames.APPROVAL_SEQ_LABEL,
                Integer.toString(seq), ToolgateNames.POLICY_LABEL, policy.getMetadata().getName(),
                ToolgateNames.MANAGED_BY_LABEL, ToolgateNames.MANAGED_BY_VALUE));
        approval.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion(policy.getApiVersion())
                .withKind(policy.getKind()).withName(policy.getMetadata().getName()).withUid(policy.getMetadata().getUid()).build()));
        McpApprovalSpec spec = new McpApprovalSpec();
        spec.setPolicy(policy.getMetadata().getName());
        spec.setPolicyHash(optionalText(body, "policyHash"));
        spec.setTool(tool);
        requester.setGrant(blankToNull(optionalText(body, "grant")));
        requester.setSession(blankToNull(optionalText(body, "session")));
        spec.setRequester(requester);
        JsonNode arguments = body.get("arguments");
        boolean show = body.path("argumentsShown").asBoolean(true) && arguments != null
                && arguments.toString().getBytes(StandardCharsets.UTF_8).length <= ApprovalLimits.MAX_ARGUMENT_BYTES;
        spec.setArguments(show ? arguments : null);
        spec.setArgumentsShown(show);
        spec.setArgumentsSha256(digest);
        spec.setRequestedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
        spec.setExpiresAt(now.plusSeconds(expiresAfterSeconds).truncatedTo(ChronoUnit.SECONDS).toString());
        approval.setSpec(spec);
        try {
            McpApproval created = client.resource(approval).create();
            try {
                McpApprovalStatus status = new McpApprovalStatus();
                status.setState(ApprovalState.PENDING.spelling());
                status.setConsumed(0);
                status.setMessage("waiting for a human: kubectl toolgate approve " + created.getMetadata().getName() + " -n "
                        + pod.namespace());
                created.setStatus(status);
                created = client.resource(created).updateStatus();
            } catch (KubernetesClientException e) {
                LOG.debugf("status of new approval %s left for the reconciler: %s", created.getMetadata().getName(), e.getMessage());
            }
            return created;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            return null; // another request created it first
        }
    }

    /**
     * Where one approval stands now, without filing anything: what a sidecar holding a call (hold mode) asks until it
     * is decided. Bound like a consumption to the policy, requester, tool and digest, so a sidecar reads only the
     * approval of the call it holds.
     */
    private ObjectNode status(SidecarAuthenticator.SidecarPod pod, JsonNode body) {
        String name = text(body, "approval", true);
        McpApproval approval = client.resources(McpApproval.class).inNamespace(pod.namespace()).withName(name).get();
        if (approval == null) {
            throw new ApprovalException(404, "McpApproval " + pod.namespace() + "/" + name + " no longer exists");
        }
        McpApprovalSpec spec = approval.getSpec();
        if (!spec.getPolicy().equals(text(body, "policy", true)) || !spec.getRequester().getSubject().equals(text(body, "subject", true))
                || !spec.getTool().equals(text(body, "tool", true)) || !spec.getArgumentsSha256().equals(text(body, "argumentsSha256", true))) {
            throw new ApprovalException(403, "McpApproval " + name + " is for another call (it binds the requester, the tool and the arguments digest)");
        }
        return describe(JSON.createObjectNode(), approval, ApprovalState.of(approval, clock.instant()));
    }

    private ObjectNode consume(SidecarAuthenticator.SidecarPod pod, JsonNode body) {
        String name = text(body, "approval", true);
        String subject = text(body, "subject", true);
        String tool = text(body, "tool", true);
        String digest = text(body, "argumentsSha256", true);
        for (int attempt = 0; attempt < CONSUME_ATTEMPTS; attempt++) {
            McpApproval approval = client.resources(McpApproval.class).inNamespace(pod.namespace()).withName(name).get();
            if (approval == null) {
                return refusal(name, "the approval no longer exists");
            }
            McpApprovalSpec spec = approval.getSpec();
            if (!spec.getPolicy().equals(text(body, "policy", true)) || !spec.getRequester().getSubject().equals(subject)
                    || !spec.getTool().equals(tool) || !spec.getArgumentsSha256().equals(digest)) {
                return refusal(name, "the approval is for another call (it binds the requester, the tool and the arguments digest)");
            }
            Instant now = clock.instant();
            ApprovalState state = ApprovalState.of(approval, now);
            if (state != ApprovalState.APPROVED) {
                return refusal(name, "the approval is " + state.spelling().toLowerCase(Locale.ROOT));
            }
            McpApprovalStatus status = approval.getStatus() == null ? new McpApprovalStatus() : approval.getStatus();
            int consumed = ApprovalState.consumed(approval) + 1;
            int uses = ApprovalState.uses(spec.getDecision());
            List<String> consumers = status.getConsumedBy() == null ? new ArrayList<>() : new ArrayList<>(status.getConsumedBy());
            consumers.add(pod.name());
            if (consumers.size() > ApprovalLimits.MAX_CONSUMERS_SHOWN) {
                consumers = consumers.subList(consumers.size() - ApprovalLimits.MAX_CONSUMERS_SHOWN, consumers.size());
            }
            status.setConsumed(consumed);
            status.setConsumedBy(consumers);
            status.setLastConsumedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
            status.setState(consumed >= uses ? ApprovalState.CONSUMED.spelling() : ApprovalState.APPROVED.spelling());
            status.setMessage(consumed >= uses ? "used: the approved call ran" + (uses == 1 ? "" : " " + uses + " times")
                    : "approved; " + (uses - consumed) + " of " + uses + " uses left");
            approval.setStatus(status);
            try {
                // the resourceVersion read above makes this update optimistic: a concurrent consumer gets 409 and re-reads
                McpApproval updated = client.resource(approval).updateStatus();
                recorder.consumed(updated, pod);
                ObjectNode answer = JSON.createObjectNode();
                answer.put("consumed", true);
                answer.put("approval", name);
                answer.put("remaining", uses - consumed);
                answer.put("approver", spec.getDecision().getApprover());
                return answer;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                LOG.infof("McpApproval %s/%s changed while %s consumed it; reading it again", pod.namespace(), name, pod.name());
            }
        }
        return refusal(name, "the approval was being used by another replica; try again");
    }

    private static ObjectNode refusal(String name, String reason) {
        ObjectNode answer = JSON.createObjectNode();
        answer.put("consumed", false);
        answer.put("approval", name);
        answer.put("reason", reason);
        return answer;
    }

    private static ObjectNode describe(ObjectNode answer, McpApproval approval, ApprovalState state) {
        McpApprovalSpec spec = approval.getSpec();
        answer.put("approval", approval.getMetadata().getName());
        answer.put("namespace", approval.getMetadata().getNamespace());
        answer.put("state", state.spelling());
        answer.put("expiresAt", ApprovalState.usableUntil(spec).toString());
        ApprovalDecision decision = spec.getDecision();
        if (decision != null) {
            if (decision.getApprover() != null) {
                answer.put("approver", decision.getApprover());
            }
            if (decision.getReason() != null) {
                answer.put("reason", decision.getReason());
            }
        }
        return answer;
    }

    /** Every approval of one call, oldest first. */
    private List<McpApproval> approvalsFor(String namespace, String key) {
        List<McpApproval> items = new ArrayList<>(client.resources(McpApproval.class).inNamespace(namespace)
                .withLabel(ToolgateNames.APPROVAL_KEY_LABEL, key).list().getItems());
        items.sort(Comparator.comparingInt(ApprovalService::seq));
        return items;
    }

    private static int seq(McpApproval approval) {
        Map<String, String> labels = approval.getMetadata().getLabels();
        try {
            return labels == null ? 0 : Integer.parseInt(labels.getOrDefault(ToolgateNames.APPROVAL_SEQ_LABEL, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** One call's identity across its approvals: policy, requester, tool and arguments digest, hashed to a label value. */
    static String key(String policy, String subject, String tool, String digest) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {policy, subject, tool, digest}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A DNS-label-safe form of a tool name, for readable approval names. */
    static String slug(String tool) {
        String slug = tool.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (slug.length() > 40) {
            slug = slug.substring(0, 40).replaceAll("-+$", "");
        }
        return slug.isEmpty() ? "tool" : slug;
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode value = body == null ? null : body.get(field);
        if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
            if (required) {
                throw new ApprovalException(400, field + " is required (a non-empty string)");
            }
            return null;
        }
        return value.textValue();
    }

    private static String optionalText(JsonNode body, String field) {
        return text(body, field, false);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }

}
