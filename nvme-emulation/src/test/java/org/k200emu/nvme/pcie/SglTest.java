package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/**
 * SGLs for I/O commands (NVMe Base 1.4, section 4.4), which Identify Controller advertises:
 * Data Block, Segment and Last Segment descriptors, no alignment requirement, and the
 * descriptor errors.
 */
class SglTest {

    private static final int DATA_BLOCK = 0x00;
    private static final int BIT_BUCKET = 0x10;
    private static final int SEGMENT = 0x20;
    private static final int LAST_SEGMENT = 0x30;
    private static final int KEYED_DATA_BLOCK = 0x40;
    private static final int SEG_INVALID = NvmeStatus.withDnr(NvmeStatus.INVALID_SGL_SEG_DESCRIPTOR);
    private static final int TYPE_INVALID = NvmeStatus.withDnr(NvmeStatus.SGL_DESCRIPTOR_TYPE_INVALID);

    private final TestMachine m = TestMachine.ready();
    private final TestNvmeDriver d = m.driver;
    private final TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 32, 1);

    @AfterEach
    void close() {
        assertThat(m.csts()).isEqualTo(PcieController.CSTS_RDY);
        m.close();
    }

    /** Writes a segment of descriptors {address, length, identifier}... into a fresh page. */
    private long segment(long... descriptors) {
        long at = d.allocPages(1);
        for (int i = 0; i < descriptors.length; i += 3) {
            long entry = at + (i / 3) * 16L;
            d.memory.putLong(entry, descriptors[i]);
            d.memory.putInt(entry + 8, (int) descriptors[i + 1]);
            d.memory.putInt(entry + 12, (int) descriptors[i + 2] << 24);
        }
        return at;
    }

    private Cqe io(int opcode, long slba, int blocks, long address, int length, int identifier) {
        return d.execute(q, Sqe.rw(opcode, 1, slba, blocks).sgl(address, length, identifier));
    }

    @Test
    void identifyAdvertisesSgls() {
        byte[] id = d.identify(1, 0);
        assertThat(id[536] & 0x3).as("SGLS: supported, no alignment").isEqualTo(1);
        assertThat(id[538] & 0x1).as("SGLS bit 16: no bit bucket").isZero();
    }

    @Test
    void oneDataBlockAtAnUnalignedAddress() {
        byte[] data = Bytes.random(11, 8192);
        long at = d.allocPages(3) + 3;
        d.memory.write(at, data);
        expect(io(Sqe.WRITE, 16, 16, at, 8192, DATA_BLOCK), NvmeStatus.SUCCESS);
        assertThat(d.read(q, 1, 16, 16, 512)).isEqualTo(data);
        long out = d.allocPages(3) + 1;
        expect(io(Sqe.READ, 16, 16, out, 8192 + 100, DATA_BLOCK), NvmeStatus.SUCCESS);
        assertThat(d.memory.read(out, 8192)).isEqualTo(data);
        assertThat(d.memory.read(out + 8192, 100)).as("the unneeded tail of the block").containsOnly(0);
    }

    @Test
    void scatteredDataBlocksThroughSegmentChains() {
        byte[] data = Bytes.random(12, 8192);
        long a = d.allocPages(1) + 10;
        long b = d.allocPages(2) + 7;
        long c = d.allocPages(2);
        d.memory.write(a, Arrays.copyOfRange(data, 0, 1000));
        d.memory.write(b, Arrays.copyOfRange(data, 1000, 4000));
        d.memory.write(c, Arrays.copyOfRange(data, 4000, 8192));
        long last = segment(a, 1000, DATA_BLOCK, b, 3000, DATA_BLOCK, c, 4192, DATA_BLOCK);
        expect(io(Sqe.WRITE, 64, 16, last, 48, LAST_SEGMENT), NvmeStatus.SUCCESS);
        assertThat(d.read(q, 1, 64, 16, 512)).isEqualTo(data);

        // Read back through Segment -> Last Segment, with a zero-length block in between.
        long x = d.allocPages(1);
        long y = d.allocPages(2) + 5;
        long tail = segment(0, 0, DATA_BLOCK, y, 8192 - 2048, DATA_BLOCK);
        long head = segment(x, 2048, DATA_BLOCK, tail, 32, LAST_SEGMENT);
        expect(io(Sqe.READ, 64, 16, head, 32, SEGMENT), NvmeStatus.SUCCESS);
        byte[] got = new byte[8192];
        System.arraycopy(d.memory.read(x, 2048), 0, got, 0, 2048);
        System.arraycopy(d.memory.read(y, 8192 - 2048), 0, got, 2048, 8192 - 2048);
        assertThat(got).isEqualTo(data);
    }

    @Test
    void tooShortAnSglIsALengthError() {
        long at = d.allocPages(2);
        expect(io(Sqe.WRITE, 0, 8, at, 4095, DATA_BLOCK), NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
        long list = segment(at, 1024, DATA_BLOCK, at + 2048, 1024, DATA_BLOCK);
        expect(io(Sqe.READ, 0, 8, list, 32, LAST_SEGMENT), NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
    }

    @Test
    void descriptorTypesThisControllerDoesNotTake() {
        long at = d.allocPages(2);
        expect(io(Sqe.READ, 0, 8, at, 4096, BIT_BUCKET), TYPE_INVALID);
        expect(io(Sqe.READ, 0, 8, at, 4096, KEYED_DATA_BLOCK), TYPE_INVALID);
        expect(io(Sqe.READ, 0, 8, at, 4096, DATA_BLOCK | 0x1), TYPE_INVALID);
        expect(io(Sqe.READ, 0, 8, segment(at, 4096, BIT_BUCKET), 16, LAST_SEGMENT), TYPE_INVALID);
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 0, 8).prp1(at).psdt(3)), NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
    }

    @Test
    void malformedSegments() {
        long at = d.allocPages(2);
        long lastSeg = segment(at, 4096, DATA_BLOCK);
        expect(io(Sqe.READ, 0, 8, lastSeg, 0, LAST_SEGMENT), SEG_INVALID);
        expect(io(Sqe.READ, 0, 8, lastSeg, 24, LAST_SEGMENT), SEG_INVALID);
        // A pointer to a segment that is not the last descriptor of its segment.
        long middle = segment(lastSeg, 16, LAST_SEGMENT, at, 4096, DATA_BLOCK);
        expect(io(Sqe.READ, 0, 8, middle, 32, SEGMENT), SEG_INVALID);
        // A Last Segment may not point anywhere.
        long pointing = segment(at, 2048, DATA_BLOCK, lastSeg, 16, LAST_SEGMENT);
        expect(io(Sqe.READ, 0, 8, pointing, 32, LAST_SEGMENT), SEG_INVALID);
        // A Segment must end with a pointer.
        long unterminated = segment(at, 2048, DATA_BLOCK, at + 2048, 2048, DATA_BLOCK);
        expect(io(Sqe.READ, 0, 8, unterminated, 32, SEGMENT), SEG_INVALID);
    }

    @Test
    void sglMemoryOutsideTheHost() {
        long at = d.allocPages(2);
        int dte = NvmeStatus.withDnr(NvmeStatus.DATA_TRANSFER_ERROR);
        expect(io(Sqe.READ, 0, 8, 0x1000, 4096, DATA_BLOCK), dte);
        expect(io(Sqe.READ, 0, 8, 0x1000, 16, LAST_SEGMENT), dte);
        expect(io(Sqe.WRITE, 0, 8, segment(at, 2048, DATA_BLOCK, 0x2000, 2048, DATA_BLOCK), 32, LAST_SEGMENT), dte);
    }

    @Test
    void aSegmentThatPointsToItselfIsBounded() {
        long loop = d.allocPages(1);
        d.memory.putLong(loop, loop);
        d.memory.putInt(loop + 8, 16);
        d.memory.putInt(loop + 12, SEGMENT << 24);
        expect(io(Sqe.READ, 0, 8, loop, 16, SEGMENT), NvmeStatus.withDnr(PcieStatus.INVALID_NUMBER_OF_SGL_DESCRIPTORS));
    }
}
