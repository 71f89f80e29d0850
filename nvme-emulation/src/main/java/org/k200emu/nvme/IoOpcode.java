package org.k200emu.nvme;

/**
 * The NVM command set's I/O commands this controller model implements, with their data
 * direction and effects: the one table that drives dispatch, validation and the Commands
 * Supported and Effects log.
 */
public enum IoOpcode {
    FLUSH(0x00, "Flush", CommandEffects.CSUPP),
    WRITE(0x01, "Write", CommandEffects.CSUPP | CommandEffects.LBCC),
    READ(0x02, "Read", CommandEffects.CSUPP),
    COMPARE(0x05, "Compare", CommandEffects.CSUPP),
    WRITE_ZEROES(0x08, "Write Zeroes", CommandEffects.CSUPP | CommandEffects.LBCC),
    DATASET_MANAGEMENT(0x09, "Dataset Management", CommandEffects.CSUPP | CommandEffects.LBCC);

    private static final IoOpcode[] BY_OPCODE = new IoOpcode[256];

    static {
        for (IoOpcode op : values()) {
            BY_OPCODE[op.opcode] = op;
        }
    }

    private final int opcode;
    private final String displayName;
    private final int effects;

    IoOpcode(int opcode, String displayName, int effects) {
        this.opcode = opcode;
        this.displayName = displayName;
        this.effects = effects;
    }

    /** The implemented command with this opcode, or null. */
    public static IoOpcode of(int opcode) {
        return opcode >= 0 && opcode < 256 ? BY_OPCODE[opcode] : null;
    }

    public int opcode() {
        return opcode;
    }

    public String displayName() {
        return displayName;
    }

    public int effects() {
        return effects;
    }

    /** Bits 1:0 of the opcode: 01b host to controller, 10b controller to host. */
    public boolean hostToController() {
        return (opcode & 0x3) == 0x1;
    }

    public boolean controllerToHost() {
        return (opcode & 0x3) == 0x2;
    }
}
