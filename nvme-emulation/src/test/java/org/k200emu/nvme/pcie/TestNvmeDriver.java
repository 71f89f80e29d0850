package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.k200emu.nvme.NvmeStatus;

/**
 * A minimal host NVMe driver, shaped like Linux's nvme-pci: it carves queues and buffers out of
 * {@link HostMemory}, programs AQA / ASQ / ACQ and CC, waits for CSTS.RDY, creates I/O queue
 * pairs, builds PRP lists (chaining list pages), writes SQEs and rings doorbells, and reaps
 * completions by phase tag, writing the CQ head doorbell. It waits on interrupts when the
 * controller runs on another thread and counts them per vector for tests.
 *
 * <p>Used from one test thread. Memory comes from a bump allocator: nothing is ever freed.
 */
final class TestNvmeDriver implements HostInterrupts {

    static final int PAGE = HostMemory.PAGE_SIZE;
    static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** CC.EN with IOSQES = 6 (64 bytes), IOCQES = 4 (16 bytes), CSS = NVM, MPS = 4 KiB. */
    static final int CC_ENABLE = PcieController.CC_EN | 6 << 16 | 4 << 20;

    /** One submission / completion queue pair as the host tracks it. */
    static final class QueuePair {
        final int qid;
        final long sqBase;
        final int sqSize;
        final long cqBase;
        final int cqSize;
        final int vector;
        int sqTail;
        int cqHead;
        boolean phase = true;
        int nextCid;
        /** The last SQ head the controller reported. */
        int sqHead;
        final Map<Integer, Cqe> done = new HashMap<>();
        /** Every entry reaped, in order. */
        final List<Cqe> reaped = new ArrayList<>();

        QueuePair(int qid, long sqBase, int sqSize, long cqBase, int cqSize, int vector) {
            this.qid = qid;
            this.sqBase = sqBase;
            this.sqSize = sqSize;
            this.cqBase = cqBase;
            this.cqSize = cqSize;
            this.vector = vector;
        }

        /** Entries the host may still add before the ring is full, from the head it was told of. */
        int room() {
            int used = sqTail >= sqHead ? sqTail - sqHead : sqTail + sqSize - sqHead;
            return sqSize - 1 - used;
        }
    }

    /** A data buffer: pages (possibly scattered), the offset into the first, and the length. */
    record Buffer(long[] pages, int offset, int length) {
        long address() {
            return pages[0] + offset;
        }
    }

    /** A command's PRP1 and PRP2. */
    record Prp(long prp1, long prp2) {
    }

    final HostMemory memory;
    PcieController device;
    private long nextFree;
    private final Object interruptLock = new Object();
    private final AtomicIntegerArray interruptCounts = new AtomicIntegerArray(2048);
    private final Random random = new Random(42);
    QueuePair admin;

    TestNvmeDriver(HostMemory memory) {
        this.memory = memory;
        this.nextFree = memory.base();
    }

    void attach(PcieController pcie) {
        this.device = pcie;
    }

    // ---- Interrupts ----------------------------------------------------------------------

    @Override
    public void raise(int vector) {
        interruptCounts.incrementAndGet(vector);
        synchronized (interruptLock) {
            interruptLock.notifyAll();
        }
    }

    int interrupts(int vector) {
        return interruptCounts.get(vector);
    }

