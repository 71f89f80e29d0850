package org.k200emu.cluster;

/**
 * Shape of the simulated chip: number of clusters, cores per cluster, how many leading clusters
 * are control plane, and each core's message ring capacity. Immutable, validated on construction;
 * {@link #DEFAULT} is the K200-LP's MPPA Coolidge (5 clusters x 16 cores, cluster 0 control plane).
 */
public final class MppaLayout {

    /** The card: 5 clusters x 16 cores, 1 control-plane cluster, 4096-message rings. */
    public static final MppaLayout DEFAULT = new MppaLayout(5, 16, 1, SimCore.DEFAULT_RING_CAPACITY);

    /** Clock of every core of the MPPA3-80 ("Coolidge"), Hz: the timing and accelerator models count cycles at this rate. */
    public static final double CORE_HZ = 1.2e9;

    private final int clusters;
    private final int coresPerCluster;
    private final int controlPlaneClusters;
    private final int ringCapacity;

    /**
     * A layout.
     *
     * @param clusters 1..64
     * @param coresPerCluster 1..64
     * @param controlPlaneClusters 0..clusters (the first clusters are control plane)
     * @param ringCapacity each core's message ring capacity, 2..2^20
     */
    public MppaLayout(int clusters, int coresPerCluster, int controlPlaneClusters, int ringCapacity) {
        if (clusters < 1 || clusters > 64) {
            throw new IllegalArgumentException("clusters must be in [1, 64]: " + clusters);
        }
        if (coresPerCluster < 1 || coresPerCluster > 64) {
            throw new IllegalArgumentException("coresPerCluster must be in [1, 64]: " + coresPerCluster);
        }
        if (controlPlaneClusters < 0 || controlPlaneClusters > clusters) {
            throw new IllegalArgumentException("controlPlaneClusters must be in [0, " + clusters + "]: "
                    + controlPlaneClusters);
        }
        if (ringCapacity < 2 || ringCapacity > (1 << 20)) {
            throw new IllegalArgumentException("ringCapacity must be in [2, 2^20]: " + ringCapacity);
        }
        this.clusters = clusters;
        this.coresPerCluster = coresPerCluster;
        this.controlPlaneClusters = controlPlaneClusters;
        this.ringCapacity = ringCapacity;
    }

    /** A layout with the default ring capacity. */
    public static MppaLayout of(int clusters, int coresPerCluster, int controlPlaneClusters) {
        return new MppaLayout(clusters, coresPerCluster, controlPlaneClusters, SimCore.DEFAULT_RING_CAPACITY);
    }

    /** The same layout with another ring capacity. */
    public MppaLayout withRingCapacity(int capacity) {
        return new MppaLayout(clusters, coresPerCluster, controlPlaneClusters, capacity);
    }

    /** Number of clusters. */
    public int clusters() {
        return clusters;
    }

    /** Cores in each cluster. */
    public int coresPerCluster() {
        return coresPerCluster;
    }

    /** Number of leading clusters that form the control plane. */
    public int controlPlaneClusters() {
        return controlPlaneClusters;
    }

    /** Message ring capacity of each core. */
    public int ringCapacity() {
        return ringCapacity;
    }

    /** Total number of cores. */
    public int totalCores() {
        return clusters * coresPerCluster;
    }

    /** Address of core {@code index} in {@code cluster}. */
    public CoreId coreId(int cluster, int index) {
        if (cluster < 0 || cluster >= clusters) {
            throw new IllegalArgumentException("cluster out of range [0, " + clusters + "): " + cluster);
        }
        if (index < 0 || index >= coresPerCluster) {
            throw new IllegalArgumentException("core index out of range [0, " + coresPerCluster + "): " + index);
        }
        return new CoreId(cluster, index, cluster * coresPerCluster + index, cluster < controlPlaneClusters);
    }

    /** Address of the core with flat index {@code flat}. */
    public CoreId coreId(int flat) {
        if (flat < 0 || flat >= totalCores()) {
            throw new IllegalArgumentException("flat core index out of range [0, " + totalCores() + "): " + flat);
        }
        return coreId(flat / coresPerCluster, flat % coresPerCluster);
    }

    @Override
    public String toString() {
        return clusters + "x" + coresPerCluster + " (" + controlPlaneClusters + " control-plane cluster(s), ring "
                + ringCapacity + ")";
    }
}
