package dev.toolgate.sidecar;

/**
 * One server-sent event as it appeared on the wire.
 *
 * @param raw   the exact bytes of the event including its terminating blank line
 * @param event the {@code event:} field, or {@code message} when absent
 * @param data  the {@code data:} lines joined by newlines, or {@code null} when the event has none (e.g. a comment)
 * @param id    the {@code id:} field, or {@code null}
 */
public record SseEvent(byte[] raw, String event, String data, String id) {

    /** The same event with its data replaced (keeps type and id, so resumption still works). */
    public byte[] withData(String newData) {
        StringBuilder out = new StringBuilder();
        if (id != null) {
            out.append("id: ").append(id).append('\n');
        }
        out.append("event: ").append(event).append('\n');
        for (String line : newData.split("\n", -1)) {
            out.append("data: ").append(line).append('\n');
        }
        return out.append('\n').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
