package org.k200emu.nvme;

/**
 * Asymmetric Namespace Access states (NVMe Base 1.4, section 8.20): how well a controller, i.e.
 * the port it was reached through, can reach an ANA group's namespaces. A host with several
 * paths prefers optimized ones and fails over when a path becomes inaccessible.
 */
public enum AnaState {
    OPTIMIZED(0x1, "optimized"),
    NON_OPTIMIZED(0x2, "non-optimized"),
    INACCESSIBLE(0x3, "inaccessible"),
    PERSISTENT_LOSS(0x4, "persistent-loss"),
    CHANGE(0xF, "change");

    private final int code;
    private final String label;

    AnaState(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** The ANAS value of the ANA log page. */
    public int code() {
        return code;
    }

    /** The name used in configuration files and on the command line. */
    public String label() {
        return label;
    }

    /** True when I/O may be sent (optimized or non-optimized). */
    public boolean accessible() {
        return this == OPTIMIZED || this == NON_OPTIMIZED;
    }

    /** The state with this ANAS code, or null. */
    public static AnaState ofCode(int code) {
        for (AnaState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }

    /** The state with this label (see {@link #label()}), or null. */
    public static AnaState ofLabel(String label) {
        for (AnaState s : values()) {
            if (s.label.equals(label)) {
                return s;
            }
        }
        return null;
    }

    /** The NVMe status an I/O command gets while its path is in this (inaccessible) state. */
    public int ioStatus() {
        switch (this) {
            case INACCESSIBLE:
                return NvmeStatus.ANA_INACCESSIBLE;
            case PERSISTENT_LOSS:
                return NvmeStatus.ANA_PERSISTENT_LOSS;
            case CHANGE:
                return NvmeStatus.ANA_TRANSITION;
            default:
                return NvmeStatus.SUCCESS;
        }
    }
}
