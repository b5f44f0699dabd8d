package dev.toolgate.sidecar;

import io.vertx.core.MultiMap;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/** Headers that belong to one connection and must not cross the proxy (RFC 9110 §7.6.1), plus any named in Connection. */
public final class HopByHopHeaders {
    private static final Set<String> ALWAYS = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "http2-settings");

    private HopByHopHeaders() {
    }

    /** Copies {@code from} into {@code to} minus hop-by-hop headers and the extra names given (lower case). */
    public static void copy(MultiMap from, MultiMap to, Set<String> alsoDrop) {
        // Names listed in Connection are rare: only then is a per-call set built.
        Set<String> named = null;
        for (String connection : from.getAll("connection")) {
            for (String token : connection.split(",")) {
                if (named == null) {
                    named = new HashSet<>();
                }
                named.add(token.trim().toLowerCase(Locale.ROOT));
            }
        }
        for (var entry : from) {
            String name = entry.getKey().toLowerCase(Locale.ROOT);
            if (!ALWAYS.contains(name) && !alsoDrop.contains(name) && (named == null || !named.contains(name))) {
                to.add(entry.getKey(), entry.getValue());
            }
        }
    }
}
