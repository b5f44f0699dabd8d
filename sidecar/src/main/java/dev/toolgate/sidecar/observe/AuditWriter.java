package dev.toolgate.sidecar.observe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes audit lines from one background thread, as many per {@code write} as have queued up (it looks every 5 ms). Writing each line
 * through the log handler cost a system call and the handler's formatting on the event loop for every call: about 15 µs
 * of the sidecar's ~100 µs per request at full load (sidecar/README.md, Performance).
 *
 * <p>Nothing is dropped: when the queue is full (the output is slower than the calls) the caller waits, as it did
 * with a synchronous write. Each {@code write} holds whole lines and at most {@link #CHUNK} bytes (a pipe's atomic
 * write size) unless one line is longer, so other writers of the same stdout never split a line. {@link #close}
 * writes everything still queued.
 */
final class AuditWriter implements AutoCloseable {

    static final int CHUNK = 4096;
    private static final int QUEUE = 16_384;
    /** How long the writer sleeps when nothing is queued: how late a line may reach the output. */
    private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE);
    private final OutputStream out;
    private final Thread thread;
    private volatile boolean closing;

    AuditWriter(OutputStream out) {
        this.out = out;
        this.thread = new Thread(this::run, "toolgate-audit-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues one line (without its newline). */
    void write(String line) {
        write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Queues one line: UTF-8, ending in its newline. */
    void write(byte[] line) {
        if (closing) {
            writeNow(List.of(line)); // late calls during shutdown: written in place, not lost
            return;
        }
        if (!queue.offer(line)) {
            try {
                queue.put(line);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                writeNow(List.of(line));
                return;
            }
        }
        if (closing) {
            writeQueued(); // close() may have drained the queue just before this line arrived
        }
    }

    private void writeQueued() {
        List<byte[]> rest = new ArrayList<>();
        queue.drainTo(rest);
        if (!rest.isEmpty()) {
            writeNow(rest);
        }
    }

    private void run() {
        List<byte[]> batch = new ArrayList<>(1024);
        while (!closing || !queue.isEmpty()) {
            queue.drainTo(batch, 1024);
            if (batch.isEmpty()) {
                // Poll instead of blocking on the queue: a blocked reader would be woken (a futex call and a context
                // switch) by nearly every line, which costs as much as the write it saves.
                LockSupport.parkNanos(PAUSE_NANOS);
                continue;
            }
            writeNow(batch);
            batch.clear();
        }
    }

    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(2 * CHUNK);

    private synchronized void writeNow(List<byte[]> lines) {
        try {
            for (byte[] bytes : lines) {
                if (buffer.size() > 0 && buffer.size() + bytes.length > CHUNK) {
                    flush();
                }
                buffer.write(bytes);
            }
            flush();
        } catch (IOException e) {
            // stdout gone: nothing else could record it either
            System.err.println("toolgate: cannot write the audit log: " + e);
        }
    }

    private void flush() throws IOException {
        out.write(buffer.toByteArray());
        out.flush();
        buffer.reset();
    }

    /** Stops the thread after it has written everything queued (waits up to 5 s). */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writeQueued();
    }
}
