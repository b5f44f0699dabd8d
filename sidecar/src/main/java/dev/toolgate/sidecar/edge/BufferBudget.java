package dev.toolgate.sidecar.edge;

import dev.toolgate.sidecar.SidecarConfig;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.logging.Log;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies held across all in-flight requests, against one bound ({@code toolgate.max-buffered-bytes}).
 * Bodies are read in full before anything is decided, so without a shared bound many concurrent (or merely slow)
 * requests could hold more than the heap. A request reserves each chunk as it arrives and gives everything back when
 * it is done with its body: answered by the sidecar, refused, failed, or its forwarded exchange finished.
 */
@Singleton
public class BufferBudget {

    private final long capacity;
    private final AtomicLong used = new AtomicLong();

    @Inject
    public BufferBudget(SidecarConfig config, MeterRegistry registry) {
        this(config.maxBufferedBytes().orElseGet(() -> defaultCapacity(config.maxBodyBytes())));
        if (capacity < config.maxBodyBytes()) {
            Log.warnf("toolgate.max-buffered-bytes (%d) is below toolgate.max-body-bytes (%d): a body of the largest allowed size"
                    + " is always refused with 503", capacity, config.maxBodyBytes());
        }
        Gauge.builder("toolgate.request.buffered.bytes", used, AtomicLong::get)
                .description("Request body bytes held by in-flight requests, bounded by toolgate.max-buffered-bytes")
                .register(registry);
        Gauge.builder("toolgate.request.buffered.limit.bytes", this, BufferBudget::capacity)
                .description("toolgate.max-buffered-bytes in force")
                .register(registry);
    }

    BufferBudget(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("toolgate.max-buffered-bytes must be positive, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** A quarter of the maximum heap, but at least one body of the largest allowed size. */
    static long defaultCapacity(int maxBodyBytes) {
        long heap = Runtime.getRuntime().maxMemory();
        long quarter = heap == Long.MAX_VALUE ? 256L << 20 : heap / 4;
        return Math.max(maxBodyBytes, quarter);
    }

    public long capacity() {
        return capacity;
    }

    public long inUse() {
        return used.get();
    }

    /** A new, empty reservation for one request. */
    public Reservation reservation() {
        return new Reservation();
    }

    private boolean tryTake(long bytes) {
        long now;
        do {
            now = used.get();
            if (now + bytes > capacity) {
                return false;
            }
        } while (!used.compareAndSet(now, now + bytes));
        return true;
    }

    /** What one request holds. {@link #release()} is idempotent, so every path that ends a request may call it. */
    public final class Reservation {
        private final AtomicLong held = new AtomicLong();
        private final AtomicBoolean released = new AtomicBoolean();

        /** Takes {@code bytes} more for this request; false (and nothing taken) when the budget cannot cover them. */
        public boolean grow(int bytes) {
            if (released.get() || !tryTake(bytes)) {
                return false;
            }
            held.addAndGet(bytes);
            if (released.get()) {
                // released concurrently while taking: give these back too
                used.addAndGet(-held.getAndSet(0));
                return false;
            }
            return true;
        }

        public long held() {
            return held.get();
        }

        public void release() {
            if (released.compareAndSet(false, true)) {
                used.addAndGet(-held.getAndSet(0));
            }
        }
    }
}
