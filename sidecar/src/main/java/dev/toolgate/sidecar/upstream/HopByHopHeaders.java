package dev.toolgate.sidecar.upstream;

import io.vertx.core.MultiMap;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/** Headers that belong to one connection and must not cross the proxy (RFC 9110 §7.6.1), plus any named in Connection. */
public final class HopByHopHeaders {
    private static final Set<String> ALWAYS = names("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "http2-settings");

    private HopByHopHeaders() {
    }

    /** A set of header names compared without case: no lower-cased copy of every header name on every request. */
    public static Set<String> names(String... names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        Collections.addAll(set, names);
        return Collections.unmodifiableSet(set);
    }

    /** Copies {@code from} into {@code to} minus hop-by-hop headers and the extra names given (a {@link #names} set). */
    public static void copy(MultiMap from, MultiMap to, Set<String> alsoDrop) {
        // Names listed in Connection are rare: only then is a per-call set built.
        Set<String> named = null;
        for (String connection : from.getAll("connection")) {
            for (String token : connection.split(",")) {
                if (named == null) {
                    named = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
                }
                named.add(token.trim());
            }
        }
        for (var entry : from) {
            String name = entry.getKey();
            if (!ALWAYS.contains(name) && !alsoDrop.contains(name) && (named == null || !named.contains(name))) {
                to.add(name, entry.getValue());
            }
        }
    }
}
