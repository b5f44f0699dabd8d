package dev.toolgate.sidecar.upstream;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ResponseHeadersTest {

    private static MultiMap headers(String... pairs) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < pairs.length; i += 2) {
            headers.add(pairs[i], pairs[i + 1]);
        }
        return headers;
    }

    @Test
    void kinds() {
        assertThat(ResponseHeaders.kind("text/event-stream")).isEqualTo(ResponseHeaders.Kind.EVENT_STREAM);
        assertThat(ResponseHeaders.kind(" Text/Event-Stream ; charset=utf-8")).isEqualTo(ResponseHeaders.Kind.EVENT_STREAM);
        assertThat(ResponseHeaders.kind("application/json")).isEqualTo(ResponseHeaders.Kind.JSON);
        assertThat(ResponseHeaders.kind("application/problem+json")).isEqualTo(ResponseHeaders.Kind.JSON);
        assertThat(ResponseHeaders.kind("text/plain; note=application/json")).as("clients test for the word").isEqualTo(ResponseHeaders.Kind.JSON);
        assertThat(ResponseHeaders.kind("text/html")).isEqualTo(ResponseHeaders.Kind.OTHER);
        assertThat(ResponseHeaders.kind(null)).isEqualTo(ResponseHeaders.Kind.OTHER);
    }

    @Test
    void whatCannotBeInspectedAsTheClientReadsIt() {
        assertThat(ResponseHeaders.problem(headers("Content-Type", "application/json"))).isNull();
        assertThat(ResponseHeaders.problem(headers("Content-Encoding", "identity", "Transfer-Encoding", "chunked"))).isNull();
        assertThat(ResponseHeaders.problem(headers("Content-Encoding", "gzip"))).contains("gzip");
        assertThat(ResponseHeaders.problem(headers("Content-Encoding", "identity, br"))).contains("br");
        assertThat(ResponseHeaders.problem(headers("Transfer-Encoding", "gzip, chunked"))).contains("gzip");
        assertThat(ResponseHeaders.problem(headers("Content-Type", "application/json", "Content-Type", "text/event-stream"))).isNotNull();
        assertThat(ResponseHeaders.problem(headers("Content-Type", "application/x-text/event-stream"))).contains("event stream");
        assertThat(ResponseHeaders.problem(headers("Content-Type", "application/json; charset=utf-16"))).contains("utf-16");
        assertThat(ResponseHeaders.problem(headers("Content-Type", "text/event-stream; charset=\"UTF-8\""))).isNull();
        assertThat(ResponseHeaders.problem(headers("Content-Type", "text/html; charset=ISO-8859-1"))).as("an error page").isNull();
        assertThat(ResponseHeaders.problem(headers("Content-Type", "text/plain; charset=utf-7"))).contains("utf-7");
    }
}
