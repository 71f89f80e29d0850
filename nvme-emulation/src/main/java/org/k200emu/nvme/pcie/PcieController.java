package org.k200emu.nvme.pcie;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.nvme.AdminOpcode;
import org.k200emu.nvme.IoOpcode;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.controller.CompletionHandler;
import org.k200emu.nvme.controller.ControllerParams;
import org.k200emu.nvme.controller.NvmeController;
import org.k200emu.nvme.controller.NvmeRequest;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PCIe front end of one NVMe controller: the function the x86 host sees as a local NVMe
 * drive. It owns what is PCIe-specific (NVMe Base 1.4, sections 3, 4 and 7): the BAR0 register
 * file, the enable / reset / shutdown state machine, submission and completion queues in
 * {@link HostMemory} with their doorbells and phase tags, the queue management admin commands,
 * PRP / SGL data movement and interrupts. Every other command goes to the {@link NvmeController}
 * it creates in the {@link Subsystem}, the same controller model the NVMe/TCP target drives.
 *
 * <p>Execution: all controller work runs on one core, the {@link Executor} given at creation.
 * A register write from the host (any thread) is latched and handed to the core; doorbell
 * writes make the core fetch and run the new entries, and bdev completions come back through the
 * same core. So no queue state is shared between threads and the I/O path takes no lock. With
 * {@code Runnable::run} as the core everything happens on the writer's thread and a doorbell
 * write returns after the commands it exposed have completed (for bdevs that complete inline);
 * work triggered from inside the controller (an interrupt handler writing a doorbell) is queued
 * behind the current work instead of nesting. Register reads never wait for the core.
 *
 * <p>Host errors never throw: a bad doorbell or a bad enable sets CSTS.CFS (the host then
 * resets the controller), a bad data pointer or a DMA outside host memory fails that command
 * with an NVMe status, and a bad register access is ignored and logged.
 */
public final class PcieController implements CompletionHandler, AutoCloseable {

    // ---- BAR0 register offsets (section 3.1) ---------------------------------------------
    public static final int REG_CAP = 0x00;
    public static final int REG_VS = 0x08;
    public static final int REG_INTMS = 0x0C;
    public static final int REG_INTMC = 0x10;
    public static final int REG_CC = 0x14;
    public static final int REG_CSTS = 0x1C;
    public static final int REG_NSSR = 0x20;
    public static final int REG_AQA = 0x24;
    public static final int REG_ASQ = 0x28;
    public static final int REG_ACQ = 0x30;
    /** Doorbells start here; CAP.DSTRD = 0, so they are 4 bytes apart. */
    public static final int DOORBELL_BASE = 0x1000;

    // ---- CC and CSTS fields ---------------------------------------------------------------
    public static final int CC_EN = 1;
    public static final int CC_SHN_NORMAL = 1 << 14;
    public static final int CC_SHN_ABRUPT = 2 << 14;
    public static final int CC_SHN_MASK = 3 << 14;
    public static final int CSTS_RDY = 1;
    public static final int CSTS_CFS = 1 << 1;
    public static final int CSTS_SHST_MASK = 3 << 2;
    public static final int CSTS_SHST_OCCURRING = 1 << 2;
    public static final int CSTS_SHST_COMPLETE = 2 << 2;

    /** EN, CSS, MPS, AMS, SHN, IOSQES, IOCQES: the rest of CC is reserved. */
    private static final int CC_WRITABLE = 0x00FF_FFF1;
    private static final int CC_AMS_SHIFT = 11;
    /** ASQS (11:0) and ACQS (27:16). */
    private static final int AQA_WRITABLE = 0x0FFF_0FFF;
    private static final long QUEUE_BASE_MASK = ~HostMemory.PAGE_MASK;
    /** Entries fetched from one queue per turn before other queued work gets the core. */
    private static final int FETCH_BATCH = 64;

    private static final Logger LOG = LoggerFactory.getLogger(PcieController.class);

