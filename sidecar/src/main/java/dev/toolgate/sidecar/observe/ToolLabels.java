package dev.toolgate.sidecar.observe;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the {@code tool} metric label bounded: only names the policy lists exactly or the server announced in
 * {@code tools/list} (up to a cap) become labels; any other name a client invents is {@code other}.
 */
public final class ToolLabels {
    public static final String OTHER = "other";

    private final Set<String> announced = ConcurrentHashMap.newKeySet();
    private final int maxAnnounced;
    private volatile Set<String> policyNames = Set.of();

    public ToolLabels(int maxAnnounced) {
        this.maxAnnounced = maxAnnounced;
    }

    public void policyNames(Set<String> names) {
        this.policyNames = Set.copyOf(names);
    }

    public void announced(String tool) {
        if (announced.size() < maxAnnounced) {
            announced.add(tool);
        }
    }

    public String label(String tool) {
        if (tool != null && (policyNames.contains(tool) || announced.contains(tool))) {
            return tool;
        }
        return OTHER;
    }
}
