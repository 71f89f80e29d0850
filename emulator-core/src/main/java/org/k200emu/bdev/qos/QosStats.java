package org.k200emu.bdev.qos;

import java.util.List;

/**
 * What a {@link QosBdev} is doing now, from {@link QosBdev#snapshot()}: the configured limits and,
 * per class, the rates released to the member over the last complete second, what is queued and
 * how many I/Os had to wait so far. Rates are sampled without locks, so a count racing the
 * rollover of a 100 ms slot may be missed; they are for display and tuning, not accounting.
 */
public record QosStats(QosLimits limits, QosLimits readLimits, QosLimits writeLimits,
                       List<ClassStats> classes, long queued, long delayedTotal) {

    public QosStats {
        classes = List.copyOf(classes);
    }

    /**
     * One class: rates over the last second, I/Os queued now (waiting on the class's own limits or
     * on the total), I/Os delayed and released since creation, the class's own limits, the hosts
     * routed to it, and whether it is the default class (hosts no class lists).
     */
    public record ClassStats(String name, int weight, long iops, long bytesPerSecond, long queued,
                             long delayedTotal, long releasedTotal, QosLimits limits, List<String> hosts,
                             boolean isDefault) {
        public ClassStats {
            hosts = List.copyOf(hosts);
        }
    }

    /** The class named {@code name}; IllegalArgumentException if there is none. */
    public ClassStats of(String name) {
        for (ClassStats c : classes) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no QoS class " + name);
    }
}
