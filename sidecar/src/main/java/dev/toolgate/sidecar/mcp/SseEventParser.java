package dev.toolgate.sidecar.mcp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a {@code text/event-stream} body into whole events as bytes arrive, without waiting for the stream to end,
 * so each event can be inspected and forwarded (and flushed) on its own. Reads the stream the way the HTML
 * specification's event-stream parser (and so every conforming client) does: one leading byte order mark dropped,
 * lines ended by CRLF, LF or CR, {@code field: value} with one optional space, an empty {@code event} meaning
 * {@code message}, an {@code id} containing NUL ignored; an event is complete at its blank line, and an unterminated
 * event at the end of the stream is never dispatched.
 */
public final class SseEventParser {
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final int maxEventBytes;
    private byte[] buf = new byte[256];
    private int length;
    /** Where the current (incomplete) event starts, and where the current line starts. */
    private int eventStart;
    private int lineStart;
    /** Bytes before this index have been scanned for line ends already (so large events are not rescanned per chunk). */
    private int scanned;
    /** Whether the start of the stream (and a possible byte order mark there) has been dealt with. */
    private boolean started;

    public SseEventParser(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /** Feeds bytes; returns the events completed by them. Throws when one event grows beyond the bound. */
    public List<SseEvent> feed(byte[] chunk) {
        append(chunk);
        if (!started) {
            if (length < BOM.length && Arrays.equals(buf, 0, length, BOM, 0, length)) {
                return List.of(); // may be the start of a byte order mark: wait for more
            }
            started = true;
            if (length >= BOM.length && Arrays.equals(buf, 0, BOM.length, BOM, 0, BOM.length)) {
                eventStart = lineStart = scanned = BOM.length;
            }
        }
        List<SseEvent> events = scan();
        if (length - eventStart > maxEventBytes) {
            throw new IllegalStateException("server-sent event larger than " + maxEventBytes + " bytes");
        }
        return events;
    }

    /**
     * The stream ended: a CR that was held back (it might have been the first half of a CRLF) ends its line, which may
     * complete one more event. What is left after that is the unterminated event, which is not dispatched.
     */
    public List<SseEvent> finish() {
        started = true;
        if (length > 0 && buf[length - 1] == '\r') {
            append(new byte[] {'\n'}); // CR then CRLF end one line alike
        }
        return scan();
    }

    /** Bytes of the incomplete trailing event. */
    public byte[] remainder() {
        return Arrays.copyOfRange(buf, eventStart, length);
    }

    /** The incomplete trailing event read as if it were complete (to tell whether anything was cut off with it). */
    public SseEvent remainderEvent() {
        return event(buf, eventStart, length, length);
    }

    private void append(byte[] chunk) {
        if (length + chunk.length > buf.length) {
            if (eventStart > 0) {
                // Completed events are gone: move the incomplete one to the front before growing.
                System.arraycopy(buf, eventStart, buf, 0, length - eventStart);
                length -= eventStart;
                lineStart -= eventStart;
                scanned -= eventStart;
                eventStart = 0;
            }
            if (length + chunk.length > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + chunk.length));
            }
        }
        System.arraycopy(chunk, 0, buf, length, chunk.length);
        length += chunk.length;
    }

    private List<SseEvent> scan() {
        List<SseEvent> events = new ArrayList<>(2);
        int i = scanned;
        while (i < length) {
            byte b = buf[i];
            if (b != '\n' && b != '\r') {
                i++;
                continue;
            }
            int next;
            if (b == '\r') {
                if (i + 1 == length) {
                    break; // a CR at the end may be the first half of CRLF: wait for more bytes (or the end)
                }
                next = buf[i + 1] == '\n' ? i + 2 : i + 1;
            } else {
                next = i + 1;
            }
            if (i == lineStart) {
                if (lineStart > eventStart) {
                    events.add(event(buf, eventStart, next, lineStart));
                }
                eventStart = next;
            }
            lineStart = next;
            i = next;
        }
        scanned = i;
        return events;
    }

    private static SseEvent event(byte[] buf, int start, int end, int fieldsEnd) {
        byte[] raw = Arrays.copyOfRange(buf, start, end);
        String text = StrictUtf8.decode(buf, start, fieldsEnd);
        boolean wellFormed = text != null;
        if (!wellFormed) {
            text = new String(buf, start, fieldsEnd - start, StandardCharsets.UTF_8); // what a client decodes
        }
        String type = null;
        String id = null;
        String retry = null;
        StringBuilder data = null;
        int pos = 0;
        while (pos < text.length()) {
            int lineEnd = pos;
            while (lineEnd < text.length() && text.charAt(lineEnd) != '\n' && text.charAt(lineEnd) != '\r') {
                lineEnd++;
            }
            String line = text.substring(pos, lineEnd);
            pos = lineEnd + (lineEnd + 1 < text.length() && text.charAt(lineEnd) == '\r' && text.charAt(lineEnd + 1) == '\n' ? 2 : 1);
            if (line.isEmpty() || line.charAt(0) == ':') {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + (colon + 1 < line.length() && line.charAt(colon + 1) == ' ' ? 2 : 1));
            switch (field) {
                case "event" -> type = value;
                case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                case "id" -> {
                    if (value.indexOf('\0') < 0) {
                        id = value;
                    }
                }
                case "retry" -> {
                    if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                        retry = value;
                    }
                }
                default -> {
                    // unknown fields are ignored, by clients too
                }
            }
        }
        return new SseEvent(raw, type == null || type.isEmpty() ? "message" : type, data == null ? null : data.toString(), id, retry,
                wellFormed);
    }

    /** Formats a JSON-RPC message as an SSE {@code message} event. */
    public static byte[] messageEvent(String json) {
        if (json.indexOf('\n') < 0 && json.indexOf('\r') < 0) {
            return ("event: message\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
        }
        // A server's JSON may be pretty-printed: one data line per line, which the client joins again with '\n'.
        StringBuilder event = new StringBuilder("event: message\n");
        for (String line : json.split("\r\n|\r|\n", -1)) {
            event.append("data: ").append(line).append('\n');
        }
        return event.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }
}
