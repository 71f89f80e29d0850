package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.pi.PiBdev;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.testing.Bytes;

/**
 * A protection-information namespace behind the PCIe front end: with PRACT clear the PRPs
 * describe extended blocks (block size + 8 bytes, metadata interleaved), with PRACT set data only.
 */
class PiPcieTest {

    private static final int PRACT = 1 << 29;
    private static final int GUARD = 1 << 28;
    private static final int REF = 1 << 26;

    private final MallocBdev member = new MallocBdev("m0", 512, 8192);
    private final TestMachine m = new TestMachine(PcieParams.defaults(), Runnable::run, 16 << 20,
            PiBdev.create("pi0", member, 1));
    private final TestNvmeDriver d = m.driver;
    private final TestNvmeDriver.QueuePair q;

    PiPcieTest() {
        d.enable();
        q = d.createIoQueuePair(1, 64, 1);
    }

    @AfterEach
    void close() {
        m.close();
        member.close();
    }

    /** The guard by the CRC-16 T10-DIF definition, one bit at a time. */
    private static int crc(byte[] data, int offset, int length) {
        int crc = 0;
        for (int i = offset; i < offset + length; i++) {
            crc ^= (data[i] & 0xFF) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x8BB7) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        return crc;
    }

    private Cqe io(int opcode, long slba, int blocks, int prinfo, TestNvmeDriver.Buffer b) {
        TestNvmeDriver.Prp p = d.prp(b);
        return d.execute(q, Sqe.rw(opcode, 1, slba, blocks).cdw(12, (blocks - 1) | prinfo).cdw(14, (int) slba)
                .prp1(p.prp1()).prp2(p.prp2()));
    }

    @Test
    void extendedBlocksWithoutPractDataOnlyWithIt() {
        byte[] data = Bytes.random(1, 16 * 512);
        ByteBuffer ext = ByteBuffer.allocate(16 * 520);
        for (int i = 0; i < 16; i++) {
            ext.put(data, i * 512, 512).putShort((short) crc(data, i * 512, 512)).putShort((short) 0).putInt(40 + i);
        }
        TestNvmeDriver.Buffer wb = d.allocBuffer(16 * 520, 0, true);
        d.fill(wb, ext.array());
        expect(io(Sqe.WRITE, 40, 16, GUARD | REF, wb), NvmeStatus.SUCCESS);
        TestNvmeDriver.Buffer rb = d.allocBuffer(16 * 512, 0, true);
        expect(io(Sqe.READ, 40, 16, PRACT | GUARD | REF, rb), NvmeStatus.SUCCESS);
        assertThat(d.contents(rb)).isEqualTo(data);
        TestNvmeDriver.Buffer xb = d.allocBuffer(16 * 520, 0, true);
        expect(io(Sqe.READ, 40, 16, 0, xb), NvmeStatus.SUCCESS);
        assertThat(d.contents(xb)).isEqualTo(ext.array());
        // A wrong reference tag in what the host sends fails the write.
        ext.putInt(520 * 3 + 516, 0);
        d.fill(wb, ext.array());
        expect(io(Sqe.WRITE, 40, 16, GUARD | REF, wb), NvmeStatus.withDnr(NvmeStatus.REF_TAG_CHECK_ERROR));
    }
}
