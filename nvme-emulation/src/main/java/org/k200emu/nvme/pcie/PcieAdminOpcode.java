package org.k200emu.nvme.pcie;

import io.netty.buffer.ByteBuf;
import org.k200emu.nvme.CommandEffects;

/**
 * The admin commands that exist only on PCIe: queue creation and deletion (NVMe Base 1.4,
 * sections 5.3 to 5.6; fabrics create queues with Connect). The PCIe front end runs them itself;
 * the same table adds them to the Commands Supported and Effects log the controller model
 * returns, so dispatch and log cannot disagree.
 */
enum PcieAdminOpcode {
    DELETE_IO_SQ(0x00, "Delete I/O Submission Queue"),
    CREATE_IO_SQ(0x01, "Create I/O Submission Queue"),
    DELETE_IO_CQ(0x04, "Delete I/O Completion Queue"),
    CREATE_IO_CQ(0x05, "Create I/O Completion Queue");

    /** Log page 05h. */
    static final int COMMANDS_EFFECTS_LOG = 0x05;

    private static final PcieAdminOpcode[] BY_OPCODE = new PcieAdminOpcode[256];

    static {
        for (PcieAdminOpcode op : values()) {
            BY_OPCODE[op.opcode] = op;
        }
    }

    private final int opcode;
    private final String displayName;

    PcieAdminOpcode(int opcode, String displayName) {
        this.opcode = opcode;
        this.displayName = displayName;
    }

    static PcieAdminOpcode of(int opcode) {
        return opcode >= 0 && opcode < 256 ? BY_OPCODE[opcode] : null;
    }

    int opcode() {
        return opcode;
    }

    String displayName() {
        return displayName;
    }

    /** Supported, no effect on namespaces or capabilities. */
    int effects() {
        return CommandEffects.CSUPP;
    }

    /**
     * Adds these commands' entries (admin entries are dwords at byte {@code 4 * opcode}) to the
     * window of the effects log that starts at byte {@code logOffset} and is held in
     * {@code page}'s readable bytes.
     */
    static void addToEffectsLog(ByteBuf page, long logOffset) {
        for (PcieAdminOpcode op : values()) {
            long at = 4L * op.opcode - logOffset;
            if (at >= 0 && at + 4 <= page.readableBytes()) {
                page.setIntLE(page.readerIndex() + (int) at, op.effects());
            }
        }
    }
}
