package dev.toolgate.sidecar.enforce;

import dev.toolgate.policy.AnnouncedDefinitions;
import dev.toolgate.sidecar.observe.AuditLog;
import dev.toolgate.sidecar.observe.ToolCallMetrics;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What the MCP server last announced of each pinned tool: the {@link dev.toolgate.policy.ToolDefinitionDigest} of the
 * definition in the latest tools/list result the sidecar relayed that listed it, on any stream and in any session. The
 * decision path asks it ({@link AnnouncedDefinitions}): a pinned tool is callable only while its last announced
 * definition is the pinned one. Only pinned names are recorded, so it holds at most the policy's pinned names (and
 * those of earlier policies). A change of a pinned tool's announced definition away from its pin is reported once per
 * change, not per listing; so is its return to the pin.
 */
@Singleton
public class ToolDefinitions implements AnnouncedDefinitions {

    /** A pinned tool's announced definition moved away from its pin, or back to it. */
    public record Change(String tool, String pin, String previous, String announced) {
        /** Whether the tool now announces its pinned definition again (after another one). */
        public boolean restored() {
            return announced.equals(pin);
        }
    }

    /** Told of each {@link Change}, on the thread that inspected the listing. */
    @FunctionalInterface
    public interface Listener {
        void changed(Change change);
    }

    /** A tool's last announced digest and the pin it was compared with then. */
    private record Seen(String digest, String pin) {
        boolean matches() {
            return digest.equals(pin);
        }
    }

    private final ConcurrentHashMap<String, Seen> announced = new ConcurrentHashMap<>();
    private final Listener listener;

    @Inject
    public ToolDefinitions(AuditLog audit, ToolCallMetrics metrics) {
        this(change -> {
            if (!change.restored()) {
                metrics.definitionChanged(change.tool());
            }
            audit.definitionChanged(change.tool(), change.pin(), change.previous(), change.announced());
        });
    }

    public ToolDefinitions(Listener listener) {
        this.listener = listener;
    }

    @Override
    public String digest(String tool) {
        Seen seen = tool == null ? null : announced.get(tool);
        return seen == null ? null : seen.digest();
    }

    /**
     * Records that a tools/list result announced {@code tool} (pinned to {@code pin}) with the definition whose digest
     * is {@code digest}, and reports it when that is a change away from the pin or back to it.
     */
    void announced(String tool, String digest, String pin) {
        Seen now = new Seen(digest, pin);
        Seen before = announced.put(tool, now);
        boolean changed = !now.matches() && (before == null || before.matches() || !before.digest().equals(digest));
        boolean restored = now.matches() && before != null && !before.matches();
        if (changed || restored) {
            listener.changed(new Change(tool, pin, before == null ? null : before.digest(), digest));
        }
    }
}
