package org.k200emu.bdev.qos;

/**
 * A workload class of a {@link QosBdev} (a tenant, or the hosts of one namespace): when the bdev
 * is saturated its queued I/O is released across classes in proportion to {@code weight}.
 * Configuration value, immutable.
 */
public record QosClass(String name, int weight) {

    /** The class a {@link QosBdev} made without explicit classes has. */
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
    }
}
