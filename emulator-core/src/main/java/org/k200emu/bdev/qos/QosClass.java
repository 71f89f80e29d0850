package org.k200emu.bdev.qos;

import java.util.List;
import java.util.Objects;

/**
 * A workload class of a {@link QosBdev} (a tenant: one host, or the hosts of one application):
 * when the bdev's total limits are the bottleneck its queued I/O is released across classes in
 * proportion to {@code weight}; {@code limits} (each dimension 0 for none) caps the class on its
 * own, on top of the bdev's total; {@code hosts} are the host NQNs whose I/O the bdev routes into
 * this class ({@link QosBdev#bdevFor}). Configuration value, immutable.
 */
public record QosClass(String name, int weight, QosLimits limits, List<String> hosts) {

    /**
     * The default class's name: I/O submitted to the bdev itself, and I/O of hosts no class lists,
     * goes to the class of this name, or to the first class if none has it.
     */
    public static final String DEFAULT = "default";

    /** Weights above this are refused: they would only make the fairness arithmetic coarse. */
    public static final int MAX_WEIGHT = 1_000_000;

    public QosClass {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("QoS class name must not be empty");
        }
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("QoS class " + name + ": weight must be 1.." + MAX_WEIGHT + ", not " + weight);
        }
        Objects.requireNonNull(limits, "limits");
        hosts = List.copyOf(hosts);
    }

    /** A class with no limits of its own and no hosts. */
    public QosClass(String name, int weight) {
        this(name, weight, QosLimits.UNLIMITED, List.of());
    }
}
