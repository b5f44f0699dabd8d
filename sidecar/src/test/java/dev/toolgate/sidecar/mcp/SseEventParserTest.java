package dev.toolgate.sidecar.mcp;

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
    void aPrettyPrintedJsonAnswerBecomesOneEventWithADataLinePerLine() {
        String json = "{\r\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1\r}";
        byte[] event = SseEventParser.messageEvent(json);
        assertThat(new String(event, StandardCharsets.UTF_8))
                .isEqualTo("event: message\ndata: {\ndata:   \"jsonrpc\": \"2.0\",\ndata:   \"id\": 1\ndata: }\n\n");
        List<SseEvent> parsed = new SseEventParser(1024).feed(event);
        assertThat(parsed).singleElement().satisfies(e -> assertThat(e.data()).isEqualTo("{\n  \"jsonrpc\": \"2.0\",\n  \"id\": 1\n}"));
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

    private static List<SseEvent> all(String... chunks) {
        SseEventParser parser = new SseEventParser(1024);
        List<SseEvent> events = new ArrayList<>();
        for (String chunk : chunks) {
            events.addAll(parser.feed(b(chunk)));
        }
        events.addAll(parser.finish());
        return events;
    }

    @Test
    void aByteOrderMarkAtTheStartIsDroppedEvenSplitAcrossChunks() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        SseEventParser parser = new SseEventParser(1024);
        assertThat(parser.feed(new byte[] {bom[0]})).isEmpty();
        assertThat(parser.feed(new byte[] {bom[1], bom[2]})).isEmpty();
        List<SseEvent> events = parser.feed(b("data: x\n\n\uFEFFdata: y\n\n"));
        assertThat(events).extracting(SseEvent::data).as("only the stream's first BOM is dropped").containsExactly("x", null);
    }

    @Test
    void fieldsAreReadAsTheSpecificationReadsThem() {
        List<SseEvent> events = all("event:\ndata: a\n\n", "event: x\nevent\ndata\n\n", "id: a\u0000b\ndata:b\n\n",
                "retry: 10\ndata:  c\n\n", "retry: 1x\nData: d\ndata : e\n\n", ": only a comment\n\n");
        assertThat(events).extracting(SseEvent::event).containsExactly("message", "message", "message", "message", "message", "message");
        assertThat(events).extracting(SseEvent::data).containsExactly("a", "", "b", " c", null, null);
        assertThat(events.get(2).id()).as("an id with NUL is ignored").isNull();
        assertThat(events.get(3).retry()).isEqualTo("10");
        assertThat(events.get(4).retry()).isNull();
        assertThat(events.get(0).carriesData()).isTrue();
        assertThat(events.get(1).carriesData()).as("empty data is not dispatched").isFalse();
    }

    @Test
    void aCarriageReturnAtTheEndOfTheStreamEndsItsLine() {
        List<SseEvent> events = all("data: a\r\r");
        assertThat(events).extracting(SseEvent::data).containsExactly("a");
        SseEventParser parser = new SseEventParser(1024);
        assertThat(parser.feed(b("data: a\r\ndata: b"))).isEmpty();
        assertThat(parser.finish()).as("an unterminated event is never dispatched").isEmpty();
        assertThat(parser.remainderEvent().data()).isEqualTo("a\nb");
    }

    @Test
    void invalidUtf8IsFlagged() {
        SseEventParser parser = new SseEventParser(1024);
        byte[] bad = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xFF, '\n', '\n'};
        SseEvent event = parser.feed(bad).get(0);
        assertThat(event.wellFormed()).isFalse();
        assertThat(event.data()).isEqualTo("\uFFFD");
        assertThat(all("data: \u00e9\n\n").get(0).wellFormed()).isTrue();
    }

    @Test
    void canonicalFormHoldsOnlyWhatWasRead() {
        SseEvent event = all("\uFEFFid: 3\nretry: 5\nfoo: bar\nData: hidden\nevent:\ndata: {}\n\n").get(0);
        assertThat(new String(event.canonical(), StandardCharsets.UTF_8)).isEqualTo("id: 3\nevent: message\nretry: 5\ndata: {}\n\n");
        SseEvent priming = all("id: p1\ndata: \n\n").get(0);
        assertThat(new String(priming.canonical(), StandardCharsets.UTF_8)).isEqualTo("id: p1\ndata: \n\n");
        SseEvent comment = all(": keepalive\n\n").get(0);
        assertThat(new String(comment.canonical(), StandardCharsets.UTF_8)).isEqualTo(":\n\n");
    }

    @Test
    void aLargeEventArrivingInManyChunksIsAssembledOnce() {
        SseEventParser parser = new SseEventParser(1 << 22);
        String data = "x".repeat(1 << 21);
        parser.feed(b("data: "));
        for (int i = 0; i < data.length(); i += 1000) {
            assertThat(parser.feed(b(data.substring(i, Math.min(data.length(), i + 1000))))).isEmpty();
        }
        assertThat(parser.feed(b("\n\n"))).singleElement().satisfies(e -> assertThat(e.data()).hasSize(data.length()));
    }
}
