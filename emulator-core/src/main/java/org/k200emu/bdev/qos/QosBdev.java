package org.k200emu.bdev.qos;

import io.netty.util.Recycler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.HostRoutedBdev;

/**
 * The {@code qos} bdev: rate limits (I/Os and bytes per second, for all I/O and separately for
 * reads and writes) over one member bdev, shared fairly by weighted workload classes. Same
 * geometry as the member; data passes through untouched.
 *
 * <p>Limits are token buckets refilled from elapsed time, with a burst of
 * {@link #setBurstWindow the burst window}'s worth of tokens (100 ms by default). Every core that
 * submits takes tokens with a CAS; nothing on the I/O path takes a lock. An I/O that finds tokens
 * while nothing is queued goes straight to the member on the submitting thread. Otherwise it
 * joins its class's lock-free FIFO queue, and a single drainer at a time (whoever wins a
 * work-in-progress counter: a submitter, the {@link QosClock} timer, a limit change) releases
 * queued I/O while tokens last, handing each to its own {@linkplain BdevIo#core() core}'s executor,
 * which submits it to the member. When tokens run out the drainer arms the timer for when they
 * will be back (at least one refill period, 1 ms, ahead, so that releases come in batches).
 *
 * <p>Classes: each {@link QosClass} has a view, {@link #classView}, that submits into it;
 * {@link #submit} on the bdev itself uses the default class (the one named
 * {@value QosClass#DEFAULT}, else the first). {@link #bdevFor} routes a host to the view of the
 * class that lists it, or to the bdev itself; front ends ask once per host, never per I/O.
 *
 * <p>A class with limits of its own ({@link QosClass#limits()}) has its own token buckets, passed
 * first: its I/O waits in the class's gate queue until the class's buckets allow it, and only then
 * competes for the total limits. So the class never exceeds its own limits, and what waits on
 * them takes nothing from the others. Queued I/O is released across classes
 * by start-time fair queueing: each class has a virtual time advanced by the token time of each
 * I/O it releases divided by its weight, and the non-empty class with the smallest virtual time
 * goes next. A class that was idle rejoins at the current virtual time, so it banks no credit and
 * its share goes to the others while it is idle (work conserving). Within a class, I/O leaves in
 * FIFO order, so a read waiting on the read limit holds back the writes queued behind it in its
 * class (but not other classes' writes).
 *
 * <p>What is charged: READ to the read and total buckets, WRITE / WRITE_ZEROES / UNMAP to the
 * write and total buckets; bytes only for READ and WRITE (the others move no data). FLUSH is not
 * limited (it passes at once; it only covers I/O already completed anyway). A malformed I/O is
 * answered by {@link BdevGeometry#validate} without taking tokens.
 *
 * <p>The parent {@link BdevIo} itself is submitted to the member: QoS changes neither its range
 * nor its buffer nor its core, so the member completes it directly, on the parent's core, and a
 * member failure is the parent's status. No per-I/O context is needed on the direct path; queued
 * I/O uses a pooled hand-off object (and a queue node).
 *
 * <p>{@link #close()} completes queued I/O with ABORTED (on each I/O's core) and refuses new I/O;
 * I/O already handed to the member completes normally. Owned by the registry that created it,
 * which also owns (and closes) the member: closing this bdev leaves the member open.
 */
public final class QosBdev implements HostRoutedBdev {

    /** How far ahead at least the release timer is armed: releases come in batches of this much. */
    static final long REFILL_PERIOD_NANOS = 1_000_000L;
    static final long DEFAULT_BURST_NANOS = 100_000_000L;

    private final String name;
    private final Bdev member;
    private final int blockSize;
    private final long blockCount;
    private final QosClock clock;
    private final long origin;

    private final TokenBucket totalIops = new TokenBucket();
    private final TokenBucket totalBytes = new TokenBucket();
    private final TokenBucket readIops = new TokenBucket();
    private final TokenBucket readBytes = new TokenBucket();
    private final TokenBucket writeIops = new TokenBucket();
    private final TokenBucket writeBytes = new TokenBucket();
    private volatile QosLimits limits = QosLimits.UNLIMITED;
    private volatile QosLimits readLimits = QosLimits.UNLIMITED;
    private volatile QosLimits writeLimits = QosLimits.UNLIMITED;
    private volatile long toleranceTicks;

