package dev.toolgate.operator;

import java.util.List;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Micrometer filters for the operator's registry. */
@Singleton
public class MetricsFilters {

    /**
     * JOSDK 5.3 records {@code events.received} with an {@code action} tag for some events and without it for others;
     * Prometheus refuses meters of one name with different tag keys, and the exception escapes into the informer's
     * event handler, dropping the event. Give every such meter the tag.
     */
    @Produces
    @Singleton
    MeterFilter uniformJosdkEventTags() {
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (id.getName().startsWith("events.") && id.getTag("action") == null) {
                    return id.withTags(List.of(Tag.of("action", "none")));
                }
                return id;
            }
        };
    }
}
