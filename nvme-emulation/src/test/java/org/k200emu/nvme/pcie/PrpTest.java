package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.PAGE;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/**
 * Data through PRPs (NVMe Base 1.4, section 4.3): PRP1 with an offset, PRP2 as a page or as a
 * list pointer, list pages chained through their last entry, and the offset rules. MDTS is 9
 * (2 MiB) here so that one command can need more than one list page.
 */
class PrpTest {

    private static final int PRP_OFFSET = NvmeStatus.withDnr(PcieStatus.PRP_OFFSET_INVALID);

    private final TestMachine m = new TestMachine(PcieParams.defaults().withMdts(9), Runnable::run, 40 << 20,
            new MallocBdev("malloc0", 512, 32768));
    private final TestNvmeDriver d = m.driver;
    private final TestNvmeDriver.QueuePair q;

    PrpTest() {
        d.enable();
        q = d.createIoQueuePair(1, 64, 1);
    }

    @AfterEach
    void close() {
        assertThat(m.csts()).isEqualTo(PcieController.CSTS_RDY);
        m.close();
    }

    private Cqe write(long slba, TestNvmeDriver.Buffer b, TestNvmeDriver.Prp p) {
        return d.execute(q, Sqe.rw(Sqe.WRITE, 1, slba, b.length() / 512).prp1(p.prp1()).prp2(p.prp2()));
    }

    private Cqe read(long slba, TestNvmeDriver.Buffer b, TestNvmeDriver.Prp p) {
        return d.execute(q, Sqe.rw(Sqe.READ, 1, slba, b.length() / 512).prp1(p.prp1()).prp2(p.prp2()));
    }

    /** Writes {@code data} through a buffer laid out as asked, reads it back through another. */
    private void roundTrip(long slba, byte[] data, int writeOffset, int writeListOffset, int readOffset,
                           int readListOffset) {
        TestNvmeDriver.Buffer wb = d.allocBuffer(data.length, writeOffset, true);
        d.fill(wb, data);
        expect(write(slba, wb, d.prp(wb, writeListOffset)), NvmeStatus.SUCCESS);
        TestNvmeDriver.Buffer rb = d.allocBuffer(data.length, readOffset, true);
        expect(read(slba, rb, d.prp(rb, readListOffset)), NvmeStatus.SUCCESS);
        assertThat(d.contents(rb)).isEqualTo(data);
    }

    @Test
    void sixtyFourKibThroughAPrpListThatCrossesAListPage() {
        byte[] data = Bytes.random(64, 64 * 1024);
        TestNvmeDriver.Buffer wb = d.allocBuffer(data.length, 0, true);
        d.fill(wb, data);
        // The list starts 64 bytes before its page ends: 7 entries, then the pointer to the next page.
        TestNvmeDriver.Prp p = d.prp(wb, PAGE - 64);
        long chain = d.memory.getLong(p.prp2() + 56);
        assertThat(chain & (PAGE - 1)).isZero();
        assertThat(d.memory.getLong(chain)).as("first entry of the second list page").isEqualTo(wb.pages()[8]);
        expect(write(100, wb, p), NvmeStatus.SUCCESS);

        TestNvmeDriver.Buffer rb = d.allocBuffer(data.length, 0, true);
        expect(read(100, rb, d.prp(rb, PAGE - 64)), NvmeStatus.SUCCESS);
        assertThat(d.contents(rb)).isEqualTo(data);
        assertThat(d.read(q, 1, 100, 128, 512)).as("through a plain list").isEqualTo(data);
    }

    @Test
    void twoMibWithAnOffsetFirstPrpAndTwoListPages() {
        byte[] data = Bytes.random(2, 2 << 20);
        // 513 pages: PRP1 plus 512 list entries; a list starting 8 bytes in holds 510 and the chain.
        roundTrip(1000, data, 0x200, 8, 0xC00, 0);
        assertThat(d.read(q, 1, 1000 + 4095, 1, 512)).isEqualTo(Arrays.copyOfRange(data, data.length - 512, data.length));
    }

    @Test
    void firstPrpWithAnOffset() {
        roundTrip(0, Bytes.random(1, 4096), 0x10, 0, 0x200, 0);
        roundTrip(8, Bytes.random(2, 12 * 1024), 0x100, 0, 0xFF0, 0);
        roundTrip(40, Bytes.random(3, 8192), 0, 0, 0x4, 0);
        roundTrip(60, Bytes.random(4, 512), 0xE00, 0, 0xDFC, 0);
    }

    @Test
    void prp2IsIgnoredWhenPrp1CoversTheTransfer() {
        TestNvmeDriver.Buffer b = d.allocBuffer(1024, 0xC00, false);
        d.fill(b, Bytes.random(5, 1024));
        expect(d.execute(q, Sqe.rw(Sqe.WRITE, 1, 7, 2).prp1(b.address()).prp2(0xDEAD_BEEF_0000_0003L)), NvmeStatus.SUCCESS);
        assertThat(d.read(q, 1, 7, 2, 512)).isEqualTo(Bytes.random(5, 1024));
    }

