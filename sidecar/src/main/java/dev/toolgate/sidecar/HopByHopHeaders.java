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
        Set<String> drop = new HashSet<>(ALWAYS);
        drop.addAll(alsoDrop);
        for (String connection : from.getAll("connection")) {
            for (String token : connection.split(",")) {
                drop.add(token.trim().toLowerCase(Locale.ROOT));
            }
        }
        from.forEach(entry -> {
            if (!drop.contains(entry.getKey().toLowerCase(Locale.ROOT))) {
                to.add(entry.getKey(), entry.getValue());
            }
        });
    }
}
