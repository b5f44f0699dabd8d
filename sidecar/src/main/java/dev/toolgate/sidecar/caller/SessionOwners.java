package dev.toolgate.sidecar.caller;

import dev.toolgate.policy.Caller;
import dev.toolgate.sidecar.SidecarConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which verified identity each session belongs to, so that no other identity sends calls in it, opens or resumes its
 * stream, or deletes it. A session is bound to the caller the server created it for (the answer that carries a new
 * {@code Mcp-Session-Id}, or the legacy stream whose {@code endpoint} names it), or else to the first verified caller
 * that uses it. Only verified callers (JWT, service account) bind: a header identity is a claim anyone can make.
 * Bounded by {@code toolgate.max-tracked-keys}; the least recently used binding goes first.
 */
@Singleton
public class SessionOwners {

    private final boolean enabled;
    private final Map<String, String> owners;

    @Inject
    public SessionOwners(SidecarConfig config, CallerResolver resolver) {
        this(resolver instanceof BearerCallerResolver, config.maxTrackedKeys());
    }

    SessionOwners(boolean enabled, int max) {
        this.enabled = enabled;
        this.owners = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > max;
            }
        };
    }

    /**
     * True when {@code caller} may use {@code session}: it is its owner, or the session had none and now has this
     * caller. False when another identity owns it.
     */
    public boolean claim(String session, Caller caller) {
        if (!enabled || session == null || !verified(caller)) {
            return true;
        }
        synchronized (owners) {
            String owner = owners.putIfAbsent(session, caller.subject());
            return owner == null || owner.equals(caller.subject());
        }
    }

    /** The owner of a session, or null when it has none (or binding is off). */
    public String owner(String session) {
        synchronized (owners) {
            return session == null ? null : owners.get(session);
        }
    }

    /** A session the server created for {@code caller}. */
    public void created(String session, Caller caller) {
        claim(session, caller);
    }

    private static boolean verified(Caller caller) {
        return caller != null && (caller.source() == Caller.Source.JWT || caller.source() == Caller.Source.SERVICE_ACCOUNT);
    }
}
