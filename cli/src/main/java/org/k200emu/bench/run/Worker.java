package org.k200emu.bench.run;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import org.k200emu.bench.job.JobSpec;
import org.k200emu.bench.job.Verify;

/**
 * One closed-loop I/O stream of a job (fio's "job clone"): keeps {@code iodepth} I/Os in flight,
 * each slot with its own preallocated buffer, picks the next operation and address from its
 * {@link IoPattern}, honours the rate limit, records latencies once the ramp is over, and stops
 * at the deadline. With verify on, writes carry self-checking blocks, reads check them, and a
 * final phase reads back every position this worker wrote. Subclasses drive a transport: a
 * remote queue pair on its event loop, or a local bdev on a thread of its own.
 */
abstract class Worker {

    final JobSpec job;
    final IoPattern pattern;
    final WorkerStats stats = new WorkerStats();
    final int depth;
    final int ioBytes;
    final int blockSize;
    final ByteBuf[] buffers;
    final boolean[] slotReads;
    final long[] slotLba;
    private final BlockVerifier verifier;
    private final BitSet written;
    private final long seed;
    private final long ratePeriodNanos;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    private long measureFrom;
    private long stopAt;
    private long nextAllowed;
    private boolean verifying;
    private int verifyCursor;
    private int active;
    private long sequence;

    Worker(JobSpec job, IoPattern pattern, int blockSize, long seed) {
        this.job = job;
        this.pattern = pattern;
        this.depth = job.iodepth();
        this.ioBytes = job.blockSize();
        this.blockSize = blockSize;
        this.seed = seed;
        this.buffers = new ByteBuf[depth];
        this.slotReads = new boolean[depth];
        this.slotLba = new long[depth];
        for (int i = 0; i < depth; i++) {
            buffers[i] = PooledByteBufAllocator.DEFAULT.directBuffer(ioBytes, ioBytes);
        }
        boolean verify = job.verify() == Verify.CRC32C;
        this.verifier = verify ? new BlockVerifier(blockSize) : null;
        this.written = verify && job.rw().writes() ? new BitSet((int) Math.min(pattern.positions(), Integer.MAX_VALUE))
                : null;
        this.ratePeriodNanos = job.rateIops() > 0 ? 1_000_000_000L / job.rateIops() : 0;
    }

    /** Starts the worker; it runs until {@code stopAtNanos}, measuring from {@code measureFromNanos}. */
    final void start(long measureFromNanos, long stopAtNanos) {
        this.measureFrom = measureFromNanos;
        this.stopAt = stopAtNanos;
        this.nextAllowed = System.nanoTime();
        this.active = depth;
        begin();
    }

    /** Subclass: on the worker's thread, call {@link #issue(int)} for every slot. */
    abstract void begin();

    /**
     * Subclass: submit slot's I/O now (its operation, address and buffer are set); {@code now}
     * is a {@link System#nanoTime()} reading just taken, the I/O's start for its latency.
     */
    abstract void submit(int slot, long now);

    /** Subclass: call {@link #issue(int)} for the slot after {@code delayNanos}. */
    abstract void later(int slot, long delayNanos);

    /** Decides the slot's next I/O and submits it, delays it, or retires the slot. */
    final void issue(int slot) {
        issue(slot, System.nanoTime());
    }

    /**
     * {@link #issue(int)} with the clock already read: a completion passes its own reading, so
     * that an I/O costs one clock read, not three (they showed in profiles of this VM).
     */
    final void issue(int slot, long now) {
        if (!verifying && now >= stopAt) {
            if (written != null) {
                verifying = true;
            } else {
                retire(slot);
                return;
            }
        }
        if (verifying) {
            int next = written.nextSetBit(verifyCursor);
            if (next < 0) {
                retire(slot);
                return;
            }
            verifyCursor = next + 1;
            slotReads[slot] = true;
            slotLba[slot] = pattern.lbaOf(next);
            buffers[slot].clear();
            submit(slot, now);
            return;
        }
        if (ratePeriodNanos > 0) {
            if (now < nextAllowed) {
                later(slot, nextAllowed - now);
                return;
            }
            nextAllowed = Math.max(nextAllowed + ratePeriodNanos, now - 1_000_000_000L);
        }
        boolean read = pattern.nextIsRead();
        long index = pattern.nextIndex();
        long lba = pattern.lbaOf(index);
        slotReads[slot] = read;
        slotLba[slot] = lba;
        ByteBuf buf = buffers[slot];
        if (read) {
            buf.clear();
        } else if (verifier != null) {
            verifier.fill(buf, lba, pattern.ioBlocks(), seed + sequence++);
            written.set((int) index);
            now = System.nanoTime(); // the I/O starts after its data is made
        } else {
            buf.setIndex(0, ioBytes);
        }
        submit(slot, now);
    }

    /** Subclass: the slot's I/O finished with {@code status} (0 = success) after {@code latencyNanos}. */
    final void completed(int slot, int status, long latencyNanos, long completedAt) {
        boolean read = slotReads[slot];
        if (status != 0) {
            stats.error((read ? "read" : "write") + " at LBA " + slotLba[slot] + ": status 0x"
                    + Integer.toHexString(status));
        } else {
            if (read && verifier != null) {
                long r = verifier.check(buffers[slot], slotLba[slot], pattern.ioBlocks());
                stats.verifiedBlocks += r >>> 32;
                int bad = (int) r;
                if (bad > 0) {
                    stats.verifyErrors += bad;
                    if (stats.firstError == null) {
                        stats.firstError = "verify: " + bad + " bad block(s) in the I/O at LBA " + slotLba[slot];
                    }
                }
            }
            if (!verifying && completedAt - latencyNanos >= measureFrom && completedAt <= stopAt) {
                stats.record(read, latencyNanos, ioBytes);
            }
        }
        if (status != 0 && stats.errors > 1000) {
            retire(slot); // the target is failing: stop rather than spin
            return;
        }
        issue(slot, completedAt);
    }

    private void retire(int slot) {
        if (--active == 0) {
            for (ByteBuf b : buffers) {
                b.release();
            }
            done.complete(null);
        }
    }
}