    private final Subsystem subsystem;
    private final HostMemory memory;
    private final PcieParams params;
    private final Executor core;
    private final HostInterrupts interrupts;
    private final NvmeController controller;
    private final QueueAdmin queueAdmin = new QueueAdmin(this);
    /** The core as the controller model and bdevs see it: their callbacks join the core's queue. */
    private final Executor coreForModel = this::execute;
    private final long cap;
    private final int barSize;

    // Register file: written by the host on its thread, read from anywhere.
    private volatile int cc;
    private volatile int aqa;
    private volatile long asq;
    private volatile long acq;
    /** INTMS / INTMC: updated at the write, like CC, so that a read right after sees it. */
    private final AtomicInteger intms = new AtomicInteger();
    private volatile boolean ready;
    private volatile boolean fatal;
    private volatile int shst;
    private volatile boolean closed;

    // State confined to the core.
    final SubmissionQueue[] sqs;
    final CompletionQueue[] cqs;
    private final ArrayDeque<Runnable> mailbox = new ArrayDeque<>();
    private final ArrayDeque<CompletionQueue> toNotify = new ArrayDeque<>();
    private boolean running;
    private int forwardedCc;
    private boolean shuttingDown;
    /** Commands fetched and not yet completed, held Asynchronous Event Requests excepted. */
    private int outstanding;

    /**
     * Creates the function and its controller (a new CNTLID in {@code subsystem}), disabled.
     *
     * @param core       where all controller work runs (see the class comment)
     * @param interrupts called with a completion queue's vector after entries are posted to it
     */
    public PcieController(Subsystem subsystem, HostMemory memory, PcieParams params, Executor core,
                          HostInterrupts interrupts) {
        this.subsystem = subsystem;
        this.memory = memory;
        this.params = params;
        this.core = core;
        this.interrupts = interrupts == null ? HostInterrupts.NONE : interrupts;
        // A PCIe host has no NQN of its own in the protocol; the model wants one for its logs.
        UUID hostId = UUID.nameUUIDFromBytes(("pcie:" + subsystem.nqn()).getBytes(StandardCharsets.UTF_8));
        NvmeController created = subsystem.createController(new ControllerParams(
                "nqn.2014-08.org.nvmexpress:uuid:" + hostId, hostId, 0, params.transport(), coreForModel));
        if (created == null) {
            throw new IllegalStateException(subsystem.nqn() + ": no controller ID left");
        }
        this.controller = created;
        // CAP from the model (MQES, CQR, TO, CSS = NVM); DSTRD, MPSMIN and MPSMAX are 0: 4-byte
        // doorbell stride, 4 KiB pages only. No NVM subsystem reset, boot partitions or CMB.
        this.cap = controller.cap();
        this.sqs = new SubmissionQueue[params.maxIoQueues() + 1];
        this.cqs = new CompletionQueue[params.maxIoQueues() + 1];
        this.barSize = Integer.highestOneBit(Math.max(0x4000, DOORBELL_BASE + 8 * (params.maxIoQueues() + 1)) * 2 - 1);
    }

    /** The controller model behind this function. */
    public NvmeController controller() {
        return controller;
    }

    public HostMemory memory() {
        return memory;
    }

    public PcieParams params() {
        return params;
    }

    /** Bytes of BAR0: the registers and one doorbell pair per queue, rounded to a power of two. */
    public int barSize() {
        return barSize;
    }

    /** The SQ y Tail Doorbell offset. */
    public static int sqTailDoorbell(int qid) {
        return DOORBELL_BASE + 2 * qid * 4;
    }

    /** The CQ y Head Doorbell offset. */
    public static int cqHeadDoorbell(int qid) {
        return DOORBELL_BASE + (2 * qid + 1) * 4;
    }

    // ---- Register file -------------------------------------------------------------------

    /**
     * A host read of {@code size} (4 or 8) bytes at {@code offset}; a 64-bit register may also be
     * read as two dwords. Reserved and write-only registers read as zero, as does an access the
     * device does not decode.
     */
    public long readRegister(int offset, int size) {
        if (size == 8 && (offset & 7) == 0) {
            return (read32(offset) & 0xFFFF_FFFFL) | (long) read32(offset + 4) << 32;
        }
        if (size == 4 && (offset & 3) == 0) {
            return read32(offset) & 0xFFFF_FFFFL;
        }
        LOG.warn("{}: {}-byte read at 0x{} not decoded", this, size, Integer.toHexString(offset));
        return 0;
    }

