package dev.toolgate.sidecar.observe;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A UTF-8 JSON generator and the sink it writes into, one pair per thread, reused value after value: creating a
 * generator per call cost as much as writing a short value (sidecar/README.md, Performance). No separator is written
 * between root values. A failed write discards the thread's pair, whose state is then unknown.
 */
final class PerThreadJsonWriter<S extends OutputStream> {

    /** Writes one JSON value. */
    @FunctionalInterface
    interface Content {
        void writeTo(JsonGenerator generator) throws IOException;
    }

    private record Pair<S>(S sink, JsonGenerator generator) {
    }

    private final ThreadLocal<Pair<S>> pairs;

    PerThreadJsonWriter(JsonFactory factory, Supplier<S> sinks) {
        this.pairs = ThreadLocal.withInitial(() -> {
            S sink = sinks.get();
            try {
                JsonGenerator generator = factory.createGenerator(sink, JsonEncoding.UTF8);
                generator.setRootValueSeparator(null);
                return new Pair<>(sink, generator);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** Writes one value and returns what {@code result} makes of the sink once the generator has flushed into it. */
    <T> T write(Content content, Function<S, T> result) {
        Pair<S> pair = pairs.get();
        try {
            content.writeTo(pair.generator());
            pair.generator().flush();
            return result.apply(pair.sink());
        } catch (IOException e) {
            pairs.remove();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            pairs.remove();
            throw e;
        }
    }
}
