package dev.toolgate.sidecar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a {@code text/event-stream} body into whole events as bytes arrive, without waiting for the stream to end,
 * so each event can be inspected and forwarded (and flushed) on its own. Accepts LF, CRLF and CR line endings.
 */
public final class SseEventParser {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final int maxEventBytes;

    public SseEventParser(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /** Feeds bytes; returns the events completed by them. */
    public List<SseEvent> feed(byte[] chunk) {
        pending.write(chunk, 0, chunk.length);
        byte[] buf = pending.toByteArray();
        List<SseEvent> events = new ArrayList<>();
        int eventStart = 0;
        int lineStart = 0;
        int i = 0;
        while (i < buf.length) {
            byte b = buf[i];
            if (b != '\n' && b != '\r') {
                i++;
                continue;
            }
            int lineEnd = i;
            int next;
            if (b == '\r') {
                if (i + 1 == buf.length) {
                    break; // a CR at the end may be the first half of CRLF: wait for more bytes
                }
                next = buf[i + 1] == '\n' ? i + 2 : i + 1;
            } else {
                next = i + 1;
            }
            if (lineEnd == lineStart) {
                if (lineStart > eventStart) {
                    events.add(event(buf, eventStart, next, lineStart));
                }
                eventStart = next;
            }
            lineStart = next;
            i = next;
        }
        pending.reset();
        pending.write(buf, eventStart, buf.length - eventStart);
        if (pending.size() > maxEventBytes) {
            throw new IllegalStateException("server-sent event larger than " + maxEventBytes + " bytes");
        }
        return events;
    }

    /** Bytes of an incomplete trailing event (forwarded unchanged when the stream ends). */
    public byte[] remainder() {
        return pending.toByteArray();
    }

    private static SseEvent event(byte[] buf, int start, int end, int fieldsEnd) {
        byte[] raw = java.util.Arrays.copyOfRange(buf, start, end);
        String text = new String(buf, start, fieldsEnd - start, StandardCharsets.UTF_8);
        String type = "message";
        String id = null;
        StringBuilder data = null;
        for (String line : text.split("\r\n|\r|\n")) {
            if (line.isEmpty() || line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (field.equals("event")) {
                type = value;
            } else if (field.equals("id")) {
                id = value;
            } else if (field.equals("data")) {
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            }
        }
        return new SseEvent(raw, type, data == null ? null : data.toString(), id);
    }

    /** Formats a JSON-RPC message as an SSE {@code message} event. */
    public static byte[] messageEvent(String json) {
        return ("event: message\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }
}
