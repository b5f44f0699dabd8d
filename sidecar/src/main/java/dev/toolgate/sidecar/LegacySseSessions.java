package dev.toolgate.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Singleton;

import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open event streams of the legacy 2024-11-05 HTTP+SSE transport, keyed by the POST endpoint the server announced on
 * them. A refused POST to that endpoint is answered on the client's stream, where the client waits for it; the ids of
 * tools/list requests posted there are remembered so their answers on the stream can be filtered.
 */
@Singleton // no client proxy: these run on every request
public class LegacySseSessions {

    /** A client's open event stream; writes are done on its own context so they never interleave with upstream events. */
    public record Stream(HttpServerResponse response, Context context, Set<JsonNode> toolsListIds) {
        public Stream(HttpServerResponse response, Context context) {
            this(response, context, ConcurrentHashMap.newKeySet());
        }

        public void send(byte[] event) {
            context.runOnContext(v -> {
                if (!response.ended() && !response.closed()) {
                    response.write(Buffer.buffer(event));
                }
            });
        }
    }

    private final Map<String, Stream> byEndpoint = new ConcurrentHashMap<>();

    public void register(String endpoint, Stream stream) {
        byEndpoint.put(endpoint, stream);
    }

    public void unregister(String endpoint, Stream stream) {
        byEndpoint.remove(endpoint, stream);
    }

    public Stream find(String requestUri) {
        return byEndpoint.get(requestUri);
    }

    /**
     * The key under which a POST will arrive for an {@code endpoint} event's data: its path and query. An absolute URL
     * is reduced to the same, which is also what the client is told, so it keeps posting through the sidecar.
     */
    public static String endpointKey(String endpointData) {
        try {
            URI uri = URI.create(endpointData.trim());
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
