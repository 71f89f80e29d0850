package org.k200emu.nvme.pcie;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Test-side builder of a 64-byte submission queue entry as a host driver lays it out in host
 * memory (NVMe Base 1.4, figure 105): CDW0 (opcode, FUSE, PSDT, CID), NSID, DPTR (PRP1 / PRP2 or
 * SGL1) and command dwords 10..15, little-endian.
 */
final class Sqe {

    static final int WRITE = 0x01;
    static final int READ = 0x02;
    static final int COMPARE = 0x05;
    static final int DSM = 0x09;

    private final ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);

    private Sqe(int opcode) {
        b.put(0, (byte) opcode);
    }

    static Sqe op(int opcode) {
        return new Sqe(opcode);
    }

    // ---- Admin -------------------------------------------------------------------------

    static Sqe identify(int cns, int nsid) {
        return op(0x06).nsid(nsid).cdw(10, cns);
    }

    /** Get Log Page of {@code lengthBytes} (a multiple of 4) from byte {@code offset}. */
    static Sqe getLogPage(int lid, long offset, long lengthBytes) {
        long numd = lengthBytes / 4 - 1;
        return op(0x02).nsid(0xFFFFFFFF)
                .cdw(10, lid | (int) (numd & 0xFFFF) << 16)
                .cdw(11, (int) (numd >>> 16) & 0xFFFF)
                .cdw(12, (int) offset)
                .cdw(13, (int) (offset >>> 32));
    }

    static Sqe setFeatures(int fid, int value) {
        return op(0x09).cdw(10, fid).cdw(11, value);
    }

    static Sqe asyncEventRequest() {
        return op(0x0C);
    }

    /** Create I/O Completion Queue; {@code pc} physically contiguous. */
    static Sqe createCq(int qid, int entries, long base, int vector, boolean ien, boolean pc) {
        return op(0x05).prp1(base).cdw(10, qid | (entries - 1) << 16)
                .cdw(11, (pc ? 1 : 0) | (ien ? 2 : 0) | vector << 16);
    }

    static Sqe createSq(int qid, int entries, long base, int cqid, boolean pc) {
        return op(0x01).prp1(base).cdw(10, qid | (entries - 1) << 16).cdw(11, (pc ? 1 : 0) | cqid << 16);
    }

    static Sqe deleteSq(int qid) {
        return op(0x00).cdw(10, qid);
    }

    static Sqe deleteCq(int qid) {
        return op(0x04).cdw(10, qid);
    }

    // ---- NVM I/O -----------------------------------------------------------------------

    /** Read / Write / Compare: SLBA in CDW10-11, NLB (0's based) in CDW12. */
    static Sqe rw(int opcode, int nsid, long slba, int blocks) {
        return op(opcode).nsid(nsid).slba(slba).cdw(12, (blocks - 1) & 0xFFFF);
    }

    // ---- Fields ------------------------------------------------------------------------

    Sqe cid(int cid) {
        b.putShort(2, (short) cid);
        return this;
    }

    int cid() {
        return b.getShort(2) & 0xFFFF;
    }

    int opcode() {
        return b.get(0) & 0xFF;
    }

    Sqe fuse(int fuse) {
        b.put(1, (byte) ((b.get(1) & ~0x3) | fuse));
        return this;
    }

    /** PSDT: 00b PRPs, 01b SGL. */
    Sqe psdt(int psdt) {
        b.put(1, (byte) ((b.get(1) & 0x3F) | psdt << 6));
        return this;
    }

    Sqe nsid(int nsid) {
        b.putInt(4, nsid);
        return this;
    }

    Sqe prp1(long prp1) {
        b.putLong(24, prp1);
        return this;
    }

    Sqe prp2(long prp2) {
        b.putLong(32, prp2);
        return this;
    }

    /** SGL1 (and PSDT = 01b): address, length, identifier (type << 4 | subtype). */
    Sqe sgl(long address, int length, int identifier) {
        b.putLong(24, address);
        b.putInt(32, length);
        b.put(36, (byte) 0).put(37, (byte) 0).put(38, (byte) 0);
        b.put(39, (byte) identifier);
        return psdt(1);
    }

    Sqe cdw(int n, int value) {
        b.putInt(4 * n, value);
        return this;
    }

    Sqe slba(long slba) {
        b.putLong(40, slba);
        return this;
    }

    byte[] bytes() {
        return b.array().clone();
    }

    void writeTo(HostMemory memory, long address) {
        memory.write(address, b.array());
    }
}
