package dev.toolgate.sidecar.observe;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Keeps {@code promtool check metrics} clean: drops built-in meters it flags (Netty allocator gauges without help text,
 * {@code process_cpu_time_ns}'s abbreviated unit, {@code system_cpu_count}'s reserved suffix) and replaces double quotes
 * in descriptions, which the text format would escape as {@code \"} in HELP lines, an escape promtool rejects.
 */
public class PrometheusHygiene {

    static boolean dropped(String name) {
        return name.startsWith("netty.") || name.equals("process.cpu.time") || name.equals("system.cpu.count");
    }

    @Produces
    @Singleton
    public MeterFilter promtoolClean() {
        return new MeterFilter() {
            @Override
            public MeterFilterReply accept(Meter.Id id) {
                return dropped(id.getName()) ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
            }

            @Override
            public Meter.Id map(Meter.Id id) {
                String description = id.getDescription();
                if (description == null || description.indexOf('"') < 0) {
                    return id;
                }
                return new Meter.Id(id.getName(), Tags.of(id.getTagsAsIterable()), id.getBaseUnit(), description.replace('"', '\''), id.getType());
            }
        };
    }
}
