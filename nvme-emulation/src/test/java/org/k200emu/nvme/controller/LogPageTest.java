package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.nvme.AdminOpcode;
import org.k200emu.nvme.CommandEffects;
import org.k200emu.nvme.IoOpcode;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/** Get Log Page (NVMe Base 1.4, section 5.14): each log, the offset / length window, errors. */
class LogPageTest {

    private final TestTransport t = TestTransport.nvm(4096);

    @BeforeEach
    void enable() {
        t.connectAndEnable();
    }

    @AfterEach
    void close() {
        t.close();
    }

    private Completion log(int lid, long offset, int length) {
        return t.admin(Sqe.getLogPage(lid, offset, length, false), length, null);
    }

    @Test
    void errorInformationAfterFailingCommands() {
        t.io(Sqe.rw(0x02, 1, 5000, 1).cid(0x1234), 3, 512, null)
                .expect(NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
        t.admin(Sqe.op(0xC1).cid(0x0042)).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));

        Completion c = log(0x01, 0, 128).ok();
        // Newest first: the admin command, then the read.
        assertThat(c.u64(0)).as("error count").isEqualTo(2);
        assertThat(c.u16(8)).as("SQID").isZero();
        assertThat(c.u16(10)).as("CID").isEqualTo(0x42);
        assertThat(c.u16(12) & 1).as("phase tag").isZero();
        assertThat(c.u16(12) >>> 1).isEqualTo(NvmeStatus.toCqeStatusField(NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE)));
        assertThat(c.u64(64)).as("error count").isEqualTo(1);
        assertThat(c.u16(64 + 8)).as("SQID").isEqualTo(3);
        assertThat(c.u16(64 + 10)).as("CID").isEqualTo(0x1234);
        int field = c.u16(64 + 12) >>> 1;
        assertThat(field & 0xFF).as("SC").isEqualTo(0x80);
        assertThat((field >>> 8) & 0x7).as("SCT").isZero();
        assertThat(field >>> 14).as("DNR").isEqualTo(1);
        assertThat(c.u64(64 + 16)).as("LBA").isEqualTo(5000);
        assertThat(c.u32(64 + 24)).as("NSID").isEqualTo(1);
        assertThat(c.u8(64 + 29)).as("TRTYPE: TCP").isEqualTo(3);

        // The whole page is ELPE + 1 = 64 entries; unused ones are zero.
        Completion whole = log(0x01, 0, 64 * 64).ok();
        assertThat(whole.allZero(128, 64 * 64)).isTrue();
        // The error count also appears in the SMART log.
        assertThat(log(0x02, 0, 512).ok().u64(176)).isEqualTo(2);
    }

    @Test
    void smartCountsDataUnitsAndCommands() {
        byte[] block = Bytes.random(1, 128 * 1024);
        for (int i = 0; i < 4; i++) {
            t.io(Sqe.rw(0x01, 1, 256L * i, 256), 1, block.length, t.buffer(block)).ok();
        }
        t.io(Sqe.rw(0x02, 1, 0, 1), 512).ok();
        t.io(Sqe.rw(0x05, 1, 0, 1), 1, 512, t.buffer(Arrays.copyOf(block, 512))).ok();
        t.io(Sqe.rw(0x08, 1, 0, 16), 0).ok(); // Write Zeroes: not a host write command

        Completion c = log(0x02, 0, 512).ok();
        assertThat(c.u8(0)).as("critical warning").isZero();
        assertThat(c.u16(1)).as("composite temperature, kelvin").isBetween(273, 373);
        assertThat(c.u8(3)).as("available spare").isEqualTo(100);
        assertThat(c.u8(4)).as("available spare threshold").isEqualTo(10);
        // 1024 units of 512 bytes written, in thousands, rounded up.
        assertThat(c.u64(48)).as("data units written").isEqualTo(2);
        assertThat(c.u64(56)).isZero();
        // Read + Compare: 2 units of 512 bytes, rounded up to one thousand.
        assertThat(c.u64(32)).as("data units read").isEqualTo(1);
        assertThat(c.u64(64)).as("host read commands (Read, Compare)").isEqualTo(2);
        assertThat(c.u64(80)).as("host write commands").isEqualTo(4);
        assertThat(c.u64(112)).as("power cycles").isEqualTo(1);
        assertThat(c.u64(160)).as("media errors").isZero();
        assertThat(c.u64(176)).as("error log entries").isZero();
    }

    @Test
    void smartCountsMediaErrors() {
        FaultyBdev bdev = FaultyBdev.overMalloc("faulty", 512, 64);
        t.addBdev(2, bdev);
        bdev.failNth(1, BdevStatus.MEDIA_ERROR);
        t.io(Sqe.rw(0x02, 2, 0, 1), 512).expect(NvmeStatus.UNRECOVERED_READ_ERROR);
        Completion c = log(0x02, 0, 512).ok();
        assertThat(c.u64(160)).as("media errors").isEqualTo(1);
        assertThat(c.u64(64)).as("failed reads are not counted").isZero();
    }

    @Test
    void firmwareSlot() {
        Completion c = log(0x03, 0, 512).ok();
        assertThat(c.u8(0) & 0x7).as("AFI: slot 1 active").isEqualTo(1);
        assertThat(c.ascii(8, 8)).as("FRS1").isEqualTo(String.format("%-8s", t.subsystem.firmware()));
        assertThat(c.allZero(16, 512)).as("no other slot").isTrue();
    }

    @Test
    void changedNamespaceListAndClearing() {
        assertThat(log(0x04, 0, 4096).ok().allZero(0, 4096)).isTrue();
        t.addMalloc(3, 512, 8);
        t.addMalloc(2, 512, 8);

        Completion retained = t.admin(Sqe.getLogPage(0x04, 0, 4096, true), 4096, null).ok();
        assertThat(new int[] {retained.u32(0), retained.u32(4), retained.u32(8)}).containsExactly(2, 3, 0);
        Completion read = log(0x04, 0, 4096).ok();
        assertThat(read.bytes(0, 4096)).isEqualTo(retained.data);
        assertThat(log(0x04, 0, 4096).ok().allZero(0, 4096)).as("cleared by the read without RAE").isTrue();

        t.subsystem.removeNamespace(3);
        assertThat(log(0x04, 0, 8).ok().u32(0)).isEqualTo(3);
    }

    @Test
    void aFailedReadDoesNotClearTheChangedNamespaceList() {
        t.addMalloc(2, 512, 8);
        log(0x04, 8192, 4).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        assertThat(log(0x04, 0, 4).ok().u32(0)).isEqualTo(2);
        assertThat(log(0x04, 0, 4).ok().u32(0)).isZero();
    }

    @Test
    void commandsSupportedAndEffectsMatchTheOpcodeTables() {
        Completion c = log(0x05, 0, 4096).ok();
        for (int op = 0; op < 256; op++) {
            AdminOpcode admin = AdminOpcode.of(op);
            assertThat(c.u32(4 * op)).as("ACS%d", op).isEqualTo(admin == null ? 0 : admin.effects());
            IoOpcode io = IoOpcode.of(op);
            assertThat(c.u32(1024 + 4 * op)).as("IOCS%d", op).isEqualTo(io == null ? 0 : io.effects());
        }
        assertThat(c.u32(4 * 0x06) & CommandEffects.CSUPP).as("Identify supported").isEqualTo(1);
        assertThat(c.u32(1024 + 4 * 0x01) & CommandEffects.LBCC).as("Write changes LBA content").isNotZero();
        assertThat(c.u32(1024 + 4 * 0x02) & CommandEffects.LBCC).as("Read does not").isZero();
        assertThat(c.allZero(2048, 4096)).isTrue();
    }

    @Test
    void offsetAndLengthSelectAWindow() {
        byte[] whole = log(0x05, 0, 4096).ok().data;
        Completion io = log(0x05, 1024, 1024).ok();
        assertThat(io.data).isEqualTo(Arrays.copyOfRange(whole, 1024, 2048));
        Completion fr = log(0x03, 8, 8).ok();
        assertThat(fr.ascii(0, 8)).isEqualTo(String.format("%-8s", t.subsystem.firmware()));
        // A window running past the page's end is zero-filled.
        Completion tail = log(0x03, 504, 16).ok();
        assertThat(tail.data).hasSize(16).containsOnly(0);
        // Offset equal to the page size: nothing left but zeroes.
        assertThat(log(0x03, 512, 4).ok().data).containsOnly(0);
    }

    @Test
    void badOffsets() {
        log(0x02, 2, 4).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        log(0x02, 516, 4).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        log(0x02, 1L << 32, 4).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void unknownLogPage() {
        log(0x7F, 0, 512).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_LOG_PAGE));
        log(0x70, 0, 1024).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_LOG_PAGE));
        log(0x06, 0, 512).expect(NvmeStatus.withDnr(NvmeStatus.INVALID_LOG_PAGE));
    }

    @Test
    void hostBufferShorterThanNumd() {
        t.admin(Sqe.getLogPage(0x02, 0, 512, false), 256, null)
                .expect(NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
        // NUMDU counts: 65537 dwords do not fit 256 KiB.
        t.admin(Sqe.getLogPage(0x02, 0, 65537L * 4, false), 256 * 1024, null)
                .expect(NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
    }

    @Test
    void numduExtendsTheLength() {
        Completion c = t.admin(Sqe.getLogPage(0x05, 0, 65537L * 4, false), 65537 * 4, null).ok();
        assertThat(c.data).hasSize(65537 * 4);
        assertThat(c.allZero(4096, c.data.length)).isTrue();
    }
}