    private final Lane[] lanes;
    private final Map<String, Lane> lanesByName;
    private final Lane defaultLane;
    private final Map<String, Lane> lanesByHost;
    /**
     * I/Os waiting for the total limits (in the classes' fair-queueing queues); the direct path
     * needs zero. I/O released to its core no longer counts: it has its tokens, and I/O
     * submitted concurrently has no order to keep, so a newcomer may reach the member first.
     */
    private final AtomicLong backlog = new AtomicLong();
    /** Work-in-progress counter: the one who moves it from 0 drains; others make it drain again. */
    private final AtomicInteger wip = new AtomicInteger();
    /** Tick of the earliest armed timer, Long.MAX_VALUE if none. */
    private final AtomicLong armedTick = new AtomicLong(Long.MAX_VALUE);
    /** Fair-queueing virtual time: the start tag of the class served last (drainer only). */
    private double virtualNow;
    /** Numbers the drainer's passes, to mark the classes refused tokens in this one (drainer only). */
    private long drainPass;
    private volatile boolean closed;

    private QosBdev(String name, Bdev member, List<QosClass> classes, QosClock clock) {
        this.name = name;
        this.member = member;
        this.blockSize = member.blockSize();
        this.blockCount = member.blockCount();
        this.clock = clock;
        this.origin = clock.nanoTime();
        this.lanes = new Lane[classes.size()];
        this.lanesByName = new HashMap<>();
        for (int i = 0; i < lanes.length; i++) {
            QosClass c = classes.get(i);
            lanes[i] = new Lane(this, c);
            if (lanesByName.put(c.name(), lanes[i]) != null) {
                throw new IllegalArgumentException("bdev " + name + ": QoS class " + c.name() + " given twice");
            }
        }
        this.defaultLane = lanesByName.getOrDefault(QosClass.DEFAULT, lanes[0]);
        this.lanesByHost = new HashMap<>();
        for (Lane l : lanes) {
            for (String host : l.qosClass.hosts()) {
                Lane other = lanesByHost.put(host, l);
                if (other != null) {
                    throw new IllegalArgumentException("bdev " + name + ": host " + host + " is in QoS classes "
                            + other.qosClass.name() + " and " + l.qosClass.name());
                }
            }
        }
        this.toleranceTicks = DEFAULT_BURST_NANOS << TokenBucket.TICK_SHIFT;
        for (Lane l : lanes) {
            l.setLimits(l.qosClass.limits(), 0, toleranceTicks);
        }
    }

    /** A QoS bdev named {@code name} over {@code member} with total {@code limits} and one class. */
    public static QosBdev create(String name, Bdev member, QosLimits limits) {
        return create(name, member, limits, List.of(new QosClass(QosClass.DEFAULT, 1)));
    }

    /**
     * A QoS bdev named {@code name} over {@code member} with total {@code limits} and the workload
     * {@code classes} (at least one, distinct names, no host in two classes; the class named
     * {@value QosClass#DEFAULT}, else the first, takes I/O submitted to the bdev itself and hosts no
     * class lists). Throws IllegalArgumentException for a bad name or class list.
     */
    public static QosBdev create(String name, Bdev member, QosLimits limits, List<QosClass> classes) {
        return create(name, member, limits, classes, QosClock.system());
    }

    /** As {@link #create(String, Bdev, QosLimits, List)} with another time source (tests, simulation). */
    public static QosBdev create(String name, Bdev member, QosLimits limits, List<QosClass> classes, QosClock clock) {
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(clock, "clock");
        BdevGeometry.check(name, member.blockSize(), member.blockCount());
        if (name.equals(member.name())) {
            throw new IllegalArgumentException("bdev " + name + ": a qos bdev needs its own name, not its member's");
        }
        if (classes == null || classes.isEmpty()) {
            throw new IllegalArgumentException("bdev " + name + ": a qos bdev needs at least one class");
        }
        QosBdev bdev = new QosBdev(name, member, List.copyOf(classes), clock);
        bdev.setLimits(limits);
        return bdev;
    }

    // ---- configuration, at run time -------------------------------------------------------