    @Test
    void readWritesOnlyTheBuffer() {
        byte[] data = Bytes.random(6, 12 * 1024);
        expect(d.write(q, 1, 300, data, 512), NvmeStatus.SUCCESS);
        TestNvmeDriver.Buffer rb = d.allocBuffer(data.length, 0x600, false);
        byte[] guard = new byte[4 * PAGE];
        Arrays.fill(guard, (byte) 0x5A);
        d.memory.write(rb.pages()[0], guard);
        expect(read(300, rb, d.prp(rb)), NvmeStatus.SUCCESS);
        assertThat(d.contents(rb)).isEqualTo(data);
        assertThat(d.memory.read(rb.pages()[0], 0x600)).containsOnly(0x5A);
        assertThat(d.memory.read(rb.address() + data.length, 4 * PAGE - 0x600 - data.length)).containsOnly(0x5A);
    }

    @Test
    void offsetRules() {
        TestNvmeDriver.Buffer b = d.allocBuffer(16 * 1024, 0, false);
        long[] pages = b.pages();
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 8).prp1(pages[0] + 2)), PRP_OFFSET);
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 16).prp1(pages[0]).prp2(pages[1] + 0x200)), PRP_OFFSET);
        long list = d.allocPages(1);
        d.memory.putLong(list, pages[1]);
        d.memory.putLong(list + 8, pages[2] + 0x100);
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 24).prp1(pages[0]).prp2(list)), PRP_OFFSET);
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 24).prp1(pages[0]).prp2(list + 4)), PRP_OFFSET);
        // A chain pointer with an offset: the list starts at the last slot of its page.
        long chained = d.allocPages(1) + PAGE - 8;
        d.memory.putLong(chained, list + 0x10);
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 24).prp1(pages[0]).prp2(chained)), PRP_OFFSET);
        d.memory.putLong(list + 8, pages[2]);
        d.memory.putLong(chained, list);
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 24).prp1(pages[0]).prp2(chained)), NvmeStatus.SUCCESS);
    }

    @Test
    void transfersBeyondMdtsAreInvalid() {
        long page = d.allocPages(1);
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 4097).prp1(page)), NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
        expect(d.execute(q, Sqe.rw(Sqe.WRITE, 1, 0, 4097).prp1(page)), NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void commandsWithoutDataOrWithAModelError() {
        long page = d.allocPages(1);
        expect(d.execute(q, Sqe.rw(Sqe.WRITE, 9, 0, 1).prp1(page)), NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 32767, 2).prp1(page)), NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
        expect(d.execute(q, Sqe.op(0x00).nsid(1)), NvmeStatus.SUCCESS);
        expect(d.execute(q, Sqe.op(0x7E).nsid(1)), NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        byte[] data = Bytes.random(7, 2048);
        expect(d.write(q, 1, 500, data, 512), NvmeStatus.SUCCESS);
        expect(d.execute(q, Sqe.rw(0x08, 1, 500, 2)), NvmeStatus.SUCCESS);
        assertThat(d.read(q, 1, 500, 4, 512)).startsWith(new byte[1024]).endsWith(Arrays.copyOfRange(data, 1024, 2048));
    }

    @Test
    void compareAndDatasetManagementCarryTheirDataThroughPrps() {
        byte[] data = Bytes.random(8, 4096);
        expect(d.write(q, 1, 200, data, 512), NvmeStatus.SUCCESS);
        TestNvmeDriver.Buffer same = d.allocBuffer(4096, 0x800, false);
        d.fill(same, data);
        TestNvmeDriver.Prp p = d.prp(same);
        expect(d.execute(q, Sqe.rw(Sqe.COMPARE, 1, 200, 8).prp1(p.prp1()).prp2(p.prp2())), NvmeStatus.SUCCESS);
        d.memory.write(same.address() + 4000, new byte[] {(byte) ~data[4000]});
        expect(d.execute(q, Sqe.rw(Sqe.COMPARE, 1, 200, 8).prp1(p.prp1()).prp2(p.prp2())),
                NvmeStatus.withDnr(NvmeStatus.COMPARE_FAILURE));

        // Deallocate blocks 202..203 with one range (16 bytes: attributes, length, SLBA).
        // The range straddles two pages: PRP1 at the last 8 bytes of one, PRP2 the next.
        long pages = d.allocPages(2);
        long ranges = pages + 0xFF8;
        d.memory.putInt(ranges, 0);
        d.memory.putInt(ranges + 4, 2);
        d.memory.putLong(ranges + 8, 202);
        long prp2 = pages + PAGE;
        expect(d.execute(q, Sqe.op(Sqe.DSM).nsid(1).cdw(10, 0).cdw(11, 1 << 2).prp1(ranges).prp2(prp2)),
                NvmeStatus.SUCCESS);
        byte[] after = d.read(q, 1, 200, 8, 512);
        assertThat(Arrays.copyOfRange(after, 1024, 2048)).containsOnly(0);
        assertThat(Arrays.copyOfRange(after, 0, 1024)).isEqualTo(Arrays.copyOfRange(data, 0, 1024));
    }
}
