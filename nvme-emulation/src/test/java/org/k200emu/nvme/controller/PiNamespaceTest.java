package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.pi.PiBdev;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.Subsystem;
import org.k200emu.testing.Bytes;

/**
 * End-to-end data protection through the controller (NVM Command Set 1.0, section 5.2): a
 * namespace on a pi bdev, driven with PRACT set (as Linux's nvme-tcp host does) and clear
 * (extended LBAs on the wire), every check and its status, escapes, Write Zeroes, Deallocate and
 * Compare. Expected protection information comes from the test's own {@link T10Model}.
 */
class PiNamespaceTest {

    private static final int WRITE = 0x01;
    private static final int READ = 0x02;
    private static final int COMPARE = 0x05;
    private static final int WRITE_ZEROES = 0x08;
    private static final int BS = 512;
    private static final int EXT = BS + 8;
    private static final int PRACT = 1 << 29;
    private static final int GUARD = 1 << 28;
    private static final int APP = 1 << 27;
    private static final int REF = 1 << 26;

    private TestTransport t;
    private MallocBdev member;
    private PiBdev pi;

    private void format(int type) {
        t = new TestTransport(Subsystem.nvm(TestTransport.NQN, TestTransport.SERIAL, TestTransport.MODEL, true,
                List.of()));
        member = new MallocBdev("m0", BS, 4096);
        t.bdevs.add(member);
        pi = PiBdev.create("pi0", member, type);
        t.addBdev(1, pi);
        t.connectAndEnable();
    }

    @AfterEach
    void close() {
        if (t != null) {
            t.close();
        }
    }

    /** A Read/Write/Compare with PRINFO bits, ILBRT and LBAT/LBATM. */
    private static Sqe rw(int opcode, long slba, int blocks, int prinfo, int ilbrt, int lbat, int lbatm) {
        return Sqe.rw(opcode, 1, slba, blocks).orCdw(12, prinfo).cdw(14, ilbrt).cdw(15, lbatm << 16 | lbat);
    }

    /** Linux's way on a type 1 namespace: PRACT, guard and reference tag checked, ILBRT = LBA. */
    private Completion linuxWrite(long slba, byte[] data) {
        return t.io(rw(WRITE, slba, data.length / BS, PRACT | GUARD | REF, (int) slba, 0, 0), 1, data.length,
                t.buffer(data));
    }

    private Completion linuxRead(long slba, int blocks) {
        return t.io(rw(READ, slba, blocks, PRACT | GUARD | REF, (int) slba, 0, 0), blocks * BS);
    }

    private Completion extendedRead(long slba, int blocks, int prchk, int ilbrt) {
        return t.io(rw(READ, slba, blocks, prchk, ilbrt, 0, 0), blocks * EXT);
    }

    private Completion extendedWrite(long slba, byte[] ext, int prchk, int ilbrt, int lbat, int lbatm) {
        return t.io(rw(WRITE, slba, ext.length / EXT, prchk, ilbrt, lbat, lbatm), 1, ext.length, t.buffer(ext));
    }

