package dev.toolgate.operator.injection;

/** Why the webhook did or did not inject the sidecar; the sentence goes into logs, warnings and metrics' reason label. */
public enum InjectionReason {
    INJECTED("injected", "the pod is selected by an McpPolicy and gets the sidecar"),
    OPTED_OUT("opted_out", "the pod is annotated toolgate.dev/inject: \"false\""),
    ALREADY_INJECTED("already_injected", "the pod already has a toolgate-sidecar container"),
    NO_MATCHING_POLICY("no_matching_policy", "no McpPolicy in the pod's namespace selects the pod"),
    HOST_NETWORK("host_network", "the pod uses the node's network (hostNetwork: true): a sidecar there would bind ports on the"
            + " node and could not take over the MCP port, so the pod is admitted without it and runs unprotected"),
    PORT_CLASH("port_clash", "a container of the pod uses a port the sidecar needs; the pod is refused"),
    INVALID_IDENTITY("invalid_identity", "the selecting McpPolicy's spec.identity is invalid (see its Accepted condition); the pod is"
            + " refused rather than started with an identity configuration nobody accepted"),
    NOT_A_POD_CREATE("not_a_pod_create", "the request is not the creation of a Pod"),
    // The API server's side: pods it never sends to the webhook (InjectionScope).
    WEBHOOK_NOT_REGISTERED("webhook_not_registered", "the MutatingWebhookConfiguration toolgate-injector does not exist or has no"
            + " webhook for pod creation, so no pod is sent to the webhook"),
    NAMESPACE_NOT_SELECTED("namespace_not_selected", "the pod's namespace is outside the webhook's namespaceSelector (by the chart's"
            + " default: not labelled toolgate.dev/injection=enabled)"),
    POD_NOT_SELECTED("pod_not_selected", "the pod's labels are outside the webhook's objectSelector (by the chart's default: labelled"
            + " toolgate.dev/inject: \"false\")");

    private final String label;
    private final String sentence;

    InjectionReason(String label, String sentence) {
        this.label = label;
        this.sentence = sentence;
    }

    /** Whether the webhook refuses the pod (metric result {@code refused}). */
    public boolean refuses() {
        return this == PORT_CLASH || this == INVALID_IDENTITY;
    }

    /** Stable lower-case code, used as a metric label. */
    public String label() {
        return label;
    }

    /** Human-readable explanation. */
    public String sentence() {
        return sentence;
    }
}