    private int read32(int offset) {
        switch (offset) {
            case REG_CAP:
                return (int) cap;
            case REG_CAP + 4:
                return (int) (cap >>> 32);
            case REG_VS:
                return NvmeController.VERSION;
            case REG_INTMS:
            case REG_INTMC:
                return intms.get();
            case REG_CC:
                return cc;
            case REG_CSTS:
                return csts();
            case REG_AQA:
                return aqa;
            case REG_ASQ:
                return (int) asq;
            case REG_ASQ + 4:
                return (int) (asq >>> 32);
            case REG_ACQ:
                return (int) acq;
            case REG_ACQ + 4:
                return (int) (acq >>> 32);
            default:
                return 0;
        }
    }

    private int csts() {
        return (ready ? CSTS_RDY : 0) | (fatal ? CSTS_CFS : 0) | shst;
    }

    /**
     * A host write of {@code size} (4, or 8 for ASQ / ACQ) bytes at {@code offset}. Never throws:
     * what the device cannot take is logged and ignored, or, for a doorbell, sets CSTS.CFS.
     */
    public void writeRegister(int offset, int size, long value) {
        if (closed) {
            return;
        }
        if (size == 8 && (offset == REG_ASQ || offset == REG_ACQ)) {
            write32(offset, (int) value);
            write32(offset + 4, (int) (value >>> 32));
            return;
        }
        if (size != 4 || (offset & 3) != 0) {
            LOG.warn("{}: {}-byte write at 0x{} not decoded, ignored", this, size, Integer.toHexString(offset));
            return;
        }
        write32(offset, (int) value);
    }

    private void write32(int offset, int value) {
        if (offset >= DOORBELL_BASE) {
            if (offset >= barSize) {
                LOG.warn("{}: write at 0x{} is beyond BAR0, ignored", this, Integer.toHexString(offset));
                return;
            }
            int index = (offset - DOORBELL_BASE) >>> 2;
            int qid = index >>> 1;
            boolean completion = (index & 1) != 0;
            execute(() -> doorbell(qid, completion, value));
            return;
        }
        switch (offset) {
            case REG_CC: {
                int next = value & CC_WRITABLE;
                int prev = cc;
                cc = next;
                execute(() -> ccWritten(prev, next));
                return;
            }
            case REG_INTMS:
                maskSet(value);
                return;
            case REG_INTMC:
                maskClear(value);
                return;
            case REG_AQA:
                // Latched; the admin queues take these values at the next enable.
                aqa = value & AQA_WRITABLE;
                return;
            case REG_ASQ:
                asq = (asq & 0xFFFF_FFFF_0000_0000L) | (value & 0xFFFF_FFFFL & QUEUE_BASE_MASK);
                return;
            case REG_ASQ + 4:
                asq = (asq & 0xFFFF_FFFFL) | (long) value << 32;
                return;
            case REG_ACQ:
                acq = (acq & 0xFFFF_FFFF_0000_0000L) | (value & 0xFFFF_FFFFL & QUEUE_BASE_MASK);
                return;
            case REG_ACQ + 4:
                acq = (acq & 0xFFFF_FFFFL) | (long) value << 32;
                return;
            case REG_NSSR:
                LOG.debug("{}: NVM subsystem reset is not supported (CAP.NSSRS = 0), ignored", this);
                return;
            default:
                LOG.debug("{}: write to read-only or reserved register 0x{} ignored", this, Integer.toHexString(offset));
        }
    }

    // ---- The core -------------------------------------------------------------------------

    /** Runs {@code task} on the core; a task submitted from the core waits for the current one. */
    private void execute(Runnable task) {
        try {
            core.execute(() -> run(task));
        } catch (RejectedExecutionException e) {
            LOG.warn("{}: core rejected work ({}); dropped", this, e.getMessage());
        }
    }