    /** One block of I/O straight on the member (malloc completes inline). */
    private int memberIo(BdevOp op, long lba, ByteBuf buf) {
        org.k200emu.bdev.BdevIo io = new org.k200emu.bdev.BdevIo();
        io.prepare(op, lba, 1, buf, Runnable::run, d -> { }, null);
        member.submit(io);
        assertThat(io.inFlight()).isFalse();
        return io.status();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void identifyNamespaceReportsTheFormat(int type) {
        format(type);
        Completion c = t.admin(Sqe.identify(0, 1)).ok();
        assertThat(c.u64(0)).as("NSZE").isEqualTo(pi.blockCount());
        assertThat(c.u8(25)).as("NLBAF").isZero();
        assertThat(c.u8(26)).as("FLBAS: format 0, extended LBA").isEqualTo(0x10);
        assertThat(c.u8(27)).as("MC: extended LBA").isEqualTo(1);
        assertThat(c.u8(28)).as("DPC: this type, PI last").isEqualTo(1 << (type - 1) | 1 << 4);
        assertThat(c.u8(29)).as("DPS").isEqualTo(type);
        assertThat(c.u8(33) & 0x10).as("DLFEAT: deallocated guard is FFFFh, not a CRC").isZero();
        assertThat(c.u16(128)).as("LBAF0.MS").isEqualTo(8);
        assertThat(c.u8(130)).as("LBAF0.LBADS").isEqualTo(9);
    }

    @Test
    void practWritesGenerateAndReadsCheckAndStrip() {
        format(1);
        byte[] data = Bytes.random(1, 8 * BS);
        linuxWrite(100, data).ok();
        assertThat(linuxRead(100, 8).ok().data).isEqualTo(data);
        // What was stored: the model's guard, LBAT 0, reference tags 100..107.
        Completion ext = extendedRead(100, 8, 0, 0).ok();
        assertThat(ext.data).isEqualTo(T10Model.extend(data, BS, 0, 100, true));
        // A partial read in the middle checks against its own ILBRT.
        assertThat(linuxRead(103, 2).ok().data).isEqualTo(Arrays.copyOfRange(data, 3 * BS, 5 * BS));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void neverWrittenBlocksReadBackWithAllFfMetadataAndPassEveryCheck(int type) {
        format(type);
        Completion c = t.io(rw(READ, 0, 4, PRACT | GUARD | APP | REF, 0, 0x1234, 0xFFFF), 4 * BS).ok();
        assertThat(c.data).containsOnly(0);
        Completion ext = extendedRead(0, 4, GUARD | APP | REF, 0).ok();
        for (int i = 0; i < 4; i++) {
            assertThat(T10Model.pi(ext.data, BS, i)).isEqualTo(-1L);
        }
    }

    @Test
    void extendedWritesAreCheckedAndStoredAsGiven() {
        format(2);
        byte[] data = Bytes.random(2, 4 * BS);
        byte[] ext = T10Model.extend(data, BS, 0x00A5, 0x9000, true);
        extendedWrite(40, ext, GUARD | APP | REF, 0x9000, 0x00A5, 0xFFFF).ok();
        assertThat(extendedRead(40, 4, GUARD | APP | REF, 0x9000).ok().data).isEqualTo(ext);
        assertThat(t.io(rw(READ, 40, 4, PRACT | GUARD | REF, 0x9000, 0, 0), 4 * BS).ok().data).isEqualTo(data);
        // Type 2: another ILBRT does not match what was stored.
        extendedRead(40, 4, REF, 0x9001).expect(NvmeStatus.withDnr(NvmeStatus.REF_TAG_CHECK_ERROR));
    }

    @Test
    void aWriteFailingItsCheckStoresNothing() {
        format(1);
        byte[] old = T10Model.extend(Bytes.random(3, 2 * BS), BS, 7, 20, true);
        extendedWrite(20, old, GUARD | APP | REF, 20, 7, 0xFFFF).ok();
        byte[] bad = T10Model.extend(Bytes.random(4, 2 * BS), BS, 7, 20, true);
        bad[EXT + 100] ^= 1; // the second block's data no longer matches its guard
        extendedWrite(20, bad, GUARD, 20, 0, 0).expect(NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR));
        byte[] badApp = T10Model.extend(Bytes.random(4, 2 * BS), BS, 8, 20, true);
        extendedWrite(20, badApp, APP, 20, 7, 0xFFFF).expect(NvmeStatus.withDnr(NvmeStatus.APP_TAG_CHECK_ERROR));
        byte[] badRef = T10Model.extend(Bytes.random(4, 2 * BS), BS, 7, 30, true);
        extendedWrite(20, badRef, REF, 20, 0, 0).expect(NvmeStatus.withDnr(NvmeStatus.REF_TAG_CHECK_ERROR));
        assertThat(extendedRead(20, 2, 0, 0).ok().data).as("the old blocks are intact").isEqualTo(old);
        // Unchecked (PRCHK 0), the bad guard is stored as given; a checking read then refuses it.
        extendedWrite(20, bad, 0, 20, 0, 0).ok();
        assertThat(extendedRead(20, 2, 0, 0).ok().data).isEqualTo(bad);
        linuxRead(20, 2).expect(NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR));
        assertThat(t.controller.health().mediaErrors.sum()).isEqualTo(1);
    }

