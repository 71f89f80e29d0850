package org.k200emu.cluster;

/**
 * Address of one simulated MPPA core: cluster number, index inside the cluster and flat index
 * across the chip. Immutable value; created by {@link MppaLayout#coreId(int, int)} (or
 * {@link #of(int, int)} for the card's default 5 x 16 layout) and owned by whoever holds it.
 */
public final class CoreId {

    private final int cluster;
    private final int index;
    private final int flat;
    private final boolean controlPlane;

    CoreId(int cluster, int index, int flat, boolean controlPlane) {
        this.cluster = cluster;
        this.index = index;
        this.flat = flat;
        this.controlPlane = controlPlane;
    }

    /** Core {@code index} of {@code cluster} in the card's default layout ({@link MppaLayout#DEFAULT}). */
    public static CoreId of(int cluster, int index) {
        return MppaLayout.DEFAULT.coreId(cluster, index);
    }

    /** Cluster number, 0-based; cluster 0 is the control plane in the default layout. */
    public int cluster() {
        return cluster;
    }

    /** Index of the core inside its cluster, 0-based (0..15 on the card). */
    public int index() {
        return index;
    }

    /** Flat index across the chip: {@code cluster * coresPerCluster + index} (0..79 on the card). */
    public int flat() {
        return flat;
    }

    /** True if the core belongs to a control-plane cluster. */
    public boolean controlPlane() {
        return controlPlane;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CoreId)) {
            return false;
        }
        CoreId other = (CoreId) o;
        return cluster == other.cluster && index == other.index && flat == other.flat
                && controlPlane == other.controlPlane;
    }

    @Override
    public int hashCode() {
        return flat * 31 + cluster;
    }

    @Override
    public String toString() {
        return "c" + cluster + "." + index;
    }
}
