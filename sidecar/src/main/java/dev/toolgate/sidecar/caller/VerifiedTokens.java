package dev.toolgate.sidecar.caller;

import dev.toolgate.policy.Caller;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tokens already verified, so an agent that sends the same token on every call pays for one signature check (RS256
 * costs tens of microseconds, ES256 more on JDK 17) instead of one per call. Keyed by the exact token string; an entry
 * is used only while the token has not expired (same skew as the check) and the key that signed it is still in the
 * issuer's key set, so a removed key stops a cached token at the next refresh as it stops a fresh one. Bounded; the
 * least recently used entry goes first.
 */
public final class VerifiedTokens {

    private record Entry(Caller caller, Instant usableUntil, TrustedIssuer issuer, String keyId) {
    }

    private final Map<String, Entry> entries;

    public VerifiedTokens(int max) {
        entries = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > max;
            }
        };
    }

    /** The caller a token verified as, if it is cached and still usable at {@code now}. */
    public Caller get(String token, Instant now) {
        Entry entry;
        synchronized (entries) {
            entry = entries.get(token);
        }
        if (entry == null) {
            return null;
        }
        if (!now.isBefore(entry.usableUntil()) || !entry.issuer().keys().holds(entry.keyId())) {
            synchronized (entries) {
                entries.remove(token, entry);
            }
            return null;
        }
        return entry.caller();
    }

    /** Remembers a token that verified, until its {@code exp} (plus the skew). */
    public void put(String token, Caller caller, Instant expires, Duration skew, TrustedIssuer issuer, String keyId) {
        synchronized (entries) {
            entries.put(token, new Entry(caller, expires.plus(skew), issuer, keyId));
        }
    }
}
