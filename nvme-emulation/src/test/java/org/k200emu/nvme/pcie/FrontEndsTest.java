package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.nvme.pcie.TestNvmeDriver.expect;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.controller.ControllerParams;
import org.k200emu.nvme.controller.NvmeController;
import org.k200emu.nvme.controller.NvmeRequest;
import org.k200emu.nvme.controller.TransportParams;
import org.k200emu.testing.Bytes;

/**
 * One namespace, two front ends: what the PCIe function writes, a controller driven the way the
 * NVMe/TCP target drives it (an {@link NvmeRequest} with the transfer length and data attached,
 * no host memory) reads back, and the other way round.
 */
class FrontEndsTest {

    private final TestMachine m = TestMachine.ready();
    private final TestNvmeDriver d = m.driver;
    private final TestNvmeDriver.QueuePair q = d.createIoQueuePair(1, 32, 1);
    private final NvmeController fabrics = m.subsystem.createController(new ControllerParams(
            "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-0000000000f0", new UUID(0, 0xF0), 0,
            new TransportParams(516, 1, 0, 5, 128, 8), Runnable::run));

    FrontEndsTest() {
        assertThat(fabrics.setProperty(NvmeController.REG_CC, 4, TestNvmeDriver.CC_ENABLE)).isEqualTo(NvmeStatus.SUCCESS);
    }

    @AfterEach
    void close() {
        m.subsystem.removeController(fabrics);
        m.close();
    }

    /** Runs an I/O command on the other controller as a transport would; returns the data it sent back. */
    private byte[] fabricsIo(Sqe sqe, int transferLength, byte[] data, int expectedStatus) {
        NvmeRequest req = new NvmeRequest(0);
        req.sqe().clear().writeBytes(sqe.bytes());
        ByteBuf buf = data == null ? null : PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data);
        req.qid(1).allocator(PooledByteBufAllocator.DEFAULT).transferLength(transferLength).data(buf);
        byte[][] returned = new byte[1][];
        int[] status = {-1};
        fabrics.submitIo(req, Runnable::run, r -> {
            status[0] = r.status();
            ByteBuf out = r.data();
            r.data(null);
            if (out != null) {
                returned[0] = out == buf ? null : ByteBufUtil.getBytes(out);
                out.release();
            }
        });
        assertThat(status[0]).as(NvmeStatus.name(status[0])).isEqualTo(expectedStatus);
        return returned[0];
    }

    @Test
    void writtenThroughPcieReadThroughTheOtherFrontEnd() {
        byte[] data = Bytes.random(21, 64 * 1024);
        expect(d.write(q, 1, 1000, data, 512), NvmeStatus.SUCCESS);
        byte[] read = fabricsIo(Sqe.rw(Sqe.READ, 1, 1000, 128), data.length, null, NvmeStatus.SUCCESS);
        assertThat(read).isEqualTo(data);
    }

    @Test
    void writtenThroughTheOtherFrontEndReadThroughPcie() {
        byte[] data = Bytes.random(22, 12 * 1024);
        fabricsIo(Sqe.rw(Sqe.WRITE, 1, 2000, 24), data.length, data, NvmeStatus.SUCCESS);
        assertThat(d.read(q, 1, 2000, 24, 512)).isEqualTo(data);
        TestNvmeDriver.Buffer b = d.allocBuffer(data.length, 0x40, true);
        TestNvmeDriver.Prp p = d.prp(b, 4096 - 16);
        expect(d.execute(q, Sqe.rw(Sqe.READ, 1, 2000, 24).prp1(p.prp1()).prp2(p.prp2())), NvmeStatus.SUCCESS);
        assertThat(d.contents(b)).isEqualTo(data);
    }

    @Test
    void bothControllersDescribeTheSameNamespace() {
        byte[] pcie = d.identify(0, 1);
        assertThat(Arrays.copyOfRange(pcie, 104, 120)).as("NGUID").isEqualTo(m.subsystem.namespace(1).nguid());
        byte[] ctrl = d.identify(1, 0);
        int cntlid = ctrl[78] & 0xFF | (ctrl[79] & 0xFF) << 8;
        assertThat(cntlid).isEqualTo(m.device.controller().cntlid()).isNotEqualTo(fabrics.cntlid());
    }
}
