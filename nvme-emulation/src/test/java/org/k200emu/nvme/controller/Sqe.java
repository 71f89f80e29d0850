package org.k200emu.nvme.controller;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test-side builder of a 64-byte submission queue entry (NVMe Base 1.4, figure 105), laid out
 * little-endian as a host would send it: CDW0 (opcode, FUSE, CID), NSID, the data pointer and
 * command dwords 10..15.
 */
final class Sqe {

    private final ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);

    private Sqe(int opcode) {
        b.put(0, (byte) opcode);
    }

    static Sqe op(int opcode) {
        return new Sqe(opcode);
    }

    // ---- Admin commands ----------------------------------------------------------------

    static Sqe identify(int cns, int nsid) {
        return op(0x06).nsid(nsid).cdw(10, cns);
    }

    /** Get Log Page for {@code lengthBytes} (a multiple of 4) at byte {@code offset}. */
    static Sqe getLogPage(int lid, long offset, long lengthBytes, boolean rae) {
        long numd = lengthBytes / 4 - 1;
        return op(0x02).nsid(0xFFFFFFFF)
                .cdw(10, lid | (rae ? 1 << 15 : 0) | (int) (numd & 0xFFFF) << 16)
                .cdw(11, (int) (numd >>> 16) & 0xFFFF)
                .cdw(12, (int) offset)
                .cdw(13, (int) (offset >>> 32));
    }

    static Sqe getFeatures(int fid, int sel) {
        return op(0x0A).cdw(10, fid | sel << 8);
    }

    static Sqe setFeatures(int fid, int value, boolean save) {
        return op(0x09).cdw(10, fid | (save ? 1 << 31 : 0)).cdw(11, value);
    }

    static Sqe asyncEventRequest() {
        return op(0x0C);
    }

    // ---- NVM I/O commands --------------------------------------------------------------

    /** Read / Write / Compare / Write Zeroes: SLBA in CDW10-11, NLB (0's based) in CDW12. */
    static Sqe rw(int opcode, int nsid, long slba, int blocks) {
        return op(opcode).nsid(nsid).slba(slba).cdw(12, (blocks - 1) & 0xFFFF);
    }

    static Sqe dsm(int nsid, int ranges, boolean deallocate) {
        return op(0x09).nsid(nsid).cdw(10, ranges - 1).cdw(11, deallocate ? 1 << 2 : 0);
    }

    // ---- Fields ------------------------------------------------------------------------

    Sqe cid(int cid) {
        b.putShort(2, (short) cid);
        return this;
    }

    Sqe fuse(int fuse) {
        b.put(1, (byte) ((b.get(1) & ~0x3) | fuse));
        return this;
    }

    Sqe nsid(int nsid) {
        b.putInt(4, nsid);
        return this;
    }

    Sqe cdw(int n, int value) {
        b.putInt(4 * n, value);
        return this;
    }

    /** ORs bits into a command dword (e.g. FUA, bit 30 of CDW12). */
    Sqe orCdw(int n, int bits) {
        b.putInt(4 * n, b.getInt(4 * n) | bits);
        return this;
    }

    Sqe slba(long slba) {
        b.putLong(40, slba);
        return this;
    }

    int cdw(int n) {
        return b.getInt(4 * n);
    }

    byte[] bytes() {
        return b.array().clone();
    }
}
