package org.k200emu.nvme.controller;

import io.netty.buffer.ByteBuf;
import org.k200emu.nvme.NvmeStatus;

/**
 * The Error Information log (log page 0x01): the last {@link #ENTRIES} failed commands, newest
 * first, each with a lifetime error count. Only commands that fail come here, so the short lock
 * never touches the I/O path of commands that succeed.
 */
final class ErrorLog {
    /** ELPE + 1. */
    static final int ENTRIES = 64;
    static final int ENTRY_LENGTH = 64;

    private final long[] count = new long[ENTRIES];
    private final int[] sqid = new int[ENTRIES];
    private final int[] cid = new int[ENTRIES];
    private final int[] status = new int[ENTRIES];
    private final long[] lba = new long[ENTRIES];
    private final int[] nsid = new int[ENTRIES];
    private long total;

    synchronized void record(NvmeRequest req, int nvmeStatus) {
        int i = (int) (total % ENTRIES);
        total++;
        count[i] = total;
        sqid[i] = req.qid();
        cid[i] = req.cid();
        status[i] = NvmeStatus.toCqeStatusField(nvmeStatus);
        nsid[i] = req.nsid();
        lba[i] = isLbaCommand(req) ? req.sqe().getLongLE(40) : 0;
    }

    private static boolean isLbaCommand(NvmeRequest req) {
        int op = req.opcode();
        return req.qid() > 0 && (op == 0x01 || op == 0x02 || op == 0x05 || op == 0x08);
    }

    synchronized long total() {
        return total;
    }

    /** Writes the whole log (ENTRIES entries, newest first, unused ones zero). */
    synchronized void encode(ByteBuf out) {
        for (int k = 0; k < ENTRIES; k++) {
            int start = out.writerIndex();
            out.writeZero(ENTRY_LENGTH);
            if (k >= total) {
                continue;
            }
            int i = (int) ((total - 1 - k) % ENTRIES);
            out.setLongLE(start, count[i]);
            out.setShortLE(start + 8, sqid[i]);
            out.setShortLE(start + 10, cid[i]);
            out.setShortLE(start + 12, status[i] << 1);
            out.setShortLE(start + 14, 0xFFFF); // parameter error location: not given
            out.setLongLE(start + 16, lba[i]);
            out.setIntLE(start + 24, nsid[i]);
            out.setByte(start + 29, 3); // TRTYPE: TCP
        }
    }
}