    @Test
    void typeOneRefusesAnIlbrtOtherThanTheLba() {
        format(1);
        byte[] data = Bytes.random(5, BS);
        t.io(rw(WRITE, 9, 1, PRACT | REF, 8, 0, 0), 1, BS, t.buffer(data))
                .expect(NvmeStatus.withDnr(NvmeStatus.INVALID_PROTECTION_INFO));
        t.io(rw(READ, 9, 1, PRACT | REF, 8, 0, 0), BS).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_PROTECTION_INFO));
        t.io(rw(WRITE_ZEROES, 9, 1, PRACT | REF, 8, 0, 0), 0)
                .expect(NvmeStatus.withDnr(NvmeStatus.INVALID_PROTECTION_INFO));
    }

    @Test
    void typeThreeKeepsOneReferenceTagAndItsEscapeNeedsBothTags() {
        format(3);
        byte[] data = Bytes.random(6, 3 * BS);
        t.io(rw(WRITE, 50, 3, PRACT | GUARD | REF, 77, 0x0042, 0), 1, data.length, t.buffer(data)).ok();
        assertThat(extendedRead(50, 3, GUARD | REF, 77).ok().data)
                .isEqualTo(T10Model.extend(data, BS, 0x0042, 77, false));
        byte[] ext = T10Model.extend(data, BS, 0xFFFF, 5, false);
        T10Model.setPi(ext, BS, 0, 0xBAD0, 0xFFFF, 5);
        extendedWrite(60, ext, GUARD, 5, 0, 0).expect(NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR));
        T10Model.setPi(ext, BS, 0, 0xBAD0, 0xFFFF, -1);
        extendedWrite(60, ext, GUARD, 5, 0, 0).ok();
    }

    @Test
    void writeZeroesGeneratesWithPractAndZeroesWithout() {
        format(1);
        t.io(rw(WRITE_ZEROES, 10, 4, PRACT, 10, 0x0033, 0), 0).ok();
        Completion c = extendedRead(10, 4, GUARD | REF, 10).ok();
        assertThat(c.data).isEqualTo(T10Model.extend(new byte[4 * BS], BS, 0x0033, 10, true));
        assertThat(linuxRead(10, 4).ok().data).containsOnly(0);
        // Without PRACT the protection information is all zero: the guard of zeroes (0) holds,
        // but the reference tag 0 is not the LBA, so a checking read fails as Linux's fix notes.
        t.io(rw(WRITE_ZEROES, 20, 2, 0, 0, 0, 0), 0).ok();
        assertThat(T10Model.pi(extendedRead(20, 2, 0, 0).ok().data, BS, 1)).isZero();
        t.io(rw(READ, 20, 2, PRACT | GUARD, 20, 0, 0), 2 * BS).ok();
        linuxRead(20, 2).expect(NvmeStatus.withDnr(NvmeStatus.REF_TAG_CHECK_ERROR));
    }

    @Test
    void deallocatedBlocksReadAsUnwritten() {
        format(1);
        linuxWrite(64, Bytes.random(7, 4 * BS)).ok();
        ByteBuffer range = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(2).putLong(65);
        t.io(Sqe.dsm(1, 1, true), 1, 16, t.buffer(range.array())).ok();
        Completion c = extendedRead(64, 4, GUARD | REF, 64).ok();
        assertThat(T10Model.pi(c.data, BS, 0)).isNotEqualTo(-1L);
        assertThat(T10Model.pi(c.data, BS, 1)).isEqualTo(-1L);
        assertThat(T10Model.pi(c.data, BS, 2)).isEqualTo(-1L);
        assertThat(Arrays.copyOfRange(c.data, EXT, 2 * EXT - 8)).containsOnly(0);
        linuxRead(64, 4).ok();
    }

    @Test
    void compareOnAPiNamespace() {
        format(1);
        byte[] data = Bytes.random(8, 2 * BS);
        linuxWrite(30, data).ok();
        t.io(rw(COMPARE, 30, 2, PRACT | GUARD | REF, 30, 0, 0), 1, data.length, t.buffer(data)).ok();
        byte[] other = data.clone();
        other[700] ^= 1;
        t.io(rw(COMPARE, 30, 2, PRACT | GUARD | REF, 30, 0, 0), 1, other.length, t.buffer(other))
                .expect(NvmeStatus.withDnr(NvmeStatus.COMPARE_FAILURE));
        byte[] ext = T10Model.extend(data, BS, 0, 30, true);
        t.io(rw(COMPARE, 30, 2, GUARD | REF, 30, 0, 0), 1, ext.length, t.buffer(ext)).ok();
        T10Model.setPi(ext, BS, 1, T10Model.crc(data, BS, BS), 0, 99);
        // The protection information is compared too.
        t.io(rw(COMPARE, 30, 2, 0, 30, 0, 0), 1, ext.length, t.buffer(ext))
                .expect(NvmeStatus.withDnr(NvmeStatus.COMPARE_FAILURE));
        // A medium that fails its check fails the Compare with the check's status.
        byte[] stored = T10Model.extend(data, BS, 0, 30, true);
        T10Model.setPi(stored, BS, 1, 0x0BAD, 0, 31);
        extendedWrite(30, stored, 0, 30, 0, 0).ok();
        t.io(rw(COMPARE, 30, 2, PRACT | REF, 30, 0, 0), 1, data.length, t.buffer(data)).ok();
        t.io(rw(COMPARE, 30, 2, PRACT | GUARD | REF, 30, 0, 0), 1, data.length, t.buffer(data))
                .expect(NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR));
    }

    @Test
    void transferLengthsFollowTheExtendedSizeWithoutPract() {
        format(1);
        byte[] data = Bytes.random(9, 2 * BS);
        // PRACT clear: the host must describe 2 x 520 bytes, not 2 x 512.
        t.io(rw(WRITE, 0, 2, 0, 0, 0, 0), 1, data.length, t.buffer(data))
                .expect(NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
        t.io(rw(READ, 0, 2, 0, 0, 0, 0), 2 * BS).expect(NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
        // MDTS (128 KiB here) counts the metadata: 256 blocks fit with PRACT, not without.
        linuxRead(0, 256).ok();
        t.io(rw(READ, 0, 256, 0, 0, 0, 0), 256 * EXT).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        extendedRead(0, 252, 0, 0).ok();
    }

    @Test
    void corruptionOnTheMediumFailsTheReadInsteadOfReturningIt() {
        format(1);
        byte[] data = Bytes.random(10, 4 * BS);
        linuxWrite(200, data).ok();
        // Flip one byte of block 202's data on the member, behind the pi bdev's back.
        ByteBuf raw = Unpooled.directBuffer(BS);
        try {
            assertThat(memberIo(BdevOp.READ, 202, raw)).isEqualTo(BdevStatus.SUCCESS);
            raw.setByte(17, raw.getByte(17) ^ 0x01);
            assertThat(memberIo(BdevOp.WRITE, 202, raw)).isEqualTo(BdevStatus.SUCCESS);
        } finally {
            raw.release();
        }
        Completion c = linuxRead(200, 4).expect(NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR));
        assertThat(c.data).as("nothing is handed up").isNull();
        assertThat(linuxRead(200, 2).ok().data).isEqualTo(Arrays.copyOf(data, 2 * BS));
        linuxRead(203, 1).ok();
        extendedRead(202, 1, REF, 202).ok();
    }
}
