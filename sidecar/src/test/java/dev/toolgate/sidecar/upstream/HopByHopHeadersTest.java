package dev.toolgate.sidecar.upstream;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Hop-by-hop headers stay on their side of the proxy whatever their case; the rest cross with name and value intact. */
class HopByHopHeadersTest {

    @Test
    void dropsHopByHopAndConnectionNamedHeadersInAnyCase() {
        MultiMap from = MultiMap.caseInsensitiveMultiMap()
                .add("Content-Type", "application/json")
                .add("CONNECTION", "keep-alive, X-Secret-Hop")
                .add("Keep-Alive", "timeout=5")
                .add("x-secret-HOP", "1")
                .add("TE", "trailers")
                .add("Transfer-Encoding", "chunked")
                .add("Proxy-Authorization", "Basic eA==")
                .add("Host", "agent.example")
                .add("Mcp-Session-Id", "s-1")
                .add("X-Multi", "a")
                .add("X-Multi", "b");
        MultiMap to = MultiMap.caseInsensitiveMultiMap();

        HopByHopHeaders.copy(from, to, HopByHopHeaders.names("host", "content-length"));

        assertThat(to.names()).containsExactlyInAnyOrder("Content-Type", "Mcp-Session-Id", "X-Multi");
        assertThat(to.getAll("x-multi")).containsExactly("a", "b");
        assertThat(to.get("mcp-session-id")).isEqualTo("s-1");
    }
}
