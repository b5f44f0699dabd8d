package dev.toolgate.operator;

/** Kubernetes names, labels and annotations shared by the reconciler and the webhook (see docs/CONTRACTS.md). */
public final class ToolgateNames {

    public static final String GROUP = "toolgate.dev";
    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "toolgate-operator";
    public static final String POLICY_LABEL = "toolgate.dev/policy";

    public static final String POLICY_ANNOTATION = "toolgate.dev/policy";
    public static final String POLICY_HASH_ANNOTATION = "toolgate.dev/policy-hash";
    public static final String INJECT_ANNOTATION = "toolgate.dev/inject";
    /** The chart's webhook objectSelector leaves out pods with this label set to "false". */
    public static final String INJECT_LABEL = "toolgate.dev/inject";
    public static final String RESTARTED_AT_ANNOTATION = "toolgate.dev/restartedAt";
    /** On a Deployment/StatefulSet: the hash of the pod template the operator restarted it for (restarted once per template). */
    public static final String RESTARTED_TEMPLATE_ANNOTATION = "toolgate.dev/restarted-template";
    public static final String INJECTION_NAMESPACE_LABEL = "toolgate.dev/injection";

    public static final String POLICY_FILE_KEY = "policy.json";
    public static final String POLICY_MOUNT_PATH = "/etc/toolgate";
    public static final String SIDECAR_CONTAINER = "toolgate-sidecar";
    public static final String SIDECAR_MANAGEMENT_PORT_NAME = "tg-mgmt";
    public static final int SIDECAR_MANAGEMENT_PORT = 9000;
    public static final String POLICY_VOLUME = "toolgate-policy";
    public static final String TMP_VOLUME = "toolgate-tmp";
    /** spec.identity.serviceAccount: the pod's service-account token, projected for the sidecar alone. */
    public static final String SERVICE_ACCOUNT_TOKEN_VOLUME = "toolgate-sa-token";
    public static final String SERVICE_ACCOUNT_TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
    /** spec.identity.jwt.caConfigMap: the CA bundle the sidecar trusts for the issuer's TLS. */
    public static final String JWT_CA_VOLUME = "toolgate-jwt-ca";
    public static final String JWT_CA_MOUNT_PATH = "/etc/toolgate-jwt-ca";
    public static final String JWT_CA_KEY = "ca.crt";
    /** Secret volumes of the Redis password and CA certificate ({@code spec.rateLimits.redis}), and where the sidecar reads them. */
    public static final String REDIS_PASSWORD_VOLUME = "toolgate-redis-password";
    public static final String REDIS_PASSWORD_FILE = "/etc/toolgate-redis/password";
    public static final String REDIS_CA_VOLUME = "toolgate-redis-ca";
    public static final String REDIS_CA_FILE = "/etc/toolgate-redis-ca/ca.crt";
    /** The MCP container's port takes this name once the sidecar has taken over the original name. */
    public static final String UPSTREAM_PORT_NAME = "tg-upstream";

    public static final String WEBHOOK_CONFIGURATION = "toolgate-injector";
    public static final String WEBHOOK_TLS_SECRET = "toolgate-webhook-tls";
    public static final String WEBHOOK_SERVICE = "toolgate-operator";
    public static final String WEBHOOK_PATH = "/mutate-pods";
    /** The ValidatingWebhookConfiguration that runs the policy engine on every McpPolicy write, and its path. */
    public static final String APPROVALS_AUDIENCE = "toolgate-operator";
    public static final String APPROVALS_PATH = "/approvals/v1/";
    /** The Secret in the operator's namespace that holds the master key of the approval request states' keys. */
    public static final String APPROVAL_STATE_SECRET = "toolgate-approval-state-key";
    public static final String APPROVAL_ADMISSION_PATH = "/mutate-mcpapprovals";
    public static final String APPROVAL_ADMISSION_CONFIGURATION = "toolgate-approval-stamp";
    public static final String APPROVAL_KEY_LABEL = "toolgate.dev/approval-key";
    public static final String APPROVAL_SEQ_LABEL = "toolgate.dev/approval-seq";
    public static final String APPROVALS_TOKEN_VOLUME = "toolgate-approvals-token";
    public static final String APPROVALS_TOKEN_MOUNT_PATH = "/var/run/secrets/toolgate/approvals";
    public static final String OPERATOR_CA_KEY = "operator-ca.crt";

    public static final String POLICY_VALIDATION_CONFIGURATION = "toolgate-policy-validator";
    public static final String POLICY_VALIDATION_PATH = "/validate-mcppolicies";

    private ToolgateNames() {
    }

    /** The ConfigMap holding a policy's rendered {@code policy.json}. */
    public static String configMapName(String policyName) {
        return policyName + "-toolgate-policy";
    }

    /** The NetworkPolicy that closes a policy's pods to all but their declared ports (named as its ConfigMap). */
    public static String networkPolicyName(String policyName) {
        return policyName + "-toolgate-policy";
    }
}
