package dev.toolgate.sidecar.enforce;

import dev.toolgate.policy.AnnouncedDefinitions;
import dev.toolgate.sidecar.observe.AuditLog;
import dev.toolgate.sidecar.observe.ToolCallMetrics;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the MCP server last announced of each pinned tool: the {@link dev.toolgate.policy.ToolDefinitionDigest} of the
 * definition in the latest tools/list result the sidecar relayed that listed it, on any stream and in any session. The
 * decision path asks it ({@link AnnouncedDefinitions}): a pinned tool is callable only while its last announced
 * definition is the pinned one. Only pinned names are recorded, so it holds at most the policy's pinned names (and
 * those of earlier policies). A change of a pinned tool's announced definition away from its pin is reported once per
 * change, not per listing; so is its return to the pin.
 *
 * <p>When the sidecar relays {@code notifications/tools/list_changed} from the server (any stream, any session), every
 * recorded pinned tool becomes unverified: {@link #digest} answers {@code null} for it (so its calls are denied, fail
 * closed) until a later tools/list result announces its definition again, which then is reported as verified (the pinned
 * definition) or changed. This is global, like the record itself: the server's definitions are the server's, and a
 * notification in one session says nothing of whether another session's listing is current.
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
    public interface Listener {
        void changed(Change change);

        /** The server said its tools changed: {@code tools} (sorted), verified until then, are unverified now. */
        default void unverified(List<String> tools) {
        }

        /** A listing announced {@code tool} again after it was unverified; {@code matches}: with its pinned definition. */
        default void reverified(String tool, String pin, String announced, boolean matches) {
        }
    }

    /** A tool's last announced digest, the pin it was compared with then, and whether list_changed came since. */
    private record Seen(String digest, String pin, boolean stale) {
        boolean matches() {
            return digest.equals(pin);
        }
    }

    private final ConcurrentHashMap<String, Seen> announced = new ConcurrentHashMap<>();
    private final Listener listener;

    @Inject
    public ToolDefinitions(AuditLog audit, ToolCallMetrics metrics) {
        this(new Listener() {
            @Override
            public void changed(Change change) {
                if (!change.restored()) {
                    metrics.definitionChanged(change.tool());
                }
                audit.definitionChanged(change.tool(), change.pin(), change.previous(), change.announced());
            }

            @Override
            public void unverified(List<String> tools) {
                audit.definitionsUnverified(tools);
            }

            @Override
            public void reverified(String tool, String pin, String announced, boolean matches) {
                metrics.definitionReverified(tool, matches);
                audit.definitionReverified(tool, pin, announced, matches);
            }
        });
    }

    public ToolDefinitions(Listener listener) {
        this.listener = listener;
    }

    @Override
    public String digest(String tool) {
        Seen seen = tool == null ? null : announced.get(tool);
        return seen == null || seen.stale() ? null : seen.digest();
    }

    @Override
    public boolean unverified(String tool) {
        Seen seen = tool == null ? null : announced.get(tool);
        return seen != null && seen.stale();
    }

    /**
     * The server announced {@code notifications/tools/list_changed}: every recorded tool is unverified until a listing
     * announces it again. Those that were verified (the pinned definition) until now are reported, once per notification.
     */
    public void listChanged() {
        List<String> unverified = new ArrayList<>();
        for (String tool : announced.keySet()) {
            boolean[] wasVerified = {false};
            announced.computeIfPresent(tool, (name, seen) -> {
                wasVerified[0] = !seen.stale() && seen.matches();
                return seen.stale() ? seen : new Seen(seen.digest(), seen.pin(), true);
            });
            if (wasVerified[0]) {
                unverified.add(tool);
            }
        }
        if (!unverified.isEmpty()) {
            unverified.sort(null);
            listener.unverified(unverified);
        }
    }

    /**
     * Records that a tools/list result announced {@code tool} (pinned to {@code pin}) with the definition whose digest
     * is {@code digest}, and reports it when that is a change away from the pin or back to it.
     */
    void announced(String tool, String digest, String pin) {
        Seen now = new Seen(digest, pin, false);
        Seen before = announced.put(tool, now);
        if (before != null && before.stale()) {
            listener.reverified(tool, pin, digest, now.matches());
        }
        boolean changed = !now.matches() && (before == null || before.matches() || !before.digest().equals(digest));
        boolean restored = now.matches() && before != null && !before.matches();
        if (changed || restored) {
            listener.changed(new Change(tool, pin, before == null ? null : before.digest(), digest));
        }
    }
}
