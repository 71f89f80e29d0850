package org.k200emu.nvme.controller;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.concurrent.Executor;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.pi.PiBdev;
import org.k200emu.nvme.IoOpcode;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.Namespace;

/**
 * The NVM command set's I/O path for one controller: validate a command against the opcode table,
 * the namespace and the transfer limits, turn it into bdev I/O on the request's reusable
 * {@link BdevIo}, and complete it when the bdev does. Runs on the I/O queue's core; allocates
 * nothing but the pooled buffer a read returns (none when the bdev lends its own), and takes no
 * lock.
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
        Namespace ns = c.namespace(req.nsid());
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
        PiBdev pi = protection(ns);
        int cdw12 = req.cdw(12);
        boolean pract = pi != null && (cdw12 & ProtectionInfo.PRACT) != 0;
        if (pi != null) {
            int status = ProtectionInfo.validate(pi.piType(), cdw12, slba, req.cdw(14));
            if (status != NvmeStatus.SUCCESS) {
                c.complete(req, status);
                return;
            }
        }
        // What the host transfers: data only, or (PI namespace, PRACT clear) extended blocks.
        long bytes = ns.transferBytes(blocks, cdw12);
        if (bytes > c.transport().maxTransferBytes()) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        if (req.transferLength() < bytes) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
            return;
        }
        int length = (int) bytes;
        // What the bdev moves: a pi bdev always takes and gives extended blocks.
        int bdevLength = pi == null ? length : blocks * pi.extendedBlockSize();
        if (op == IoOpcode.READ) {
            // The data goes to the host as it is, unless protection information is checked and
            // stripped first: then the bdev may lend its own buffer (the null bdev's zeroes), and
            // one that lends every read needs no buffer from us.
            Bdev bdev = ns.bdev();
            boolean lent = pi == null && bdev.lendsReads();
            ByteBuf buf = lent ? null : req.allocator().directBuffer(bdevLength, bdevLength);
            req.scratch = buf;
            BdevIo io = req.bdevIo().prepare(BdevOp.READ, slba, blocks, buf, core, this, req);
            bdev.submit(pi == null ? io.allowLending() : io);
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
            req.step = (cdw12 & FUA) != 0 && c.features().writeCacheEnabled ? 1 : 0;
            if (pract) {
                ByteBuf ext = req.allocator().directBuffer(bdevLength, bdevLength);
                ProtectionInfo.insert(data, data.readerIndex(), ext, blocks, ns.blockSize(), pi.piType(),
                        req.cdw(14), req.cdw(15));
                req.scratch = ext;
                submit(req, BdevOp.WRITE, slba, blocks, ext, ns, core);
                return;
            }
            if (pi != null) {
                // Checked before anything is written: a bad block fails the command and stores nothing.
                int status = ProtectionInfo.check(data, data.readerIndex(), blocks, ns.blockSize(), pi.piType(),
                        cdw12, req.cdw(14), req.cdw(15));
                if (status != NvmeStatus.SUCCESS) {
                    c.complete(req, status);
                    return;
                }
            }
            submit(req, BdevOp.WRITE, slba, blocks, data, ns, core);
        } else {
            ByteBuf buf = req.allocator().directBuffer(bdevLength, bdevLength);
            req.scratch = buf;
            submit(req, BdevOp.READ, slba, blocks, buf, ns, core);
        }
    }

    /** The namespace's pi bdev if it is formatted with protection information, else null. */
    private static PiBdev protection(Namespace ns) {
        return ns.bdev() instanceof PiBdev ? (PiBdev) ns.bdev() : null;
    }

    private void writeZeroes(NvmeRequest req, Namespace ns, Executor core) {
        long slba = req.sqe().getLongLE(40);
        int blocks = (req.cdw(12) & 0xFFFF) + 1;
        if (!inRange(slba, blocks, ns)) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.LBA_OUT_OF_RANGE));
            return;
        }
        PiBdev pi = protection(ns);
        if (pi != null) {
            int cdw12 = req.cdw(12);
            int status = ProtectionInfo.validate(pi.piType(), cdw12, slba, req.cdw(14));
            if (status != NvmeStatus.SUCCESS) {
                c.complete(req, status);
                return;
            }
            if ((cdw12 & ProtectionInfo.PRACT) != 0) {
                // Generated as for a write of zeroes (whose guard is 0); without PRACT it is all zero.
                ByteBuf first = req.allocator().buffer(ProtectionInfo.BYTES, ProtectionInfo.BYTES);
                first.writeLong(ProtectionInfo.tuple(0, req.cdw(15) & 0xFFFF, req.cdw(14)));
                req.scratch = first;
                submit(req, BdevOp.WRITE_ZEROES, slba, blocks, first, ns, core);
                return;
            }
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
        ByteBuf lent = io.takeLent();
        if (lent != null) {
            // A READ answered by reference: the buffer made for it is not needed.
            releaseScratch(req);
            req.scratch = lent;
        }
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
        PiBdev pi = protection(ns);
        switch (op) {
            case READ: {
                ByteBuf buf = req.scratch;
                req.scratch = null;
                if (buf == null) {
                    // A bdev that said it lends every read answered one without data.
                    c.complete(req, NvmeStatus.INTERNAL);
                    return;
                }
                h.readCommands.increment();
                h.bytesRead.add(bytes);
                if (pi != null) {
                    buf = checkAndStrip(req, pi, buf);
                    if (buf == null) {
                        return;
                    }
                }
                req.data(buf);
                c.complete(req, NvmeStatus.SUCCESS);
                return;
            }
            case WRITE:
                releaseScratch(req); // a PRACT write's extended copy
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
                boolean same;
                if (pi == null) {
                    same = ByteBufUtil.equals(host, host.readerIndex(), medium, medium.readerIndex(),
                            medium.readableBytes());
                } else {
                    int checked = checkMedium(req, pi, medium);
                    if (checked != NvmeStatus.SUCCESS) {
                        releaseScratch(req);
                        h.mediaErrors.increment();
                        c.complete(req, checked);
                        return;
                    }
                    same = (req.cdw(12) & ProtectionInfo.PRACT) != 0
                            ? ProtectionInfo.sameData(medium, medium.readerIndex(), host, host.readerIndex(),
                                    (int) io.numBlocks(), ns.blockSize())
                            : ByteBufUtil.equals(host, host.readerIndex(), medium, medium.readerIndex(),
                                    medium.readableBytes());
                }
                releaseScratch(req);
                c.complete(req, same ? NvmeStatus.SUCCESS : NvmeStatus.withDnr(NvmeStatus.COMPARE_FAILURE));
                return;
            }
            case WRITE_ZEROES:
                releaseScratch(req); // the first block's protection information
                c.complete(req, NvmeStatus.SUCCESS);
                return;
            case DATASET_MANAGEMENT:
                nextRange(req, ns, io.core());
                return;
            default:
                c.complete(req, NvmeStatus.SUCCESS);
        }
    }

    /** The PRCHK checks of what a pi bdev read, against the command's expected tags. */
    private static int checkMedium(NvmeRequest req, PiBdev pi, ByteBuf ext) {
        return ProtectionInfo.check(ext, ext.readerIndex(), (req.cdw(12) & 0xFFFF) + 1, pi.blockSize(), pi.piType(),
                req.cdw(12), req.cdw(14), req.cdw(15));
    }

    /**
     * A read of a PI namespace: checks the blocks as PRCHK asks, then with PRACT strips the
     * protection information. Returns the buffer for the host, or null if the read failed (then
     * the request is completed with the check's status and nothing is handed up).
     */
    private ByteBuf checkAndStrip(NvmeRequest req, PiBdev pi, ByteBuf ext) {
        int status = checkMedium(req, pi, ext);
        if (status != NvmeStatus.SUCCESS) {
            ext.release();
            c.health().mediaErrors.increment();
            c.complete(req, status);
            return null;
        }
        if ((req.cdw(12) & ProtectionInfo.PRACT) == 0) {
            return ext;
        }
        int blocks = (req.cdw(12) & 0xFFFF) + 1;
        int length = blocks * pi.blockSize();
        ByteBuf out = req.allocator().directBuffer(length, length);
        ProtectionInfo.strip(ext, ext.readerIndex(), out, blocks, pi.blockSize());
        ext.release();
        return out;
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
