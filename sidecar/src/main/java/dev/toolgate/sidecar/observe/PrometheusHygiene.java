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

    /**
     * Every {@code toolgate_*} series names the McpPolicy the sidecar enforces ({@code policy}, {@code policy_namespace}),
     * so servers scraped together stay apart whatever labels the scrape adds. {@code policy_namespace} rather than
     * {@code namespace}: a PodMonitor's target label {@code namespace} would otherwise rename it.
     */
    @Produces
    @Singleton
    public MeterFilter policyLabels(dev.toolgate.sidecar.SidecarConfig config) {
        Tags tags = Tags.empty();
        if (config.policyName().isPresent()) {
            tags = tags.and("policy", config.policyName().get());
        }
        if (config.policyNamespace().isPresent()) {
            tags = tags.and("policy_namespace", config.policyNamespace().get());
        }
        if (!tags.iterator().hasNext()) {
            return new MeterFilter() {
            };
        }
        Tags policyTags = tags;
        return new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().startsWith("toolgate.") ? id.withTags(policyTags) : id;
            }
        };
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