    private void waitForInterrupt() {
        synchronized (interruptLock) {
            try {
                interruptLock.wait(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    // ---- Memory --------------------------------------------------------------------------

    /** Zeroed, physically contiguous pages. */
    long allocPages(int pages) {
        long address = nextFree;
        long bytes = (long) pages * PAGE;
        assertThat(memory.contains(address, bytes)).as("host memory left for %d pages", pages).isTrue();
        nextFree += bytes;
        memory.zero(address, (int) bytes);
        return address;
    }

    /** A buffer of {@code length} bytes starting {@code offset} into its first page. */
    Buffer allocBuffer(int length, int offset, boolean scattered) {
        int pages = (offset + length + PAGE - 1) / PAGE;
        long[] addresses = new long[pages];
        if (scattered) {
            List<Long> list = new ArrayList<>();
            for (int i = 0; i < pages; i++) {
                list.add(allocPages(1));
                allocPages(1); // a hole, so no two pages of the buffer are adjacent
            }
            Collections.shuffle(list, random);
            for (int i = 0; i < pages; i++) {
                addresses[i] = list.get(i);
            }
        } else {
            long base = allocPages(pages);
            for (int i = 0; i < pages; i++) {
                addresses[i] = base + (long) i * PAGE;
            }
        }
        return new Buffer(addresses, offset, length);
    }

    void fill(Buffer b, byte[] data) {
        int done = 0;
        int page = 0;
        int inPage = b.offset();
        while (done < data.length) {
            int n = Math.min(PAGE - inPage, data.length - done);
            byte[] chunk = new byte[n];
            System.arraycopy(data, done, chunk, 0, n);
            memory.write(b.pages()[page] + inPage, chunk);
            done += n;
            page++;
            inPage = 0;
        }
    }

    byte[] contents(Buffer b) {
        byte[] out = new byte[b.length()];
        int done = 0;
        int page = 0;
        int inPage = b.offset();
        while (done < out.length) {
            int n = Math.min(PAGE - inPage, out.length - done);
            System.arraycopy(memory.read(b.pages()[page] + inPage, n), 0, out, done, n);
            done += n;
            page++;
            inPage = 0;
        }
        return out;
    }

    /** PRPs for {@code b}, a PRP list starting {@code listOffset} bytes into its first page if one is needed. */
    Prp prp(Buffer b, int listOffset) {
        long prp1 = b.address();
        int first = Math.min(b.length(), PAGE - b.offset());
        int remaining = b.length() - first;
        if (remaining == 0) {
            return new Prp(prp1, 0);
        }
        if (remaining <= PAGE) {
            return new Prp(prp1, b.pages()[1]);
        }
        long at = allocPages(1) + listOffset;
        long prp2 = at;
        int entries = b.pages().length - 1;
        for (int i = 1; i <= entries; i++) {
            boolean lastSlot = ((at + 8) & (PAGE - 1)) == 0;
            if (lastSlot && entries - i + 1 > 1) {
                long next = allocPages(1);
                memory.putLong(at, next);
                at = next;
            }
            memory.putLong(at, b.pages()[i]);
            at += 8;
        }
        return new Prp(prp1, prp2);
    }

    Prp prp(Buffer b) {
        return prp(b, 0);
    }

    // ---- Registers -----------------------------------------------------------------------

    int csts() {
        return (int) device.readRegister(PcieController.REG_CSTS, 4);
    }

    void writeRegister(int offset, int value) {
        device.writeRegister(offset, 4, value & 0xFFFF_FFFFL);
    }

    /** Waits until {@code (CSTS & mask) == value}; false on timeout. */
    boolean awaitCsts(int mask, int value) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while ((csts() & mask) != value) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /** Allocates and programs the admin queues (not enabled). */
    void configureAdmin(int sqEntries, int cqEntries) {
        long sq = allocPages((sqEntries * 64 + PAGE - 1) / PAGE);
        long cq = allocPages((cqEntries * 16 + PAGE - 1) / PAGE);
        admin = new QueuePair(0, sq, sqEntries, cq, cqEntries, 0);
        writeRegister(PcieController.REG_AQA, (sqEntries - 1) | (cqEntries - 1) << 16);
        device.writeRegister(PcieController.REG_ASQ, 8, sq);
        device.writeRegister(PcieController.REG_ACQ, 8, cq);
    }

    /** Writes CC and waits for RDY or CFS; returns CSTS. */
    int writeCcAndWait(int cc) {
        writeRegister(PcieController.REG_CC, cc);
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        int csts;
        while (((csts = csts()) & (PcieController.CSTS_RDY | PcieController.CSTS_CFS)) == 0
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return csts;
    }

    /** Admin queues of 32 entries, enable, wait for RDY. */
    void enable() {
        enable(32, 32);
    }

    void enable(int sqEntries, int cqEntries) {
        configureAdmin(sqEntries, cqEntries);
        int csts = writeCcAndWait(CC_ENABLE);
        assertThat(csts).as("CSTS after enable").isEqualTo(PcieController.CSTS_RDY);
    }

    /** Re-enables with the admin queues already programmed (after a reset). */
    void reenable() {
        admin = new QueuePair(0, admin.sqBase, admin.sqSize, admin.cqBase, admin.cqSize, 0);
        memory.zero(admin.cqBase, admin.cqSize * 16);
        assertThat(writeCcAndWait(CC_ENABLE)).isEqualTo(PcieController.CSTS_RDY);
    }

    /** CC.EN = 0, waits for RDY = 0. */
    void disable() {
        writeRegister(PcieController.REG_CC, 0);
        assertThat(awaitCsts(PcieController.CSTS_RDY, 0)).as("RDY cleared").isTrue();
    }

    // ---- Submission and completion -------------------------------------------------------

    /** Writes the entry at the tail (assigning a CID) without ringing; returns the CID. */
    int post(QueuePair q, Sqe sqe) {
        assertThat(q.room()).as("room in SQ %d", q.qid).isPositive();
        int cid = q.nextCid;
        q.nextCid = (q.nextCid + 1) & 0xFFFF;
        sqe.cid(cid).writeTo(memory, q.sqBase + (long) q.sqTail * 64);
        q.sqTail = (q.sqTail + 1) % q.sqSize;
        return cid;
    }

    void ring(QueuePair q) {
        writeRegister(PcieController.sqTailDoorbell(q.qid), q.sqTail);
    }

    /** The entry at the CQ head if its phase tag says it is new, else null; does not consume it. */
    Cqe peek(QueuePair q, int index, boolean phase) {
        long at = q.cqBase + (long) index * 16;
        int dw3 = memory.getIntAcquire(at + 12);
        if ((dw3 >>> 16 & 1) != (phase ? 1 : 0)) {
            return null;
        }
        return Cqe.decode(memory.getInt(at), memory.getInt(at + 4), memory.getInt(at + 8), dw3);
    }

    /** New entries visible now, without consuming them or writing the doorbell. */
    int visible(QueuePair q) {
        int n = 0;
        int index = q.cqHead;
        boolean phase = q.phase;
        while (n < q.cqSize && peek(q, index, phase) != null) {
            n++;
            index++;
            if (index == q.cqSize) {
                index = 0;
                phase = !phase;
            }
        }
        return n;
    }

    /** Consumes new entries (phase tag), then writes the CQ head doorbell once if any. */
    List<Cqe> reap(QueuePair q) {
        return reap(q, true);
    }

    List<Cqe> reap(QueuePair q, boolean ringHead) {
        List<Cqe> got = new ArrayList<>();
        Cqe cqe;
        while ((cqe = peek(q, q.cqHead, q.phase)) != null) {
            got.add(cqe);
            q.done.put(cqe.cid(), cqe);
            q.reaped.add(cqe);
            q.sqHead = cqe.sqhd();
            q.cqHead++;
            if (q.cqHead == q.cqSize) {
                q.cqHead = 0;
                q.phase = !q.phase;
            }
        }
        if (!got.isEmpty() && ringHead) {
            writeRegister(PcieController.cqHeadDoorbell(q.qid), q.cqHead);
        }
        return got;
    }

    /** Waits for the completion of {@code cid}. */
    Cqe await(QueuePair q, int cid) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        for (;;) {
            reap(q);
            Cqe cqe = q.done.remove(cid);
            if (cqe != null) {
                return cqe;
            }
            if (System.nanoTime() > deadline) {
                fail("no completion for CID " + cid + " on queue " + q.qid + " (CSTS 0x"
                        + Integer.toHexString(csts()) + ")");
            }
            waitForInterrupt();
        }
    }

    /** Submits, rings and waits. */
    Cqe execute(QueuePair q, Sqe sqe) {
        int cid = post(q, sqe);
        ring(q);
        Cqe cqe = await(q, cid);
        assertThat(cqe.sqid()).as("SQ ID").isEqualTo(q.qid);
        return cqe;
    }

    Cqe admin(Sqe sqe) {
        return execute(admin, sqe);
    }

    static Cqe expect(Cqe cqe, int status) {
        assertThat(cqe.status()).as("%s, expected %s", cqe, NvmeStatus.name(status)).isEqualTo(status);
        return cqe;
    }

    // ---- Admin commands ------------------------------------------------------------------

    byte[] identify(int cns, int nsid) {
        long page = allocPages(1);
        expect(admin(Sqe.identify(cns, nsid).prp1(page)), NvmeStatus.SUCCESS);
        return memory.read(page, 4096);
    }

    /** Creates CQ and SQ {@code qid} with {@code entries} entries each, the CQ on {@code vector}. */
    QueuePair createIoQueuePair(int qid, int entries, int vector) {
        return createIoQueuePair(qid, entries, entries, vector, true);
    }

    QueuePair createIoQueuePair(int qid, int sqEntries, int cqEntries, int vector, boolean interruptsEnabled) {
        long cq = allocPages((cqEntries * 16 + PAGE - 1) / PAGE);
        long sq = allocPages((sqEntries * 64 + PAGE - 1) / PAGE);
        expect(admin(Sqe.createCq(qid, cqEntries, cq, vector, interruptsEnabled, true)), NvmeStatus.SUCCESS);
        expect(admin(Sqe.createSq(qid, sqEntries, sq, qid, true)), NvmeStatus.SUCCESS);
        return new QueuePair(qid, sq, sqEntries, cq, cqEntries, vector);
    }

    // ---- I/O -----------------------------------------------------------------------------

    /** Writes {@code data} (whole blocks) at {@code slba} from a scattered buffer through PRPs. */
    Cqe write(QueuePair q, int nsid, long slba, byte[] data, int blockSize) {
        Buffer b = allocBuffer(data.length, 0, true);
        fill(b, data);
        Prp p = prp(b);
        return execute(q, Sqe.rw(Sqe.WRITE, nsid, slba, data.length / blockSize).prp1(p.prp1()).prp2(p.prp2()));
    }

    /** Reads {@code blocks} blocks at {@code slba} into a scattered buffer through PRPs. */
    byte[] read(QueuePair q, int nsid, long slba, int blocks, int blockSize) {
        Buffer b = allocBuffer(blocks * blockSize, 0, true);
        Prp p = prp(b);
        expect(execute(q, Sqe.rw(Sqe.READ, nsid, slba, blocks).prp1(p.prp1()).prp2(p.prp2())), NvmeStatus.SUCCESS);
        return contents(b);
    }
}
