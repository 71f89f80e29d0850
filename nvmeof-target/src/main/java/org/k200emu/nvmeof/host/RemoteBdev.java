package org.k200emu.nvmeof.host;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.cluster.SimCore;
import org.k200emu.nvme.NvmeStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A namespace of a remote NVMe/TCP controller as a bdev of the card, so every storage service
 * can stack on it and the card's own controllers can serve it to their hosts. I/O goes out on
 * the initiator queue pair that runs on the caller's thread when there is one (the card's core
 * event loops run both), else on a queue chosen by the caller's thread and handed over.
 * Transfers above the remote controller's MDTS are split into several commands.
 *
 * <p>When the connection fails, the commands in flight and the I/O submitted meanwhile are held
 * (not failed) while the {@link RemoteController} reconnects, then sent again; I/O held longer
 * than the hold timeout completes {@link BdevStatus#PATH_ERROR}, which the card's controllers
 * report as a retryable status. A write is acknowledged only when the remote controller
 * acknowledged it, so a retry never loses an acknowledged write.
 */
public final class RemoteBdev implements Bdev {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteBdev.class);

    private final String name;
    private final RemoteController controller;
    private final int nsid;
    private final int blockSize;
    private final long blockCount;
    /** Protection information type of the remote namespace (0: none): the remote inserts and strips it (PRACT). */
    private final int piType;
    private final long holdTimeoutNanos;
    /** I/O waiting for the association to come back: (I/O, when it started waiting). */
    private final ConcurrentLinkedQueue<Held> held = new ConcurrentLinkedQueue<>();
    /** Per queue pair (each deque confined to its queue's loop): I/O waiting for a free command slot. */
    private final Map<HostQueuePair, ArrayDeque<BdevIo>> waiting = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** The remote MDTS in bytes, whole blocks; refreshed on reconnect (never read through a dead association). */
    private volatile int maxTransfer;

    private record Held(BdevIo io, int resumeBytes, long sinceNanos) {
    }

    /**
     * A bdev over namespace {@code nsid} of a connected controller.
     *
     * @param holdTimeoutMillis how long I/O waits for a lost connection to come back before it
     *     fails with {@link BdevStatus#PATH_ERROR}
     */
    public RemoteBdev(String name, RemoteController controller, int nsid, long holdTimeoutMillis) {
        RemoteController.RemoteNamespace ns = controller.namespace(nsid);
        if (ns == null) {
            throw new IllegalArgumentException(controller + " has no namespace " + nsid + " (it has "
                    + controller.namespaces() + ")");
        }
        if (ns.metadataSize() != 0 && !(ns.metadataSize() == 8 && ns.piType() >= 1 && ns.piType() <= 3)) {
            // Only 8 bytes of protection information can be left to the remote (PRACT); other
            // metadata would travel with the data, which this initiator does not carry.
            throw new IllegalArgumentException(controller + " namespace " + nsid + " is formatted with "
                    + ns.metadataSize() + " bytes of metadata per block" + (ns.piType() == 0 ? " without"
                    : " with type " + ns.piType()) + " protection information; the k200 initiator supports"
                    + " namespaces without metadata or with exactly 8 bytes of protection information");
        }
        this.name = name;
        this.controller = controller;
        this.nsid = nsid;
        this.piType = ns.metadataSize() == 8 ? ns.piType() : 0;
        this.blockSize = ns.blockSize();
        this.blockCount = ns.blocks();
        this.holdTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(holdTimeoutMillis);
        this.maxTransfer = wholeBlocks(controller.identity().maxTransferBytes());
        for (HostQueuePair q : controller.ioQueues()) {
            waiting.put(q, new ArrayDeque<>());
        }
        controller.onStateChange(state -> {
            if (state == RemoteController.State.CONNECTED) {
                try {
                    maxTransfer = wholeBlocks(controller.identity().maxTransferBytes());
                } catch (IllegalStateException goneAgain) {
                    // lost again already: the next CONNECTED refreshes it
                }
                waiting.keySet().retainAll(new java.util.HashSet<>(controller.ioQueues())); // drop dead queues
                resubmitHeld();
            } else if (state == RemoteController.State.CLOSED) {
                failHeld();
            }
        });
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blockCount() {
        return blockCount;
    }

    @Override
    public String module() {
        return "remote";
    }

    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    @Override
    public boolean hasVolatileWriteCache() {
        // Unknown for a remote controller: forwarding Flush is always safe.
        return true;
    }

    /** The remote controller and its state (for status displays). */
    public RemoteController controller() {
        return controller;
    }

    public int nsid() {
        return nsid;
    }

    @Override
    public void submit(BdevIo io) {
        if (closed) {
            io.complete(BdevStatus.ABORTED);
            return;
        }
        int status = BdevGeometry.validate(io, blockSize, blockCount);
        if (status != BdevStatus.SUCCESS) {
            io.complete(status);
            return;
        }
        List<HostQueuePair> queues = controller.ioQueues();
        if (queues.isEmpty()) {
            hold(io, 0, 0);
            return;
        }
        HostQueuePair mine = null;
        for (HostQueuePair q : queues) {
            if (q.eventLoop().inEventLoop()) {
                mine = q;
                break;
            }
        }
        if (mine != null) {
            issue(mine, io, 0, 0);
        } else {
            // Not on an initiator loop: hand over to one, chosen by thread for some spread.
            HostQueuePair q = queues.get((int) (Thread.currentThread().getId() % queues.size()));
            q.eventLoop().execute(() -> issue(q, io, 0, 0));
        }
    }

    /**
     * Sends (part of) an I/O on {@code q}, from {@code doneBytes} on; on q's event loop.
     * {@code heldSince}: when the I/O was first held, 0 if it has not been.
     */
    private void issue(HostQueuePair q, BdevIo io, int doneBytes, long heldSince) {
        if (!q.isLive()) {
            hold(io, doneBytes, heldSince);
            return;
        }
        HostCommand c = q.acquire();
        if (c == null) {
            // Only whole I/Os wait for a slot: a split I/O keeps its slot from part to part.
            queueFor(q).add(io);
            return;
        }
        try {
            prepare(c, io, doneBytes);
            q.submit(c);
        } catch (RuntimeException e) {
            // Never lose an I/O to a bug on this path: it fails, visibly.
            LOG.error("{}: cannot send {} at LBA {}", name, io.op(), io.offsetBlocks(), e);
            q.release(c);
            finish(io, BdevStatus.PATH_ERROR);
        }
    }

    private ArrayDeque<BdevIo> queueFor(HostQueuePair q) {
        // Lock-free lookup; a queue pair of a new association gets its deque on first use.
        ArrayDeque<BdevIo> d = waiting.get(q);
        return d != null ? d : waiting.computeIfAbsent(q, x -> new ArrayDeque<>());
    }

    private int wholeBlocks(int bytes) {
        return Math.max(bytes - bytes % blockSize, blockSize);
    }

    /** Fills the command for the part of {@code io} that starts at {@code doneBytes}. */
    private void prepare(HostCommand c, BdevIo io, int doneBytes) {
        long firstLba = io.offsetBlocks() + doneBytes / blockSize;
        long totalBytes = io.numBlocks() * blockSize;
        int bytes = (int) Math.min(totalBytes - doneBytes, maxTransfer);
        int blocks = bytes / blockSize;
        c.context(io);
        c.onCompletion(this::completed);
        switch (io.op()) {
            case READ:
                c.read(nsid, firstLba, blocks, io.buffer(), bytes);
                protect(c);
                break;
            case WRITE: {
                ByteBuf data = io.buffer();
                ByteBuf part = doneBytes == 0 && bytes == data.readableBytes() ? data
                        : data.slice(data.readerIndex() + doneBytes, bytes);
                c.write(nsid, firstLba, blocks, part);
                protect(c);
                break;
            }
            case FLUSH:
                c.clear().opcode(0x00).nsid(nsid);
                break;
            case WRITE_ZEROES:
                c.clear().opcode(0x08).nsid(nsid);
                c.sqe().setLongLE(40, firstLba);
                c.sqe().setIntLE(48, (int) Math.min(io.numBlocks(), 0x10000) - 1);
                protect(c);
                break;
            case UNMAP:
            default:
                // Deallocate through Write Zeroes with the DEAC bit: same effect for the host, no range buffer.
                c.clear().opcode(0x08).nsid(nsid);
                c.sqe().setLongLE(40, firstLba);
                c.sqe().setIntLE(48, ((int) Math.min(io.numBlocks(), 0x10000) - 1) | 1 << 25);
                protect(c);
                break;
        }
    }

    /** On a namespace with protection information: as Linux's host sends it (see {@link HostCommand#protectionInformation}). */
    private void protect(HostCommand c) {
        c.protectionInformation(piType);
    }

    /** Bytes of the I/O done once the command's part is done. */
    private long progressBytes(HostCommand c, BdevIo io) {
        BdevOp op = io.op();
        if (op == BdevOp.FLUSH) {
            return io.numBlocks() * blockSize;
        }
        long lba = c.sqe().getLongLE(40);
        int blocks = (c.sqe().getIntLE(48) & 0xFFFF) + 1;
        return (lba - io.offsetBlocks() + blocks) * blockSize;
    }

    private void completed(HostCommand c) {
        BdevIo io = (BdevIo) c.context();
        HostQueuePair q = queueOf(c);
        int status = c.status();
        if (status == NvmeStatus.HOST_PATH_ERROR && controller.options().reconnect() && !closed) {
            // The connection went away under the command: resume from this part after reconnecting,
            // dropping whatever part of its read data had arrived.
            if (io.op() == BdevOp.READ) {
                io.buffer().writerIndex(io.buffer().writerIndex() - c.received);
            }
            hold(io, partStart(c, io), 0);
        } else if (status != 0) {
            finish(io, bdevStatus(status, io.op()));
        } else {
            long done = progressBytes(c, io);
            long total = io.op() == BdevOp.FLUSH ? done : io.numBlocks() * blockSize;
            if (done < total && q != null) {
                prepare(c, io, (int) done);
                q.submit(c); // the same slot carries the next part
                return;
            }
            finish(io, BdevStatus.SUCCESS);
        }
        if (q != null) {
            ArrayDeque<BdevIo> queued = queueFor(q);
            BdevIo next = queued.poll();
            if (next != null) {
                issue(q, next, 0, 0);
            }
        }
    }

    private HostQueuePair queueOf(HostCommand c) {
        for (HostQueuePair q : controller.ioQueues()) {
            if (q.eventLoop().inEventLoop()) {
                return q;
            }
        }
        return null;
    }

    /** Where the command's part of the I/O starts, in bytes from the I/O's start. */
    private int partStart(HostCommand c, BdevIo io) {
        if (io.op() == BdevOp.FLUSH) {
            return 0;
        }
        return (int) ((c.sqe().getLongLE(40) - io.offsetBlocks()) * blockSize);
    }

    /**
     * Holds an I/O until the association is back, at most the hold timeout counted from
     * {@code since} (when it was first held; 0: now).
     */
    private void hold(BdevIo io, int resumeBytes, long since) {
        if (holdTimeoutNanos == 0) {
            // No waiting (a multipath bdev above fails over to another path instead).
            finish(io, BdevStatus.PATH_ERROR);
            return;
        }
        long now = System.nanoTime();
        long first = since != 0 ? since : now;
        if (now - first > holdTimeoutNanos) {
            expired(io, now - first);
            return;
        }
        held.add(new Held(io, resumeBytes, first));
        RemoteController.State state = controller.state();
        if (state == RemoteController.State.CLOSED) {
            failHeld();
            return;
        }
        if (state == RemoteController.State.CONNECTED) {
            // Back already, or the controller has not noticed the loss yet (its queues are dead
            // but it still says connected): try again shortly, not at once, so an I/O does not
            // spin between a dead queue and here.
            controller.scheduler().schedule(this::resubmitHeld, 1, TimeUnit.MILLISECONDS);
        }
        scheduleHoldCheck();
    }

    private void expired(BdevIo io, long waitedNanos) {
        LOG.warn("{}: {} waited {} ms for the remote controller, failing it", name, io.op(),
                TimeUnit.NANOSECONDS.toMillis(waitedNanos));
        finish(io, BdevStatus.PATH_ERROR);
    }

    private void scheduleHoldCheck() {
        controller.scheduler().schedule(this::expireHeld,
                Math.max(holdTimeoutNanos / 4, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
    }

    private void expireHeld() {
        long now = System.nanoTime();
        boolean left = false;
        for (Held h : held) {
            if (now - h.sinceNanos() > holdTimeoutNanos) {
                if (held.remove(h)) {
                    expired(h.io(), now - h.sinceNanos());
                }
            } else {
                left = true;
            }
        }
        if (left && controller.state() != RemoteController.State.CONNECTED) {
            scheduleHoldCheck();
        }
    }

    private void resubmitHeld() {
        Held h;
        while ((h = held.poll()) != null) {
            BdevIo io = h.io();
            int resume = h.resumeBytes();
            long since = h.sinceNanos();
            io.core().execute(() -> submitAgain(io, resume, since));
        }
    }

    private void failHeld() {
        Held h;
        while ((h = held.poll()) != null) {
            finish(h.io(), BdevStatus.PATH_ERROR);
        }
    }

    /** A held I/O goes out again from its own core (it was validated already). */
    private void submitAgain(BdevIo io, int resumeBytes, long heldSince) {
        List<HostQueuePair> queues = controller.ioQueues();
        if (queues.isEmpty()) {
            hold(io, resumeBytes, heldSince);
            return;
        }
        HostQueuePair q = queues.get((int) (Thread.currentThread().getId() % queues.size()));
        for (HostQueuePair candidate : queues) {
            if (candidate.eventLoop().inEventLoop()) {
                q = candidate;
            }
        }
        HostQueuePair target = q;
        if (target.eventLoop().inEventLoop()) {
            issue(target, io, resumeBytes, heldSince);
        } else {
            target.eventLoop().execute(() -> issue(target, io, resumeBytes, heldSince));
        }
    }

    /** Completes the I/O on its own core: directly when that core runs on this thread. */
    private static void finish(BdevIo io, int status) {
        if (io.core() instanceof SimCore && ((SimCore) io.core()).inCoreThread()) {
            io.complete(status);
        } else {
            io.core().execute(() -> io.complete(status));
        }
    }

    private static int bdevStatus(int nvmeStatus, BdevOp op) {
        int code = nvmeStatus & 0x7FF;
        if (code == NvmeStatus.LBA_OUT_OF_RANGE) {
            return BdevStatus.OUT_OF_RANGE;
        }
        if (code == NvmeStatus.INVALID_OPCODE || code == NvmeStatus.INVALID_FIELD) {
            return BdevStatus.UNSUPPORTED;
        }
        if ((code >>> 8) == 2) {
            return BdevStatus.MEDIA_ERROR; // media and data integrity errors
        }
        return BdevStatus.PATH_ERROR;
    }

    /** Fails held I/O; the controller itself belongs to whoever connected it. */
    @Override
    public void close() {
        closed = true;
        failHeld();
    }

    @Override
    public String toString() {
        return "RemoteBdev[" + name + " nsid " + nsid + " of " + controller + "]";
    }
}
