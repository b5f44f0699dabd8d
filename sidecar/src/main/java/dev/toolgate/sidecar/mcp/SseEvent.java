package dev.toolgate.sidecar.mcp;

import java.nio.charset.StandardCharsets;

/**
 * One server-sent event, read as the HTML specification's event-stream parser reads it.
 *
 * @param raw       the exact bytes of the event including its terminating blank line
 * @param event     the type: the last {@code event:} field, or {@code message} when there is none or it is empty
 * @param data      the {@code data:} lines joined by newlines, or {@code null} when the event has none (e.g. a comment)
 * @param id        the last {@code id:} field (one containing NUL is ignored, as clients ignore it), or {@code null}
 * @param retry     the last {@code retry:} field made of ASCII digits only, or {@code null}
 * @param wellFormed false when the bytes are not valid UTF-8 (fields are then read from a lossy decoding)
 */
public record SseEvent(byte[] raw, String event, String data, String id, String retry, boolean wellFormed) {

    /**
     * Whether a client dispatches the event to its message handler: per the specification only when the data is not
     * empty. (Some clients also hand on empty data; there is nothing in it to read.)
     */
    public boolean carriesData() {
        return data != null && !data.isEmpty();
    }

    /**
     * The event as it was understood: only the fields the sidecar read, so a client cannot find anything else in it
     * (unknown fields, a second spelling of a field, a byte order mark). Events without data keep their id, retry and
     * (empty) data line; one with none of these becomes a bare comment, which still keeps the connection busy.
     */
    public byte[] canonical() {
        return withData(data);
    }

    /** The same event with its data replaced (keeps type and id, so resumption still works). */
    public byte[] withData(String newData) {
        StringBuilder out = new StringBuilder(newData == null ? 32 : newData.length() + 48);
        if (id != null) {
            out.append("id: ").append(id).append('\n');
        }
        if (newData != null && !newData.isEmpty()) {
            out.append("event: ").append(event).append('\n');
        }
        if (retry != null) {
            out.append("retry: ").append(retry).append('\n');
        }
        if (newData != null) {
            for (String line : newData.split("\n", -1)) {
                out.append("data: ").append(line).append('\n');
            }
        }
        if (out.isEmpty()) {
            out.append(":\n");
        }
        return out.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }
}