    /**
     * Sets the limits on all I/O together. Thread-safe; applies to queued I/O at once (a raised
     * limit releases what it now allows, and debt already owed is converted at the new rate).
     * Concurrent setters of the same limits: the last one wins per bucket.
     */
    public void setLimits(QosLimits all) {
        limits = Objects.requireNonNull(all, "limits");
        apply(all, totalIops, totalBytes);
    }

    /** Sets the limits on reads alone, on top of the total limits. Thread-safe, like {@link #setLimits}. */
    public void setReadLimits(QosLimits reads) {
        readLimits = Objects.requireNonNull(reads, "limits");
        apply(reads, readIops, readBytes);
    }

    /** Sets the limits on writes (and Write Zeroes, Deallocate) alone, on top of the total limits. */
    public void setWriteLimits(QosLimits writes) {
        writeLimits = Objects.requireNonNull(writes, "limits");
        apply(writes, writeIops, writeBytes);
    }

    /**
     * How much idle time a bucket may bank: after an idle spell, {@code rate * window} tokens (and
     * one more I/O) go at once. Never below one refill period, so timed releases lose nothing.
     */
    public void setBurstWindow(Duration window) {
        long nanos = Math.max(window.toNanos(), REFILL_PERIOD_NANOS);
        toleranceTicks = nanos << TokenBucket.TICK_SHIFT;
        drain();
    }

    /**
     * Sets the limits of class {@code className} alone, on top of the total limits (UNLIMITED
     * lifts them). Thread-safe, like {@link #setLimits}; IllegalArgumentException for an unknown class.
     */
    public void setClassLimits(String className, QosLimits classLimits) {
        Objects.requireNonNull(classLimits, "limits");
        lane(className).setLimits(classLimits, nowTicks(), toleranceTicks);
        drain();
    }

    public QosLimits limits() {
        return limits;
    }

    public QosLimits readLimits() {
        return readLimits;
    }

    public QosLimits writeLimits() {
        return writeLimits;
    }

    private void apply(QosLimits l, TokenBucket iops, TokenBucket bytes) {
        long now = nowTicks();
        long tol = toleranceTicks;
        iops.setRate(l.iops(), now, tol);
        bytes.setRate(l.bytesPerSecond(), now, tol);
        drain();
    }

