package org.k200emu.bdev.raid;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * Keeps the metadata on the members in step with the array: the write-intent bitmap and the
 * member states. One per {@link RaidBdev}.
 *
 * <p>The bitmap protocol: a write enters its row's region ({@link #enter}) before touching any
 * member and leaves it ({@link #exit}) when all its member writes are done. It may only start
 * once the region's bit is on every non-failed member ({@link #ready}); if not, it queues here
 * ({@link #await}) and the bit is set and written first. Bits are cleared lazily: a clear pass
 * (after a host FLUSH, after {@value #CLEAR_AFTER_IDLE} regions went idle, and at close) flushes
 * the members, then writes the bitmap without the regions nobody is writing. The clear pass and
 * a writer entering a region race on two atomics, Dekker-style: the writer increments the
 * region's count then reads its on-disk flag; the pass drops the flag then reads the count, so at
 * least one of them sees the other and the bit is never cleared under a write.
 *
 * <p>Member failures (which bump {@link RaidBdev#stateGen()}) are persisted the same way, and
 * degraded writes wait until they are, so a reopened array never trusts a member that missed
 * writes.
 *
 * <p>Concurrency without locks: whoever increments {@code work} from zero runs the writer on its
 * thread until no work is left (a work-counter combiner); everything marked "runner-owned" is
 * only touched by that runner. At most one metadata write is in flight; its completion hands
 * the runner role back through the same counter, so inline and asynchronous members both work
 * and nothing recurses more than a frame or two.
 */
final class MetadataWriter {

    /** Regions going idle between two automatic clear passes. */
    static final int CLEAR_AFTER_IDLE = 64;

    private final RaidBdev raid;
    private final RaidLayout layout;
    private final int n;

    /** The bitmap image written to the members. Runner-owned. */
    private final long[] bits;
    /** Writes in progress per region. */
    private final AtomicIntegerArray refs;
    /** 1 when the region's bit is known to be on the members. */
    private final AtomicIntegerArray onDisk;
    /** Waiters that arrived (a Treiber stack; the runner takes all at once). */
    private final AtomicReference<RowWaiter> arrivals = new AtomicReference<>();
    private final AtomicInteger work = new AtomicInteger();
    private final AtomicInteger idleExits = new AtomicInteger();
    private volatile boolean clearRequested;
    private volatile boolean writing;
    private volatile long persistedGen;

    /** Waiters not yet satisfied. Runner-owned. */
    private RowWaiter waiting;
    /** Regions whose bits the write in flight sets. Runner-owned. */
    private final int[] setting;
    private int settingCount;
    private long events;

    // The write in flight: touched by the runner that starts it and by its completion.
    private final AtomicInteger writePending = new AtomicInteger();
    private final BdevIo[] ios;
    private final MemberDone[] dones;
    private final Bdev[] targets;
    private final ByteBuf[] bufs;
    private final int[] statuses;
    private boolean flushPhase;
    private long writeGen;
    private Executor writeCore;

    MetadataWriter(RaidBdev raid, RaidLayout layout, long events, long[] initialBits) {
        this.raid = raid;
        this.layout = layout;
        this.n = layout.members;
        this.events = events;
        this.bits = new long[(layout.regionCount + 63) / 64];
        this.refs = new AtomicIntegerArray(layout.regionCount);
        this.onDisk = new AtomicIntegerArray(layout.regionCount);
        this.setting = new int[layout.regionCount];
        for (int r = 0; r < layout.regionCount; r++) {
            if (initialBits != null && (initialBits[r >>> 6] & (1L << r)) != 0) {
                bits[r >>> 6] |= 1L << r;
                onDisk.set(r, 1);
            }
        }
        this.ios = new BdevIo[n];
        this.dones = new MemberDone[n];
        this.targets = new Bdev[n];
        this.bufs = new ByteBuf[n];
        this.statuses = new int[n];
        for (int i = 0; i < n; i++) {
            ios[i] = new BdevIo();
            dones[i] = new MemberDone(i);
        }
    }

    /** A writer starts in {@code region}: from now on the region's bit is not cleared. */
    void enter(int region) {
        refs.incrementAndGet(region);
    }

    /** A writer of {@code region} is done with the members. */
    void exit(int region, Executor core) {
        if (refs.decrementAndGet(region) == 0 && idleExits.incrementAndGet() >= CLEAR_AFTER_IDLE) {
            idleExits.set(0);
            requestClear(core);
        }
    }

    /**
     * True if the entered {@code region} (or -1 for none) is dirty on the members and the member
     * states up to {@code gen} are persisted.
     */
    boolean ready(int region, long gen) {
        return (region < 0 || onDisk.get(region) == 1) && persistedGen >= gen;
    }

    /** Queues {@code w} until {@link #ready}({@code w.needRegion}, {@code w.needGen}); then runs it on its core. */
    void await(RowWaiter w) {
        RowWaiter head;
        do {
            head = arrivals.get();
            w.metaNext = head;
        } while (!arrivals.compareAndSet(head, w));
        kick(w.core);
    }

    /** Asks for a lazy clear pass soon. */
    void requestClear(Executor core) {
        clearRequested = true;
        kick(core);
    }

    /** Makes the writer look at its work: new waiters, a changed member state, a clear request. */
    void kick(Executor core) {
        if (work.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        for (;;) {
            if (!writing) {
                step(core);
            }
            missed = work.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    /** Whether the bit of {@code region} is in the image (runner-owned; for tests when idle). */
    boolean dirty(int region) {
        return (bits[region >>> 6] & (1L << region)) != 0;
    }

    private void step(Executor core) {
        // Read the generation first: a request made before a generation bump (close's clear
        // request) is then visible below, so persisting this generation includes it.
        long gen = raid.stateGen();
        for (RowWaiter w = arrivals.getAndSet(null); w != null; ) {
            RowWaiter next = w.metaNext;
            w.metaNext = waiting;
            waiting = w;
            w = next;
        }
        boolean write = false;
        RowWaiter prev = null;
        for (RowWaiter w = waiting; w != null; ) {
            RowWaiter next = w.metaNext;
            if (ready(w.needRegion, w.needGen)) {
                if (prev == null) {
                    waiting = next;
                } else {
                    prev.metaNext = next;
                }
                w.metaNext = null;
                w.core.execute(w);
            } else {
                int r = w.needRegion;
                if (r >= 0 && onDisk.get(r) == 0 && (bits[r >>> 6] & (1L << r)) == 0) {
                    bits[r >>> 6] |= 1L << r;
                    setting[settingCount++] = r;
                }
                write = true;
                prev = w;
            }
            w = next;
        }
        boolean flush = false;
        if (clearRequested) {
            clearRequested = false;
            if (clearIdleRegions()) {
                write = true;
                flush = true;
            }
        }
        if (persistedGen < gen) {
            write = true;
        }
        if (write) {
            startWrite(core, gen, flush);
        }
    }

    /** Drops the bits of regions nobody writes; true if any was dropped. */
    private boolean clearIdleRegions() {
        boolean any = false;
        for (int wi = 0; wi < bits.length; wi++) {
            long word = bits[wi];
            while (word != 0) {
                int b = Long.numberOfTrailingZeros(word);
                word &= word - 1;
                int r = wi * 64 + b;
                if (onDisk.get(r) == 1) {
                    onDisk.set(r, 0);
                    if (refs.get(r) != 0) {
                        onDisk.set(r, 1); // a writer got in first: keep the bit
                    } else {
                        bits[wi] &= ~(1L << b);
                        any = true;
                    }
                }
            }
        }
        return any;
    }

    private void startWrite(Executor core, long gen, boolean flush) {
        writing = true;
        writeGen = gen;
        writeCore = core;
        // Cleared bits may only reach the members after the data they cover is durable.
        flushPhase = flush;
        issuePhase();
    }

    private void issuePhase() {
        writePending.set(1);
        long failedMask = 0;
        if (!flushPhase) {
            events++;
            failedMask = raid.unhealthyMask();
        }
        for (int i = 0; i < n; i++) {
            Bdev member = raid.liveMember(i);
            targets[i] = null;
            if (member == null || (flushPhase && !member.supports(BdevOp.FLUSH))) {
                continue;
            }
            targets[i] = member;
            statuses[i] = -1;
            writePending.incrementAndGet();
            if (flushPhase) {
                ios[i].prepare(BdevOp.FLUSH, 0, 0, null, writeCore, dones[i], null);
            } else {
                ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(RaidLayout.META_BYTES);
                Superblock.encode(buf, layout, i, raid.arrayId(), events, failedMask, bits);
                bufs[i] = buf;
                ios[i].prepare(BdevOp.WRITE, 0, layout.metaBlocks, buf, writeCore, dones[i], null);
            }
            member.submit(ios[i]);
        }
        if (writePending.decrementAndGet() == 0) {
            phaseDone();
        }
    }

    private void phaseDone() {
        for (int i = 0; i < n; i++) {
            if (bufs[i] != null) {
                bufs[i].release();
                bufs[i] = null;
            }
            if (targets[i] != null && statuses[i] != BdevStatus.SUCCESS) {
                raid.memberFailed(i, targets[i], statuses[i], writeCore);
            }
            targets[i] = null;
        }
        if (flushPhase) {
            flushPhase = false;
            issuePhase();
            return;
        }
        for (int i = 0; i < settingCount; i++) {
            onDisk.set(setting[i], 1);
        }
        settingCount = 0;
        persistedGen = writeGen;
        writing = false;
        kick(writeCore);
    }

    /** Completion of one member's metadata I/O. */
    private final class MemberDone implements org.k200emu.bdev.BdevCompletion {
        private final int index;

        MemberDone(int index) {
            this.index = index;
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            statuses[index] = io.status();
            if (writePending.decrementAndGet() == 0) {
                phaseDone();
            }
        }
    }
}
