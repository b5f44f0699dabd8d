package dev.toolgate.sidecar.observe;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The batching audit writer: nothing lost, order kept per writer, whole lines per write, bounded writes. */
class AuditWriterTest {

    /** Records every write call separately. */
    static final class Writes extends OutputStream {
        final List<byte[]> calls = new ArrayList<>();
        final CountDownLatch gate;

        Writes(CountDownLatch gate) {
            this.gate = gate;
        }

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                gate.await(10, TimeUnit.SECONDS); // lets a test hold the writer thread while lines queue up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                calls.add(java.util.Arrays.copyOfRange(b, off, off + len));
            }
        }

        synchronized String all() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            calls.forEach(out::writeBytes);
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void everyLineArrivesInOrderInWholeLinesAndBoundedWrites() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        Writes out = new Writes(gate);
        AuditWriter writer = new AuditWriter(out);
        List<String> lines = IntStream.range(0, 3000).mapToObj(i -> "{\"n\":" + i + ",\"pad\":\"" + "x".repeat(i % 200) + "\"}").toList();
        lines.forEach(writer::write);
        String huge = "{\"huge\":\"" + "y".repeat(3 * AuditWriter.CHUNK) + "\"}";
        writer.write(huge);
        gate.countDown();
        writer.close();
        writer.write("{\"late\":true}"); // after close: written in place, not lost

        List<String> expected = new ArrayList<>(lines);
        expected.add(huge);
        expected.add("{\"late\":true}");
        assertThat(out.all().lines().toList()).containsExactlyElementsOf(expected);
        for (byte[] call : out.calls) {
            String text = new String(call, StandardCharsets.UTF_8);
            assertThat(text).endsWith("\n");
            assertThat(call.length <= AuditWriter.CHUNK || text.indexOf('\n') == text.length() - 1)
                    .as("a write over %d bytes holds one line", AuditWriter.CHUNK).isTrue();
        }
        assertThat(out.calls.size()).as("batched: far fewer writes than lines").isLessThan(lines.size() / 5);
    }
}
