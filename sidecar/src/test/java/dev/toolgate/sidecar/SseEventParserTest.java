package dev.toolgate.sidecar;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SseEventParserTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void emitsEachEventAsSoonAsItIsComplete() {
        SseEventParser parser = new SseEventParser(1024);
        assertThat(parser.feed(b("id: 1\nevent: message\ndata: {\"a\":"))).isEmpty();
        List<SseEvent> events = parser.feed(b("1}\n\n: keepalive\n\ndata: x"));
        assertThat(events).hasSize(2);
        assertThat(events.get(0).event()).isEqualTo("message");
        assertThat(events.get(0).id()).isEqualTo("1");
        assertThat(events.get(0).data()).isEqualTo("{\"a\":1}");
        assertThat(new String(events.get(0).raw(), StandardCharsets.UTF_8)).isEqualTo("id: 1\nevent: message\ndata: {\"a\":1}\n\n");
        assertThat(events.get(1).data()).isNull();
        assertThat(new String(parser.remainder(), StandardCharsets.UTF_8)).isEqualTo("data: x");
    }

    @Test
    void handlesCrLfSplitAcrossChunksAndMultiLineData() {
        SseEventParser parser = new SseEventParser(1024);
        List<SseEvent> events = new ArrayList<>();
        for (String chunk : new String[] {"event: endpoint\r", "\ndata: /message?sessionId=1\r\n\r", "\ndata: a\ndata: b\r\r\n"}) {
            events.addAll(parser.feed(b(chunk)));
        }
        assertThat(events).extracting(SseEvent::event).containsExactly("endpoint", "message");
        assertThat(events.get(0).data()).isEqualTo("/message?sessionId=1");
        assertThat(events.get(1).data()).isEqualTo("a\nb");
    }

    @Test
    void rewritesDataKeepingTypeAndId() {
        SseEvent event = new SseEventParser(1024).feed(b("id: 7\nevent: message\ndata: old\n\n")).get(0);
        assertThat(new String(event.withData("new"), StandardCharsets.UTF_8)).isEqualTo("id: 7\nevent: message\ndata: new\n\n");
    }

    @Test
    void boundsAnUnterminatedEvent() {
        SseEventParser parser = new SseEventParser(16);
        assertThatThrownBy(() -> parser.feed(b("data: " + "x".repeat(64)))).isInstanceOf(IllegalStateException.class);
    }
}
