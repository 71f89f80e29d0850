package org.k200emu.nvme.pcie;

/**
 * How the emulated function signals the host (NVMe Base 1.4, section 7.5.1). It decides how
 * many vectors a completion queue may name and whether INTMS / INTMC mask them: the mask
 * registers apply to pin-based and MSI interrupts only; with MSI-X the host masks vectors in the
 * MSI-X table, which this model does not have, so INTMS / INTMC writes are ignored.
 */
public enum InterruptMode {
    /** One INTx line: every completion queue uses vector 0, INTMS bit 0 masks it. */
    PIN,
    /** Multiple-message MSI: up to 32 vectors, INTMS bit {@code v} masks vector {@code v}. */
    MSI,
    /** MSI-X: up to 2048 vectors, never masked by INTMS / INTMC. */
    MSI_X;

    /** Most vectors the mode allows. */
    public int maxVectors() {
        switch (this) {
            case PIN:
                return 1;
            case MSI:
                return 32;
            default:
                return 2048;
        }
    }

    /** Whether INTMS / INTMC mask this mode's vectors. */
    public boolean maskable() {
        return this != MSI_X;
    }
}
