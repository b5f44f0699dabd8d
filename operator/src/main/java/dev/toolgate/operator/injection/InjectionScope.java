package dev.toolgate.operator.injection;

import java.util.List;
import java.util.Map;

import dev.toolgate.operator.LabelSelectors;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;

/**
 * Which pods the API server sends to the injection webhook at all: the namespaceSelector and objectSelector of the
 * MutatingWebhookConfiguration's webhooks that take pod CREATEs, as installed (the chart's values can change them; the
 * same configuration also holds the McpApproval webhook), evaluated as the API server does (an absent selector matches
 * everything). Pure.
 */
public record InjectionScope(List<Selectors> webhooks) {

    public record Selectors(LabelSelector namespaceSelector, LabelSelector objectSelector) {
    }

    /** {@code configuration} null: the webhook is not registered, and no pod is sent to it. */
    public static InjectionScope of(MutatingWebhookConfiguration configuration) {
        List<MutatingWebhook> webhooks = configuration == null || configuration.getWebhooks() == null ? List.of()
                : configuration.getWebhooks();
        return new InjectionScope(webhooks.stream().filter(InjectionScope::takesPodCreates)
                .map(w -> new Selectors(w.getNamespaceSelector(), w.getObjectSelector())).toList());
    }

    private static boolean takesPodCreates(MutatingWebhook webhook) {
        return webhook.getRules() != null && webhook.getRules().stream().anyMatch(rule -> anyOf(rule.getApiGroups(), "")
                && anyOf(rule.getResources(), "pods") && anyOf(rule.getOperations(), "CREATE"));
    }

    private static boolean anyOf(List<String> values, String wanted) {
        return values != null && (values.contains(wanted) || values.contains("*"));
    }

    /** Null when the API server would send a pod with these labels in a namespace with these labels to the webhook; else why not. */
    public InjectionReason excludes(Map<String, String> namespaceLabels, Map<String, String> podLabels) {
        if (webhooks.isEmpty()) {
            return InjectionReason.WEBHOOK_NOT_REGISTERED;
        }
        InjectionReason why = InjectionReason.NAMESPACE_NOT_SELECTED;
        for (Selectors webhook : webhooks) {
            if (!selects(webhook.namespaceSelector(), namespaceLabels)) {
                continue;
            }
            if (selects(webhook.objectSelector(), podLabels)) {
                return null;
            }
            why = InjectionReason.POD_NOT_SELECTED;
        }
        return why;
    }

    private static boolean selects(LabelSelector selector, Map<String, String> labels) {
        return selector == null || LabelSelectors.matches(selector, labels);
    }
}
