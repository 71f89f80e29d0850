package org.k200emu.nvme.controller;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.concurrent.Executor;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.nvme.IoOpcode;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.Namespace;

/**
 * The NVM command set's I/O path for one controller: validate a command against the opcode table,
 * the namespace and the transfer limits, turn it into bdev I/O on the request's reusable
 * {@link BdevIo}, and complete it when the bdev does. Runs on the I/O queue's core; allocates
 * nothing but the pooled buffer a read returns, and takes no lock.
 */
final class IoCommands implements BdevCompletion {

    private static final int FUA = 1 << 30;
    private static final int DSM_RANGE_LENGTH = 16;
    private static final int DSM_DEALLOCATE = 1 << 2;

    private final NvmeController c;

    IoCommands(NvmeController controller) {
        this.c = controller;
    }

    void execute(NvmeRequest req, Executor core) {
        IoOpcode op = IoOpcode.of(req.opcode());
        if (op == null) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
            return;
        }
        if (req.fuse() != 0) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        Namespace ns = c.subsystem().namespace(req.nsid());
        if (ns == null) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_NAMESPACE));
            return;
        }
        org.k200emu.nvme.AnaState ana = c.anaState();
        if (!ana.accessible()) {
            // Not DNR: the host retries on another path (or here, once the port is back).
            c.complete(req, ana.ioStatus());
            return;
        }
        req.namespace = ns;
        switch (op) {
            case READ:
            case WRITE:
            case COMPARE:
                transfer(req, op, ns, core);
                break;
            case FLUSH:
                submit(req, BdevOp.FLUSH, 0, 0, null, ns, core);
                break;
            case WRITE_ZEROES:
                writeZeroes(req, ns, core);
                break;
            case DATASET_MANAGEMENT:
                datasetManagement(req, ns, core);
                break;
            default:
                c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE));
        }
    }

    private void transfer(NvmeRequest req, IoOpcode op, Namespace ns, Executor core) {
        long slba = req.sqe().getLongLE(40);
        int blocks = (req.cdw(12) & 0xFFFF) + 1;
        if (!inRange(slba, blocks, ns)) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
            return;
        }
        long bytes = (long) blocks * ns.blockSize();
        if (bytes > c.transport().maxTransferBytes()) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        if (req.transferLength() < bytes) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
            return;
        }
        int length = (int) bytes;
        if (op == IoOpcode.READ) {
            ByteBuf buf = req.allocator().directBuffer(length, length);
            req.scratch = buf;
            submit(req, BdevOp.READ, slba, blocks, buf, ns, core);
            return;
        }
        ByteBuf data = req.data();
        if (data == null || data.readableBytes() < length) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
            return;
        }
        // The host may describe more data than the blocks need; only the blocks count.
        data.writerIndex(data.readerIndex() + length);
        if (op == IoOpcode.WRITE) {
            req.step = (req.cdw(12) & FUA) != 0 && c.features().writeCacheEnabled ? 1 : 0;
            submit(req, BdevOp.WRITE, slba, blocks, data, ns, core);
        } else {
            ByteBuf buf = req.allocator().directBuffer(length, length);
            req.scratch = buf;
            submit(req, BdevOp.READ, slba, blocks, buf, ns, core);
        }
    }

    private void writeZeroes(NvmeRequest req, Namespace ns, Executor core) {
        long slba = req.sqe().getLongLE(40);
        int blocks = (req.cdw(12) & 0xFFFF) + 1;
        if (!inRange(slba, blocks, ns)) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
            return;
        }
        submit(req, BdevOp.WRITE_ZEROES, slba, blocks, null, ns, core);
    }

    /** Deallocate each range in turn; without the AD attribute the ranges are only hints. */
    private void datasetManagement(NvmeRequest req, Namespace ns, Executor core) {
        int ranges = (req.cdw(10) & 0xFF) + 1;
        int needed = ranges * DSM_RANGE_LENGTH;
        ByteBuf data = req.data();
        if (req.transferLength() < needed || data == null || data.readableBytes() < needed) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
            return;
        }
        for (int i = 0; i < ranges; i++) {
            int at = data.readerIndex() + i * DSM_RANGE_LENGTH;
            long length = data.getUnsignedIntLE(at + 4);
            long slba = data.getLongLE(at + 8);
            if (!inRange(slba, length, ns)) {
                c.complete(req, NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
                return;
            }
        }
        if ((req.cdw(11) & DSM_DEALLOCATE) == 0) {
            c.complete(req, NvmeStatus.SUCCESS);
            return;
        }
        req.step = 0;
        nextRange(req, ns, core);
    }

    private void nextRange(NvmeRequest req, Namespace ns, Executor core) {
        ByteBuf data = req.data();
        int ranges = (req.cdw(10) & 0xFF) + 1;
        while (req.step < ranges) {
            int at = data.readerIndex() + req.step * DSM_RANGE_LENGTH;
            req.step++;
            long length = data.getUnsignedIntLE(at + 4);
            if (length > 0) {
                submit(req, BdevOp.UNMAP, data.getLongLE(at + 8), length, null, ns, core);
                return;
            }
        }
        c.complete(req, NvmeStatus.SUCCESS);
    }

    private static boolean inRange(long slba, long blocks, Namespace ns) {
        return slba >= 0 && slba <= ns.blocks() && blocks <= ns.blocks() - slba;
    }

    private void submit(NvmeRequest req, BdevOp op, long lba, long blocks, ByteBuf buf, Namespace ns,
                        Executor core) {
        Bdev bdev = ns.bdev();
        bdev.submit(req.bdevIo().prepare(op, lba, blocks, buf, core, this, req));
    }

    @Override
    public void bdevIoDone(BdevIo io) {
        NvmeRequest req = (NvmeRequest) io.context();
        Namespace ns = (Namespace) req.namespace;
        int status = io.status();
        HealthCounters h = c.health();
        if (status != BdevStatus.SUCCESS) {
            releaseScratch(req);
            if (status == BdevStatus.MEDIA_ERROR) {
                h.mediaErrors.increment();
            }
            c.complete(req, mapStatus(status, io.op()));
            return;
        }
        IoOpcode op = IoOpcode.of(req.opcode());
        long bytes = io.numBlocks() * ns.blockSize();
        switch (op) {
            case READ:
                h.readCommands.increment();
                h.bytesRead.add(bytes);
                req.data(req.scratch);
                req.scratch = null;
                c.complete(req, NvmeStatus.SUCCESS);
                return;
            case WRITE:
                if (req.step == 1) {
                    // Force Unit Access on a volatile cache: flush before completing.
                    req.step = 2;
                    h.writeCommands.increment();
                    h.bytesWritten.add(bytes);
                    submit(req, BdevOp.FLUSH, 0, 0, null, ns, io.core());
                    return;
                }
                if (io.op() == BdevOp.WRITE) {
                    h.writeCommands.increment();
                    h.bytesWritten.add(bytes);
                }
                c.complete(req, NvmeStatus.SUCCESS);
                return;
            case COMPARE: {
                h.readCommands.increment();
                h.bytesRead.add(bytes);
                ByteBuf host = req.data();
                ByteBuf medium = req.scratch;
                boolean same = ByteBufUtil.equals(host, host.readerIndex(), medium, medium.readerIndex(),
                        medium.readableBytes());
                releaseScratch(req);
                c.complete(req, same ? NvmeStatus.SUCCESS : NvmeStatus.withDnr(NvmeStatus.COMPARE_FAILURE));
                return;
            }
            case DATASET_MANAGEMENT:
                nextRange(req, ns, io.core());
                return;
            default:
                c.complete(req, NvmeStatus.SUCCESS);
        }
    }

    private static void releaseScratch(NvmeRequest req) {
        if (req.scratch != null) {
            req.scratch.release();
            req.scratch = null;
        }
    }

    private static int mapStatus(int bdevStatus, BdevOp op) {
        switch (bdevStatus) {
            case BdevStatus.OUT_OF_RANGE:
                return NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE);
            case BdevStatus.UNSUPPORTED:
                return NvmeStatus.withDnr(NvmeStatus.INVALID_OPCODE);
            case BdevStatus.MEDIA_ERROR:
                return op == BdevOp.READ ? NvmeStatus.UNRECOVERED_READ_ERROR : NvmeStatus.WRITE_FAULT;
            case BdevStatus.BAD_BUFFER:
                return NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID);
            case BdevStatus.ABORTED:
                return NvmeStatus.ABORTED_SQ_DELETION;
            case BdevStatus.PATH_ERROR:
                // Not DNR: the host retries, and a remote namespace that comes back serves it.
                return NvmeStatus.NS_NOT_READY;
            default:
                return NvmeStatus.INTERNAL;
        }
    }
}
