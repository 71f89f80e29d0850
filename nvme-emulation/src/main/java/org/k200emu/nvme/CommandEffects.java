package org.k200emu.nvme;

/**
 * Bits of a Commands Supported and Effects log entry (NVMe Base 1.4, figure 210): what executing
 * a command may change, as the opcode tables declare it.
 */
public final class CommandEffects {
    public static final int CSUPP = 1;
    public static final int LBCC = 1 << 1;
    public static final int NCC = 1 << 2;
    public static final int NIC = 1 << 3;
    public static final int CCC = 1 << 4;
    /** CSE = 001b: no other command to the same namespace may run concurrently. */
    public static final int CSE_NAMESPACE = 1 << 16;

    private CommandEffects() {
    }
}