    private void run(Runnable task) {
        if (running) {
            mailbox.add(task);
            return;
        }
        running = true;
        try {
            runGuarded(task);
            for (;;) {
                Runnable next = mailbox.poll();
                if (next != null) {
                    runGuarded(next);
                } else if (!toNotify.isEmpty()) {
                    raiseInterrupts();
                } else {
                    break;
                }
            }
        } finally {
            running = false;
        }
    }

    /** A bug here must not unwind into the host's register write or a bdev: it is a controller fault. */
    private void runGuarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            fatal = true;
            LOG.error("{}: internal error, controller fatal status set", this, e);
        }
    }

    // ---- Enable, reset, shutdown (section 7.6) ---------------------------------------------

    private void ccWritten(int prev, int next) {
        boolean wasEnabled = (prev & CC_EN) != 0;
        boolean enable = (next & CC_EN) != 0;
        if (enable && !wasEnabled) {
            enable(next);
        } else if (!enable && wasEnabled) {
            reset(next);
            return;
        } else {
            // Other fields while EN stays put: the model keeps CC in step, EN as last forwarded.
            forward((next & ~CC_EN) | (forwardedCc & CC_EN));
        }
        if ((next & CC_SHN_MASK) != 0 && (prev & CC_SHN_MASK) == 0) {
            startShutdown(next);
        }
    }

    private void forward(int value) {
        forwardedCc = value;
        controller.setProperty(NvmeController.REG_CC, 4, value);
    }

    /**
     * CC.EN 0 to 1: checks what only PCIe has (admin queue attributes and bases, AMS) here, and
     * CSS, MPS, IOSQES and IOCQES through the controller model; any failure sets CSTS.CFS and
     * leaves RDY clear, as section 3.1.5 allows for settings the controller does not support.
     */
    private void enable(int next) {
        // One snapshot of the latched admin queue registers, checked and used.
        int aqaNow = aqa;
        long asqNow = asq;
        long acqNow = acq;
        String problem = adminQueueProblem(next, aqaNow, asqNow, acqNow);
        if (problem != null) {
            forward(next & ~CC_EN);
            hostError("enable refused: " + problem);
            return;
        }
        forward(next);
        long modelStatus = controller.getProperty(NvmeController.REG_CSTS, 4).value();
        if ((modelStatus & CSTS_RDY) == 0) {
            hostError(String.format("enable refused: CC 0x%08x asks for an unsupported CSS, MPS, IOSQES or IOCQES", next));
            return;
        }
        int asqEntries = (aqaNow & 0xFFF) + 1;
        int acqEntries = ((aqaNow >>> 16) & 0xFFF) + 1;
        CompletionQueue adminCq = new CompletionQueue(0, acqNow, acqEntries, 0, true);
        cqs[0] = adminCq;
        sqs[0] = newSq(0, asqNow, asqEntries, adminCq);
        shuttingDown = false;
        shst = 0;
        ready = true;
        LOG.debug("{}: enabled, admin SQ {} entries at 0x{}, CQ {} entries at 0x{}", this, asqEntries,
                Long.toHexString(asqNow), acqEntries, Long.toHexString(acqNow));
    }

    private String adminQueueProblem(int next, int aqa, long asq, long acq) {
        int asqs = aqa & 0xFFF;
        int acqs = (aqa >>> 16) & 0xFFF;
        if (((next >>> CC_AMS_SHIFT) & 0x7) != 0) {
            return "CC.AMS: only round robin arbitration (CAP.AMS = 0)";
        }
        if (asqs == 0 || acqs == 0) {
            return String.format("AQA 0x%08x: an admin queue needs at least 2 entries", aqa);
        }
        if (!memory.contains(asq, (long) (asqs + 1) * SubmissionQueue.ENTRY_SIZE)) {
            return "ASQ 0x" + Long.toHexString(asq) + " is not in host memory";
        }
        if (!memory.contains(acq, (long) (acqs + 1) * CompletionQueue.ENTRY_SIZE)) {
            return "ACQ 0x" + Long.toHexString(acq) + " is not in host memory";
        }
        return null;
    }

    /**
     * CC.EN 1 to 0, a controller reset (section 7.3.2): every queue goes, commands in flight are
     * dropped without completion entries (their buffers are released when the model hands them
     * back), registers other than AQA, ASQ and ACQ return to their defaults, RDY clears.
     */
    private void reset(int next) {
        tearDown();
        ready = false;
        fatal = false;
        shst = 0;
        intms.set(0);
        shuttingDown = false;
        outstanding = 0;
        // The model clears its RDY and aborts its held event requests: they come back to
        // complete() after this task, find their queue gone, and are dropped.
        forward(next);
        LOG.debug("{}: reset", this);
    }

    private void tearDown() {
        for (int i = 0; i < sqs.length; i++) {
            if (sqs[i] != null) {
                sqs[i].live = false;
                sqs[i] = null;
            }
            if (cqs[i] != null) {
                cqs[i].live = false;
                cqs[i].waiting.clear();
                cqs[i] = null;
            }
        }
        toNotify.clear();
    }

    /**
     * CC.SHN: fetch nothing more; CSTS.SHST reads "occurring" until the commands already fetched
     * have completed, then "complete". Held Asynchronous Event Requests do not count: they may
     * stay outstanding forever. Only a reset makes the controller process commands again.
     */
    private void startShutdown(int next) {
        shuttingDown = true;
        shst = outstanding == 0 || !ready ? CSTS_SHST_COMPLETE : CSTS_SHST_OCCURRING;
        LOG.debug("{}: {} shutdown, {} commands outstanding", this,
                (next & CC_SHN_MASK) == CC_SHN_ABRUPT ? "abrupt" : "normal", outstanding);
    }

    /** A host programming error the controller cannot report in a completion queue. */
    private void hostError(String message) {
        fatal = true;
        LOG.warn("{}: {}; controller fatal status set", this, message);
    }

    // ---- Doorbells (section 3.1.10, 4.1) -----------------------------------------------------

    private void doorbell(int qid, boolean completion, int value) {
        if (!ready || fatal) {
            LOG.debug("{}: {} doorbell {} written while {}, ignored", this, completion ? "CQ" : "SQ", qid,
                    fatal ? "in controller fatal status" : "not ready");
            return;
        }
        if (completion) {
            cqHead(qid, value);
        } else {
            sqTail(qid, value);
        }
    }

    private void sqTail(int qid, int value) {
        SubmissionQueue sq = qid < sqs.length ? sqs[qid] : null;
        if (sq == null) {
            hostError("SQ " + qid + " tail doorbell written, but there is no such queue");
            return;
        }
        if (sq.deleting) {
            LOG.warn("{}: SQ {} tail doorbell written while the queue is being deleted, ignored", this, qid);
            return;
        }
        if (Integer.compareUnsigned(value, sq.size) >= 0) {
            hostError("SQ " + qid + " tail " + Integer.toUnsignedString(value) + " is beyond its " + sq.size + " entries");
            return;
        }
        // The host may fill the ring up to one entry short of the head it has been told of,
        // which is never ahead of ours: a tail that gets past our head overwrote unread entries.
        int room = sq.distance(sq.tail, sq.head == 0 ? sq.size - 1 : sq.head - 1);
        if (sq.distance(sq.tail, value) > room) {
            hostError("SQ " + qid + " tail " + value + " passes the head " + sq.head + " (tail was " + sq.tail + ")");
            return;
        }
        sq.tail = value;
        fetch(sq);
    }

    private void cqHead(int qid, int value) {
        CompletionQueue cq = qid < cqs.length ? cqs[qid] : null;
        if (cq == null) {
            hostError("CQ " + qid + " head doorbell written, but there is no such queue");
            return;
        }
        if (Integer.compareUnsigned(value, cq.size) >= 0) {
            hostError("CQ " + qid + " head " + Integer.toUnsignedString(value) + " is beyond its " + cq.size + " entries");
            return;
        }
        int released = value >= cq.head ? value - cq.head : value + cq.size - cq.head;
        if (released > cq.posted()) {
            hostError("CQ " + qid + " head " + value + " passes the entries posted (head " + cq.head + ", tail "
                    + cq.tail + ")");
            return;
        }
        cq.head = value;
        while (!cq.waiting.isEmpty() && !cq.full()) {
            PcieCommand cmd = cq.waiting.poll();
            writeCompletion(cq, cmd);
            release(cmd);
        }
    }

    // ---- Interrupts (section 7.5) --------------------------------------------------------

    private boolean masked(int vector) {
        return params.interruptMode().maskable() && vector < 32 && (intms.get() >>> vector & 1) != 0;
    }

    private int vectorBits() {
        int vectors = params.interruptVectors();
        return vectors >= 32 ? -1 : (1 << vectors) - 1;
    }

    private void maskSet(int bits) {
        if (!params.interruptMode().maskable()) {
            LOG.debug("{}: INTMS written in MSI-X mode, ignored", this);
            return;
        }
        int set = bits & vectorBits();
        intms.getAndUpdate(mask -> mask | set);
    }

    /** Unmasking a vector with unconsumed completions raises it (the line is still asserted). */
    private void maskClear(int bits) {
        if (!params.interruptMode().maskable()) {
            LOG.debug("{}: INTMC written in MSI-X mode, ignored", this);
            return;
        }
        int clear = bits & vectorBits();
        int cleared = intms.getAndUpdate(mask -> mask & ~clear) & clear;
        if (cleared != 0) {
            execute(() -> raisePending(cleared));
        }
    }

    private void raisePending(int cleared) {
        for (CompletionQueue cq : cqs) {
            if (cq != null && cq.interruptsEnabled && cq.vector < 32 && (cleared >>> cq.vector & 1) != 0
                    && cq.posted() > 0) {
                notifyLater(cq);
            }
        }
    }

    private void notifyLater(CompletionQueue cq) {
        if (cq.interruptsEnabled && !cq.notify) {
            cq.notify = true;
            toNotify.add(cq);
        }
    }

    /** One call per completion queue that got entries since the last pass (interrupt coalescing of a sort). */
    private void raiseInterrupts() {
        CompletionQueue cq;
        while ((cq = toNotify.poll()) != null) {
            cq.notify = false;
            if (!cq.live || masked(cq.vector)) {
                continue;
            }
            try {
                interrupts.raise(cq.vector);
            } catch (RuntimeException e) {
                LOG.warn("{}: the host's interrupt handler threw", this, e);
            }
        }
    }

    // ---- Queues --------------------------------------------------------------------------

    SubmissionQueue newSq(int qid, long base, int entries, CompletionQueue cq) {
        SubmissionQueue sq = new SubmissionQueue(qid, base, entries, cq, params.allocator());
        sq.fetchTask = () -> {
            sq.fetchScheduled = false;
            fetch(sq);
        };
        cq.attachedSqs++;
        return sq;
    }

    void removeSq(SubmissionQueue sq) {
        sqs[sq.id] = null;
        sq.live = false;
        sq.cq.attachedSqs--;
    }

    /** Fetches from {@code sq} later in this turn, or in a new one if none is running. */
    private void scheduleFetch(SubmissionQueue sq) {
        if (!sq.fetchScheduled) {
            sq.fetchScheduled = true;
            if (running) {
                mailbox.add(sq.fetchTask);
            } else {
                execute(sq.fetchTask);
            }
        }
    }

    /**
     * Fetches and starts the entries between head and tail while the queue has a free slot; a
     * bounded batch per turn so one busy queue does not starve the others.
     */
    private void fetch(SubmissionQueue sq) {
        int batch = 0;
        while (!sq.empty() && sq.hasFreeSlot() && ready && !fatal && !shuttingDown && sq.live && !sq.deleting) {
            if (batch++ == FETCH_BATCH) {
                scheduleFetch(sq);
                return;
            }
            PcieCommand cmd = sq.takeSlot();
            NvmeRequest req = cmd.request;
            req.sqe().clear();
            if (!memory.dmaRead(sq.entryAddress(sq.head), req.sqe(), SubmissionQueue.ENTRY_SIZE)) {
                // Checked at creation, so only a bug gets here; nothing to complete to.
                sq.returnSlot(cmd);
                hostError(sq + " entry " + sq.head + " is not in host memory");
                return;
            }
            sq.head = sq.next(sq.head);
            start(cmd);
        }
    }

    // ---- Commands ------------------------------------------------------------------------

    private void start(PcieCommand cmd) {
        NvmeRequest req = cmd.request;
        req.status(NvmeStatus.SUCCESS).dw0(0).dw1(0).data(null).transferLength(0);
        boolean admin = cmd.sq.id == 0;
        int opcode = req.opcode();
        cmd.direction = PcieCommand.NO_DATA;
        cmd.counted = !(admin && opcode == AdminOpcode.ASYNC_EVENT_REQUEST.opcode());
        if (cmd.counted) {
            outstanding++;
        }
        if (admin) {
            if (req.psdt() != DataPointer.PSDT_PRP) {
                // Admin commands on PCIe use PRPs only.
                finish(cmd, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                return;
            }
            PcieAdminOpcode queueOp = PcieAdminOpcode.of(opcode);
            if (queueOp != null) {
                int status = queueAdmin.execute(cmd, queueOp);
                if (status != QueueAdmin.DEFERRED) {
                    if (status != NvmeStatus.SUCCESS) {
                        LOG.debug("{}: {} failed: {}", this, queueOp.displayName(), NvmeStatus.name(status));
                    }
                    finish(cmd, status);
                }
                return;
            }
        }
        int status = attachData(cmd, admin);
        if (status != NvmeStatus.SUCCESS) {
            finish(cmd, status);
        } else if (admin) {
            controller.submitAdmin(req, this);
        } else {
            controller.submitIo(req, coreForModel, this);
        }
    }

    /**
     * Works out how many bytes the command moves (the model checks them against
     * {@link NvmeRequest#transferLength()}), maps its PRPs or SGL, and gathers host-to-controller
     * data into one pooled buffer. Controller-to-host data is scattered when the command ends.
     */
    private int attachData(PcieCommand cmd, boolean admin) {
        NvmeRequest req = cmd.request;
        int direction = req.opcode() & 0x3;
        long length = dataLength(req, admin);
        if (length == 0 || direction != PcieCommand.HOST_TO_CONTROLLER && direction != PcieCommand.CONTROLLER_TO_HOST) {
            return NvmeStatus.SUCCESS;
        }
        if (length > params.maxTransferBytes()) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
        }
        int status = DataPointer.map(req, admin, length, memory, cmd.dma);
        if (status != NvmeStatus.SUCCESS) {
            return status;
        }
        int bytes = (int) length;
        req.transferLength(bytes);
        cmd.direction = direction;
        if (direction == PcieCommand.HOST_TO_CONTROLLER) {
            ByteBuf data = params.allocator().directBuffer(bytes, bytes);
            DmaList dma = cmd.dma;
            for (int i = 0; i < dma.count(); i++) {
                if (!memory.dmaRead(dma.address(i), data, dma.length(i))) {
                    data.release();
                    return NvmeStatus.withDnr(NvmeStatus.DATA_TRANSFER_ERROR);
                }
            }
            req.data(data);
        }
        return NvmeStatus.SUCCESS;
    }

    /** Bytes of data the command describes, from its own fields: PCIe has no descriptor length. */
    private long dataLength(NvmeRequest req, boolean admin) {
        int opcode = req.opcode();
        if (admin) {
            if (opcode == AdminOpcode.IDENTIFY.opcode()) {
                return 4096;
            }
            if (opcode == AdminOpcode.GET_LOG_PAGE.opcode()) {
                long numd = ((long) (req.cdw(11) & 0xFFFF) << 16 | req.cdw(10) >>> 16) + 1;
                return numd * 4;
            }
            return 0;
        }
        IoOpcode op = IoOpcode.of(opcode);
        if (op == null) {
            return 0;
        }
        switch (op) {
            case READ:
            case WRITE:
            case COMPARE: {
                Namespace ns = subsystem.namespace(req.nsid());
                return ns == null ? 0 : ns.transferBytes((req.cdw(12) & 0xFFFF) + 1L, req.cdw(12));
            }
            case DATASET_MANAGEMENT:
                return ((req.cdw(10) & 0xFF) + 1L) * 16;
            default:
                return 0;
        }
    }

    /** The controller model finished a command (on the core). */
    @Override
    public void completed(NvmeRequest req) {
        finish((PcieCommand) req.transportContext(), req.status());
    }

    private void finish(PcieCommand cmd, int status) {
        NvmeRequest req = cmd.request;
        ByteBuf data = req.data();
        req.data(null);
        if (!cmd.sq.live) {
            // The queue went with a reset: nothing to post, the host forgot the command.
            if (data != null) {
                data.release();
            }
            return;
        }
        int result = status;
        if (data != null) {
            try {
                if (result == NvmeStatus.SUCCESS && cmd.direction == PcieCommand.CONTROLLER_TO_HOST) {
                    result = scatter(cmd, data);
                }
            } finally {
                data.release();
            }
        }
        req.status(result);
        CompletionQueue cq = cmd.sq.cq;
        if (!cq.waiting.isEmpty() || cq.full()) {
            // No room until the host moves the head: completions keep their order.
            cq.waiting.add(cmd);
            return;
        }
        writeCompletion(cq, cmd);
        release(cmd);
    }

    private int scatter(PcieCommand cmd, ByteBuf data) {
        NvmeRequest req = cmd.request;
        if (cmd.sq.id == 0 && req.opcode() == AdminOpcode.GET_LOG_PAGE.opcode()
                && (req.cdw(10) & 0xFF) == PcieAdminOpcode.COMMANDS_EFFECTS_LOG) {
            long offset = (req.cdw(12) & 0xFFFF_FFFFL) | (long) req.cdw(13) << 32;
            PcieAdminOpcode.addToEffectsLog(data, offset);
        }
        int remaining = Math.min(data.readableBytes(), req.transferLength());
        int from = data.readerIndex();
        DmaList dma = cmd.dma;
        for (int i = 0; i < dma.count() && remaining > 0; i++) {
            int n = Math.min(dma.length(i), remaining);
            if (!memory.dmaWrite(dma.address(i), data, from, n)) {
                return NvmeStatus.withDnr(NvmeStatus.DATA_TRANSFER_ERROR);
            }
            from += n;
            remaining -= n;
        }
        return NvmeStatus.SUCCESS;
    }

    /**
     * Posts the completion entry (figure 124): DW0, DW1, SQ head and SQ ID, then CID, phase tag
     * and status in the last dword, published after the rest.
     */
    private void writeCompletion(CompletionQueue cq, PcieCommand cmd) {
        NvmeRequest req = cmd.request;
        SubmissionQueue sq = cmd.sq;
        long at = cq.entryAddress(cq.tail);
        memory.dmaPutInt(at, req.dw0());
        memory.dmaPutInt(at + 4, req.dw1());
        memory.dmaPutInt(at + 8, sq.head | sq.id << 16);
        int dw3 = req.cid() | (cq.phase ? 1 << 16 : 0) | NvmeStatus.toCqeStatusField(req.status()) << 17;
        memory.dmaPutIntRelease(at + 12, dw3);
        cq.advanceTail();
        notifyLater(cq);
    }

    /** The command's entry is posted: its slot is free again. */
    private void release(PcieCommand cmd) {
        SubmissionQueue sq = cmd.sq;
        sq.returnSlot(cmd);
        if (cmd.counted) {
            cmd.counted = false;
            outstanding--;
            if (shuttingDown && outstanding == 0) {
                shst = CSTS_SHST_COMPLETE;
            }
        }
        if (sq.deleting) {
            if (sq.inFlight == 0 && sq.deleteCommand != null) {
                PcieCommand delete = sq.deleteCommand;
                sq.deleteCommand = null;
                removeSq(sq);
                finish(delete, NvmeStatus.SUCCESS);
            }
            return;
        }
        if (!sq.empty()) {
            scheduleFetch(sq);
        }
    }

    // ---- Life cycle ----------------------------------------------------------------------

    /**
     * Removes the function: its queues go (on the core), its controller leaves the subsystem.
     * Register accesses after this are ignored. Host memory belongs to the caller.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        execute(() -> {
            tearDown();
            ready = false;
        });
        subsystem.removeController(controller);
    }

    @Override
    public String toString() {
        return "PcieController[" + controller.cntlid() + " " + subsystem.nqn() + "]";
    }
}
