package org.k200emu.nvme.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;

/**
 * Plays the front end for tests: owns a subsystem, its bdevs and controllers, fills a fresh
 * {@link NvmeRequest} per command and collects the completion. Every executor is
 * {@code Runnable::run}, so a command has completed (or is held, like an AER) when submit returns.
 */
final class TestTransport implements AutoCloseable {

    static final String NQN = "nqn.2024-01.org.k200emu:test-subsystem";
    static final String HOST_NQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001";
    static final String SERIAL = "SN0123";
    static final String MODEL = "K200-LP test model";
    /** IOCCSZ 516 (64-byte SQE + 8 KiB in-capsule), IORCSZ 1, ICDOFF 0, MDTS 5 (128 KiB), 128 entries, 8 queues. */
    static final TransportParams TRANSPORT = new TransportParams(516, 1, 0, 5, 128, 8);
    /** CC with EN=1, CSS=NVM, MPS=4 KiB, IOSQES=6, IOCQES=4. */
    static final int CC_ENABLE = 1 | 6 << 16 | 4 << 20;

    final Subsystem subsystem;
    final List<Bdev> bdevs = new ArrayList<>();
    ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
    NvmeController controller;
    private int nextSlot;

    TestTransport(Subsystem subsystem) {
        this.subsystem = subsystem;
    }

    /** An NVM subsystem with one malloc namespace per entry of {@code blocks} (512-byte blocks), NSIDs 1.. */
    static TestTransport nvm(long... blocks) {
        TestTransport t = new TestTransport(Subsystem.nvm(NQN, SERIAL, MODEL, true, List.of()));
        for (int i = 0; i < blocks.length; i++) {
            t.addMalloc(i + 1, 512, blocks[i]);
        }
        return t;
    }

    Namespace addMalloc(int nsid, int blockSize, long blocks) {
        return addBdev(nsid, new MallocBdev("malloc" + bdevs.size(), blockSize, blocks));
    }

    Namespace addBdev(int nsid, Bdev bdev) {
        bdevs.add(bdev);
        return subsystem.addNamespace(new Namespace(nsid, bdev, null, null));
    }

    /** The ANA state the next controllers' port reports; tests change it. */
    volatile org.k200emu.nvme.AnaState portState = org.k200emu.nvme.AnaState.OPTIMIZED;

    /** Creates a controller (the last one created becomes the current one); not enabled. */
    NvmeController connect(int katoMs) {
        controller = subsystem.createController(new ControllerParams(HOST_NQN, new UUID(1, 2), katoMs,
                TRANSPORT, Runnable::run, () -> portState));
        assertThat(controller).isNotNull();
        return controller;
    }

    /** Connects and enables a controller with the usual CC. */
    NvmeController connectAndEnable() {
        connect(0);
        enable();
        return controller;
    }

    void enable() {
        assertThat(controller.setProperty(NvmeController.REG_CC, 4, CC_ENABLE)).isEqualTo(NvmeStatus.SUCCESS);
        assertThat(controller.isReady()).isTrue();
    }

    private NvmeRequest request(Sqe sqe, int qid, int transferLength, ByteBuf data) {
        NvmeRequest req = new NvmeRequest(nextSlot++);
        req.sqe().clear().writeBytes(sqe.bytes());
        req.qid(qid).allocator(allocator).transferLength(transferLength).data(data);
        return req;
    }

    /** An admin command with a 4 KiB host buffer and no data. */
    Completion admin(Sqe sqe) {
        return admin(sqe, 4096, null);
    }

    Completion admin(Sqe sqe, int transferLength, ByteBuf data) {
        NvmeRequest req = request(sqe, 0, transferLength, data);
        Completion c = new Completion(req);
        controller.submitAdmin(req, c);
        return c;
    }

    /** An I/O command on queue 1 without data (reads, flush, write zeroes). */
    Completion io(Sqe sqe, int transferLength) {
        return io(sqe, 1, transferLength, null);
    }

    /** An I/O command carrying {@code data} (released by the completion, as a transport would). */
    Completion io(Sqe sqe, int qid, int transferLength, ByteBuf data) {
        NvmeRequest req = request(sqe, qid, transferLength, data);
        Completion c = new Completion(req);
        controller.submitIo(req, Runnable::run, c);
        return c;
    }

    /** A host buffer holding {@code bytes}. */
    ByteBuf buffer(byte[] bytes) {
        return allocator.buffer(bytes.length).writeBytes(bytes);
    }

    @Override
    public void close() {
        for (NvmeController c : new ArrayList<>(subsystem.controllers())) {
            subsystem.removeController(c);
        }
        for (Bdev b : bdevs) {
            b.close();
        }
    }
}
