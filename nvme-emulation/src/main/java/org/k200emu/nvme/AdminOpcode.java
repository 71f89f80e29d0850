package org.k200emu.nvme;

/**
 * The admin commands this controller model implements: the one table that drives both dispatch
 * and the Commands Supported and Effects log, so the two cannot disagree. An opcode not listed
 * here completes with Invalid Command Opcode.
 */
public enum AdminOpcode {
    GET_LOG_PAGE(0x02, "Get Log Page", false, CommandEffects.CSUPP),
    IDENTIFY(0x06, "Identify", false, CommandEffects.CSUPP),
    ABORT(0x08, "Abort", false, CommandEffects.CSUPP),
    SET_FEATURES(0x09, "Set Features", false, CommandEffects.CSUPP | CommandEffects.CCC),
    GET_FEATURES(0x0A, "Get Features", false, CommandEffects.CSUPP),
    ASYNC_EVENT_REQUEST(0x0C, "Asynchronous Event Request", false, CommandEffects.CSUPP),
    KEEP_ALIVE(0x18, "Keep Alive", false, CommandEffects.CSUPP);

    private static final AdminOpcode[] BY_OPCODE = new AdminOpcode[256];

    static {
        for (AdminOpcode op : values()) {
            BY_OPCODE[op.opcode] = op;
        }
    }

    private final int opcode;
    private final String displayName;
    private final boolean namespaceScoped;
    private final int effects;

    AdminOpcode(int opcode, String displayName, boolean namespaceScoped, int effects) {
        this.opcode = opcode;
        this.displayName = displayName;
        this.namespaceScoped = namespaceScoped;
        this.effects = effects;
    }

    /** The implemented command with this opcode, or null. */
    public static AdminOpcode of(int opcode) {
        return opcode >= 0 && opcode < 256 ? BY_OPCODE[opcode] : null;
    }

    public int opcode() {
        return opcode;
    }

    public String displayName() {
        return displayName;
    }

    public boolean namespaceScoped() {
        return namespaceScoped;
    }

    /** Its entry in the Commands Supported and Effects log. */
    public int effects() {
        return effects;
    }
}