    // ---- Bdev ---------------------------------------------------------------------------------

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
        return "qos";
    }

    /** The bdev below this one. */
    public Bdev member() {
        return member;
    }

    @Override
    public boolean supports(BdevOp op) {
        return member.supports(op);
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return member.hasVolatileWriteCache();
    }

    /** Submits into the default class. */
    @Override
    public void submit(BdevIo io) {
        submit(io, defaultLane);
    }

    /**
     * The face for host {@code hostNqn}: the view of the class that lists the host, or this bdev
     * itself (the default class) for a host no class lists.
     */
    @Override
    public Bdev bdevFor(String hostNqn) {
        Lane lane = hostNqn == null ? null : lanesByHost.get(hostNqn);
        return lane == null || lane == defaultLane ? this : lane.view;
    }

    /** The name of the class that takes I/O submitted to the bdev itself and unlisted hosts. */
    public String defaultClass() {
        return defaultLane.qosClass.name();
    }

    /**
     * The view of this bdev that submits into class {@code className}: give it to the namespace
     * (host, tenant) that belongs to the class. Same name suffixed with the class, same geometry;
     * owned by this bdev (closing a view does nothing). IllegalArgumentException for an unknown class.
     */
    public Bdev classView(String className) {
        return lane(className).view;
    }

    private Lane lane(String className) {
        Lane lane = lanesByName.get(className);
        if (lane == null) {
            throw new IllegalArgumentException("bdev " + name + ": no QoS class " + className);
        }
        return lane;
    }

    /** The classes, in configuration order. */
    public List<QosClass> classes() {
        List<QosClass> out = new ArrayList<>(lanes.length);
        for (Lane l : lanes) {
            QosClass c = l.qosClass;
            out.add(new QosClass(c.name(), c.weight(), l.limits, c.hosts()));
        }
        return out;
    }

    /** Rates, queue lengths and delay counts now; see {@link QosStats}. */
    public QosStats snapshot() {
        long now = clock.nanoTime() - origin;
        List<QosStats.ClassStats> classes = new ArrayList<>(lanes.length);
        long queued = 0;
        long delayed = 0;
        for (Lane l : lanes) {
            long[] rate = l.window.lastSecond(now);
            long q = l.queued.get() + l.gated.get();
            long d = l.delayed.sum();
            classes.add(new QosStats.ClassStats(l.qosClass.name(), l.qosClass.weight(), rate[0], rate[1], q, d,
                    l.released.sum(), l.limits, l.qosClass.hosts(), l == defaultLane));
            queued += q;
            delayed += d;
        }
        return new QosStats(limits, readLimits, writeLimits, classes, queued, delayed);
    }

    /** Completes queued I/O with ABORTED and refuses new I/O. The member stays open. */
    @Override
    public void close() {
        closed = true;
        drain();
    }

    @Override
    public String toString() {
        return "QosBdev[" + name + " on " + member.name() + ", " + limits + ", " + lanes.length + " classes]";
    }

    // ---- I/O path -----------------------------------------------------------------------------

    private void submit(BdevIo io, Lane lane) {
        if (closed) {
            io.complete(BdevStatus.ABORTED);
            return;
        }
        int status = BdevGeometry.validate(io, blockSize, blockCount);
        if (status != BdevStatus.SUCCESS) {
            io.complete(status);
            return;
        }
        if (io.op() == BdevOp.FLUSH) {
            member.submit(io);
            return;
        }
        long bytes = dataBytes(io);
        long now = nowTicks();
        // The class's own limits first; behind queued I/O of the class, a newcomer waits its turn.
        if (lane.gated.get() != 0 || (lane.limited && lane.tryAcquire(io.op(), bytes, now, toleranceTicks) >= 0)) {
            Pending p = Pending.POOL.get();
            p.bdev = this;
            p.io = io;
            p.bytes = bytes;
            lane.gated.incrementAndGet();
            lane.delayed.increment();
            lane.gate.offer(p);
            drain();
            return;
        }
        // Only when nothing waits, or a newcomer would overtake queued I/O of its own class.
        if (backlog.get() == 0 && tryAcquire(io.op(), bytes, now) < 0) {
            lane.recordRelease(bytes);
            member.submit(io);
            return;
        }
        Pending p = Pending.POOL.get();
        p.bdev = this;
        p.io = io;
        p.bytes = bytes;
        backlog.incrementAndGet();
        lane.queued.incrementAndGet();
        lane.delayed.increment();
        lane.queue.offer(p);
        drain();
    }

    private long dataBytes(BdevIo io) {
        BdevOp op = io.op();
        return op == BdevOp.READ || op == BdevOp.WRITE ? io.numBlocks() * blockSize : 0;
    }

    private long nowTicks() {
        return (clock.nanoTime() - origin) << TokenBucket.TICK_SHIFT;
    }

    /**
     * Takes the tokens of one I/O from all buckets that apply, or none of them. Returns -1 if
     * taken, else the tick when the bucket that refused will allow it.
     */
    private long tryAcquire(BdevOp op, long bytes, long now) {
        boolean read = op == BdevOp.READ;
        TokenBucket dirIops = read ? readIops : writeIops;
        TokenBucket dirBytes = read ? readBytes : writeBytes;
        long tol = toleranceTicks;
        long c0 = totalIops.cost(1);
        long c1 = totalBytes.cost(bytes);
        long c2 = dirIops.cost(1);
        long c3 = dirBytes.cost(bytes);
        long r;
        if (c0 != 0 && (r = totalIops.tryTake(now, c0, tol)) >= 0) {
            return r;
        }
        if (c1 != 0 && (r = totalBytes.tryTake(now, c1, tol)) >= 0) {
            refund(totalIops, c0);
            return r;
        }
        if (c2 != 0 && (r = dirIops.tryTake(now, c2, tol)) >= 0) {
            refund(totalIops, c0);
            refund(totalBytes, c1);
            return r;
        }
        if (c3 != 0 && (r = dirBytes.tryTake(now, c3, tol)) >= 0) {
            refund(totalIops, c0);
            refund(totalBytes, c1);
            refund(dirIops, c2);
            return r;
        }
        return -1;
    }

    private static void refund(TokenBucket b, long cost) {
        if (cost != 0) {
            b.refund(cost);
        }
    }

    /** The fair-queueing cost of an I/O: the token time it takes on its tightest bucket. */
    private long fairCost(BdevOp op, long bytes) {
        boolean read = op == BdevOp.READ;
        long c = Math.max(totalIops.cost(1), totalBytes.cost(bytes));
        c = Math.max(c, (read ? readIops : writeIops).cost(1));
        c = Math.max(c, (read ? readBytes : writeBytes).cost(bytes));
        return Math.max(c, 1);
    }

    /**
     * Releases (or, once closed, aborts) queued I/O. One drainer at a time: a caller that finds
     * another at work leaves it a note (the counter) to go round once more, so no wake-up is lost,
     * no thread waits, and an inline member completion that submits again never recurses.
     */
    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            if (closed) {
                abortQueued();
            } else {
                releaseQueued();
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void releaseQueued() {
        long now = nowTicks();
        long pass = ++drainPass;
        for (Lane l : lanes) {
            if (l.gated.get() != 0) {
                admitGated(l, now);
            }
        }
        for (;;) {
            Lane lane = nextLane(pass);
            if (lane == null) {
                return;
            }
            Pending p = lane.queue.peek();
            BdevOp op = p.io.op();
            long retry = tryAcquire(op, p.bytes, now);
            if (retry >= 0) {
                // Tokens only shrink during a pass, so this class stays refused until the timer;
                // another class whose head needs other buckets (reads vs writes) may still go.
                lane.refusedPass = pass;
                armTimer(Math.max(retry, now + (REFILL_PERIOD_NANOS << TokenBucket.TICK_SHIFT)));
                continue;
            }
            lane.queue.poll();
            lane.queued.decrementAndGet();
            backlog.decrementAndGet();
            virtualNow = lane.virtualTime;
            lane.virtualTime += (double) fairCost(op, p.bytes) / lane.qosClass.weight();
            lane.recordRelease(p.bytes);
            p.io.core().execute(p);
        }
    }

    /**
     * Moves a class's gated I/O, in order, into its fair-queueing queue while the class's own
     * buckets allow; arms the timer for when they will allow the next.
     */
    private void admitGated(Lane l, long now) {
        Pending p;
        while ((p = l.gate.peek()) != null) {
            long retry = l.tryAcquire(p.io.op(), p.bytes, now, toleranceTicks);
            if (retry >= 0) {
                armTimer(Math.max(retry, now + (REFILL_PERIOD_NANOS << TokenBucket.TICK_SHIFT)));
                return;
            }
            l.gate.poll();
            l.gated.decrementAndGet();
            // As a submitter does: straight on when nothing waits for the total limits.
            if (backlog.get() == 0 && tryAcquire(p.io.op(), p.bytes, now) < 0) {
                l.recordRelease(p.bytes);
                p.io.core().execute(p);
                continue;
            }
            backlog.incrementAndGet();
            l.queued.incrementAndGet();
            l.queue.offer(p);
        }
    }

    /**
     * The non-empty class with the smallest virtual time not yet refused in this pass; idle
     * classes rejoin at the current virtual time.
     */
    private Lane nextLane(long pass) {
        Lane best = null;
        for (Lane l : lanes) {
            if (l.queue.isEmpty()) {
                l.active = false;
                continue;
            }
            if (!l.active) {
                l.active = true;
                l.virtualTime = Math.max(l.virtualTime, virtualNow);
            }
            if (l.refusedPass == pass) {
                continue;
            }
            if (best == null || l.virtualTime < best.virtualTime) {
                best = l;
            }
        }
        return best;
    }

    private void abortQueued() {
        for (Lane l : lanes) {
            Pending p;
            while ((p = l.gate.poll()) != null) {
                l.gated.decrementAndGet();
                p.aborted = true;
                p.io.core().execute(p);
            }
            while ((p = l.queue.poll()) != null) {
                l.queued.decrementAndGet();
                backlog.decrementAndGet();
                p.aborted = true;
                p.io.core().execute(p);
            }
        }
    }

    /** Makes sure a drain runs at {@code tick}: arms the timer unless one fires no later. */
    private void armTimer(long tick) {
        for (;;) {
            long armed = armedTick.get();
            if (armed <= tick) {
                return;
            }
            if (armedTick.compareAndSet(armed, tick)) {
                break;
            }
        }
        long deadline = origin + ((tick + (1 << TokenBucket.TICK_SHIFT) - 1) >> TokenBucket.TICK_SHIFT);
        clock.schedule(deadline, () -> {
            armedTick.compareAndSet(tick, Long.MAX_VALUE);
            drain();
        });
    }

    /** One workload class: its own buckets, its queues, its fair-queueing state and its counters. */
    private static final class Lane {
        final QosClass qosClass;
        final ClassView view;
        final TokenBucket iops = new TokenBucket();
        final TokenBucket bytes = new TokenBucket();
        volatile QosLimits limits = QosLimits.UNLIMITED;
        /** Whether the class has limits of its own: only then does its I/O pass its buckets. */
        volatile boolean limited;
        /** I/O waiting for the class's own buckets, in order (many submitters, the drainer takes). */
        final Queue<Pending> gate = new ConcurrentLinkedQueue<>();
        final AtomicLong gated = new AtomicLong();
        /** Lock-free FIFO; many submitters, one consumer (the drainer). */
        final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
        final AtomicLong queued = new AtomicLong();
        final LongAdder delayed = new LongAdder();
        final LongAdder released = new LongAdder();
        final RateWindow window = new RateWindow();
        final QosBdev bdev;
        /** Drainer only. */
        double virtualTime;
        boolean active;
        long refusedPass;

        Lane(QosBdev bdev, QosClass qosClass) {
            this.bdev = bdev;
            this.qosClass = qosClass;
            this.view = new ClassView(bdev, this);
        }

        void setLimits(QosLimits l, long now, long tolerance) {
            limits = l;
            iops.setRate(l.iops(), now, tolerance);
            bytes.setRate(l.bytesPerSecond(), now, tolerance);
            limited = !l.unlimited();
        }

        /** Takes the class's tokens for one I/O, or none; -1 if taken, else when to try again. */
        long tryAcquire(BdevOp op, long byteCount, long now, long tolerance) {
            long c0 = iops.cost(1);
            long c1 = bytes.cost(op == BdevOp.READ || op == BdevOp.WRITE ? byteCount : 0);
            long r;
            if (c0 != 0 && (r = iops.tryTake(now, c0, tolerance)) >= 0) {
                return r;
            }
            if (c1 != 0 && (r = bytes.tryTake(now, c1, tolerance)) >= 0) {
                refund(iops, c0);
                return r;
            }
            return -1;
        }

        void recordRelease(long bytes) {
            released.increment();
            window.record(bdev.clock.nanoTime() - bdev.origin, bytes);
        }
    }

    /**
     * A queued I/O on its way to the member: run on the I/O's own core once released (or aborted).
     * Pooled, so the queued path allocates only the queue node.
     */
    private static final class Pending implements Runnable {
        static final Recycler<Pending> POOL = new Recycler<Pending>() {
            @Override
            protected Pending newObject(Handle<Pending> handle) {
                return new Pending(handle);
            }
        };

        private final Recycler.Handle<Pending> handle;
        QosBdev bdev;
        BdevIo io;
        long bytes;
        boolean aborted;

        Pending(Recycler.Handle<Pending> handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            QosBdev b = bdev;
            BdevIo i = io;
            boolean abort = aborted || b.closed;
            bdev = null;
            io = null;
            aborted = false;
            handle.recycle(this);
            if (abort) {
                i.complete(BdevStatus.ABORTED);
            } else {
                b.member.submit(i);
            }
        }
    }

    /** The face of one class: a Bdev whose I/O goes into that class's share of the parent. */
    private static final class ClassView implements Bdev {
        private final QosBdev bdev;
        private final Lane lane;
        private final String name;

        ClassView(QosBdev bdev, Lane lane) {
            this.bdev = bdev;
            this.lane = lane;
            this.name = bdev.name + "/" + lane.qosClass.name();
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int blockSize() {
            return bdev.blockSize;
        }

        @Override
        public long blockCount() {
            return bdev.blockCount;
        }

        @Override
        public String module() {
            return "qos";
        }

        @Override
        public boolean supports(BdevOp op) {
            return bdev.supports(op);
        }

        @Override
        public boolean hasVolatileWriteCache() {
            return bdev.hasVolatileWriteCache();
        }

        @Override
        public void submit(BdevIo io) {
            bdev.submit(io, lane);
        }

        /** Views are owned by their QoS bdev: closing one does nothing. */
        @Override
        public void close() {
        }

        @Override
        public String toString() {
            return "QosBdev.ClassView[" + name + "]";
        }
    }
}
