package org.k200emu.bdev.crypto;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.Recycler;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.Accelerated;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.cluster.accel.AccelJob;
import org.k200emu.cluster.accel.AccelKind;
import org.k200emu.cluster.accel.AccelWork;
import org.k200emu.cluster.accel.Accelerators;

/**
 * The {@code crypt} bdev: a volume encrypted with AES-256-XTS over one member bdev, like Linux
 * dm-crypt with {@code aes-xts-plain64}. Each logical block is one XTS data unit tweaked by its
 * LBA, so the member holds only ciphertext and the same plaintext at two LBAs encrypts
 * differently. Same geometry as the member.
 *
 * <p>Writes are encrypted into a pooled scratch buffer (the host's buffer is never modified) which
 * is then written to the member; reads land in the caller's buffer and are decrypted there once
 * the member has completed. Write Zeroes and Deallocate write encrypted zero blocks, in chunks,
 * because the member's own zeroes would decrypt to noise (dm-crypt passes discards down and
 * returns that noise; the bdev contract wants zeroes). Flush goes to the member. A block never
 * written reads as the decryption of whatever the member holds there (noise, as with dm-crypt):
 * Write Zeroes a new volume if it must read as zeroes.
 *
 * <p>The AES-XTS work is submitted to the card's accelerators ({@link Accelerated}): one crypto
 * job per write, read or zero chunk, on the cluster of the I/O's core.
 *
 * <p>Failures: a member I/O's status is the parent's status; a failed read leaves the caller's
 * buffer as it was (writer index restored), so no ciphertext is handed up as data.
 *
 * <p>The key is given at creation, copied, and wiped by {@link #close()}; it never appears in
 * {@link #toString()}, a log or an exception message. Owned by the registry that created it,
 * which also owns (and closes) the member: closing this bdev leaves the member open.
 */
public final class CryptoBdev implements Bdev, Accelerated {

    /** Write Zeroes / Deallocate are written in pieces of at most this size. */
    static final int ZERO_CHUNK_BYTES = 256 * 1024;

    private final String name;
    private final Bdev member;
    private final int blockSize;
    private final long blockCount;
    private final AesXts xts;
    private volatile Accelerators accel = Accelerators.k200();
    private volatile boolean closed;

    private CryptoBdev(String name, Bdev member, AesXts xts) {
        this.name = name;
        this.member = member;
        this.blockSize = member.blockSize();
        this.blockCount = member.blockCount();
        this.xts = xts;
    }

    /**
     * A crypt bdev named {@code name} over {@code member} with the 64-byte AES-256-XTS key
     * {@code key64} (K1 for data, then K2 for the tweak; the halves must differ). The key is
     * copied: the caller should wipe its array. Throws IllegalArgumentException for a bad name or
     * key (the message never contains key bytes).
     */
    public static CryptoBdev create(String name, Bdev member, byte[] key64) {
        BdevGeometry.checkMember(name, member, "a crypt bdev");
        AesXts xts;
        try {
            xts = new AesXts(key64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bdev " + name + ": " + e.getMessage());
        }
        return new CryptoBdev(name, member, xts);
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
        return "crypt";
    }

    @Override
    public void useAccelerators(Accelerators accelerators) {
        this.accel = Objects.requireNonNull(accelerators, "accelerators");
    }

    @Override
    public Accelerators accelerators() {
        return accel;
    }

    /** The bdev below this one. */
    public Bdev member() {
        return member;
    }

    @Override
    public boolean supports(BdevOp op) {
        switch (op) {
            case WRITE_ZEROES:
            case UNMAP:
                return member.supports(BdevOp.WRITE); // done with encrypted zero writes
            default:
                return member.supports(op);
        }
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return member.hasVolatileWriteCache();
    }

    @Override
    public void submit(BdevIo io) {
        if (!BdevGeometry.admit(io, closed, BdevGeometry.validate(io, blockSize, blockCount))) {
            return;
        }
        Request r = Request.POOL.get();
        r.bdev = this;
        r.parent = io;
        switch (io.op()) {
            case READ:
                r.read();
                break;
            case WRITE:
                r.write();
                break;
            case WRITE_ZEROES:
            case UNMAP:
                r.startZeroes();
                break;
            case FLUSH:
            default:
                r.memberIo.prepare(io.op(), io.offsetBlocks(), io.numBlocks(), null, io.core(), r, null);
                member.submit(r.memberIo);
                break;
        }
    }

    /** Wipes the key; later I/O completes ABORTED. Outstanding I/O must have completed. The member stays open. */
    @Override
    public void close() {
        closed = true;
        xts.close();
    }

    /** Whether the key copy has been wiped (for tests). */
    boolean keyWiped() {
        return xts.keyWiped();
    }

    @Override
    public String toString() {
        return "CryptoBdev[" + name + " on " + member.name() + ", AES-256-XTS, " + blockCount + " x " + blockSize + " B]";
    }

    /**
     * One parent I/O in progress: its member I/O, its accelerator job, scratch buffer and, for
     * Write Zeroes, where the chunk loop stands. Pooled so the data path allocates nothing per I/O.
     * The AES-XTS work is submitted to the accelerator of the I/O's cluster as a crypto job of the
     * bytes it encrypts or decrypts; what follows it (the member write, the parent's completion)
     * runs in {@link #accelDone}.
     */
    private static final class Request implements BdevCompletion, AccelWork {

        private static final int JOB_ENCRYPT = 0;
        private static final int JOB_DECRYPT = 1;
        private static final int JOB_ZEROES = 2;

        static final Recycler<Request> POOL = new Recycler<Request>() {
            @Override
            protected Request newObject(Handle<Request> handle) {
                return new Request(handle);
            }
        };

        private final Recycler.Handle<Request> handle;
        final BdevIo memberIo = new BdevIo();
        private final AccelJob job = new AccelJob(this);
        /**
         * Hand-off between the submitting loop and the member completion of one zero chunk: both
         * increment it, and whichever comes second goes on. An inline completion thus never
         * recurses, and a completion on another thread never races the loop.
         */
        private final AtomicInteger handoff = new AtomicInteger();
        CryptoBdev bdev;
        BdevIo parent;
        private ByteBuf scratch;
        private int readStart;
        private long nextLba;
        private long remaining;
        private int chunkBlocks;
        private int status;

        Request(Recycler.Handle<Request> handle) {
            this.handle = handle;
        }

        void read() {
            ByteBuf buf = parent.buffer();
            readStart = buf.writerIndex();
            memberIo.prepare(BdevOp.READ, parent.offsetBlocks(), parent.numBlocks(), buf, parent.core(), this, null);
            bdev.member.submit(memberIo);
        }

        void write() {
            int bs = bdev.blockSize;
            int n = (int) parent.numBlocks();
            int length = n * bs; // validate() saw a buffer of exactly this many bytes, so it fits an int
            scratch = PooledByteBufAllocator.DEFAULT.directBuffer(length, length);
            bdev.accel.submit(parent.core(), job.prepare(AccelKind.CRYPTO, length, JOB_ENCRYPT));
        }

        /** Encrypts the parent's blocks into the scratch buffer. */
        private int encrypt() {
            int bs = bdev.blockSize;
            int n = (int) parent.numBlocks();
            ByteBuf src = parent.buffer();
            int from = src.readerIndex();
            long lba = parent.offsetBlocks();
            try {
                for (int i = 0; i < n; i++) {
                    bdev.xts.encrypt(src, from + i * bs, scratch, i * bs, bs, lba + i);
                }
            } catch (RuntimeException e) {
                // Only if the key was closed under a running I/O: report it, never a half-encrypted write.
                return BdevStatus.ABORTED;
            }
            scratch.writerIndex(n * bs);
            return BdevStatus.SUCCESS;
        }

        @Override
        public void accelCompute(AccelJob j) {
            switch (j.step()) {
                case JOB_ENCRYPT:
                    j.result(encrypt());
                    break;
                case JOB_DECRYPT:
                    j.result(decrypt());
                    break;
                default:
                    j.result(encryptZeroChunk((int) (j.bytes() / bdev.blockSize)));
                    break;
            }
        }

        @Override
        public void accelDone(AccelJob j) {
            switch (j.step()) {
                case JOB_ENCRYPT:
                    if (j.result() != BdevStatus.SUCCESS) {
                        finish(j.result());
                        return;
                    }
                    memberIo.prepare(BdevOp.WRITE, parent.offsetBlocks(), parent.numBlocks(), scratch, parent.core(),
                            this, null);
                    bdev.member.submit(memberIo);
                    break;
                case JOB_DECRYPT:
                    finish(j.result());
                    break;
                default:
                    if (j.result() != BdevStatus.SUCCESS) {
                        status = j.result();
                        if (handoff.incrementAndGet() == 2) {
                            pumpZeroes(); // stands in for the member completion that will not come
                        }
                        return;
                    }
                    memberIo.prepare(BdevOp.WRITE, nextLba, j.bytes() / bdev.blockSize, scratch, parent.core(), this,
                            null);
                    bdev.member.submit(memberIo);
                    break;
            }
        }

        void startZeroes() {
            int bs = bdev.blockSize;
            nextLba = parent.offsetBlocks();
            remaining = parent.numBlocks();
            chunkBlocks = (int) Math.min(remaining, ZERO_CHUNK_BYTES / bs);
            status = BdevStatus.SUCCESS;
            scratch = PooledByteBufAllocator.DEFAULT.directBuffer(chunkBlocks * bs, chunkBlocks * bs);
            pumpZeroes();
        }

        /**
         * Writes encrypted zero chunks until done: each chunk is a crypto job whose continuation
         * writes it to the member. Loops while both complete inline.
         */
        private void pumpZeroes() {
            int bs = bdev.blockSize;
            while (status == BdevStatus.SUCCESS && remaining > 0) {
                int n = (int) Math.min(remaining, chunkBlocks);
                handoff.set(0);
                bdev.accel.submit(parent.core(), job.prepare(AccelKind.CRYPTO, (long) n * bs, JOB_ZEROES));
                if (handoff.incrementAndGet() == 1) {
                    return; // the chunk's write has not completed yet: its completion continues the loop
                }
            }
            finish(status);
        }

        /** The next {@code n} zero blocks, encrypted into the scratch buffer. */
        private int encryptZeroChunk(int n) {
            int bs = bdev.blockSize;
            scratch.clear();
            scratch.setZero(0, n * bs);
            try {
                for (int i = 0; i < n; i++) {
                    bdev.xts.encrypt(scratch, i * bs, bs, nextLba + i);
                }
            } catch (RuntimeException e) {
                return BdevStatus.ABORTED;
            }
            scratch.writerIndex(n * bs);
            return BdevStatus.SUCCESS;
        }

        @Override
        public void bdevIoDone(BdevIo io) {
            int s = io.status();
            switch (parent.op()) {
                case READ:
                    if (s == BdevStatus.SUCCESS) {
                        bdev.accel.submit(parent.core(), job.prepare(AccelKind.CRYPTO,
                                parent.numBlocks() * bdev.blockSize, JOB_DECRYPT));
                    } else {
                        finish(failRead(s));
                    }
                    break;
                case WRITE_ZEROES:
                case UNMAP:
                    status = s;
                    nextLba += io.numBlocks();
                    remaining -= io.numBlocks();
                    if (handoff.incrementAndGet() == 2) {
                        pumpZeroes(); // the loop had already returned
                    }
                    break;
                case WRITE:
                case FLUSH:
                default:
                    finish(s);
                    break;
            }
        }

        private int decrypt() {
            ByteBuf buf = parent.buffer();
            int bs = bdev.blockSize;
            long lba = parent.offsetBlocks();
            int n = (int) parent.numBlocks();
            try {
                for (int i = 0; i < n; i++) {
                    bdev.xts.decrypt(buf, readStart + i * bs, bs, lba + i);
                }
                return BdevStatus.SUCCESS;
            } catch (RuntimeException e) {
                return failRead(BdevStatus.ABORTED);
            }
        }

        /** A failed read hands nothing up: wipe whatever the member put there and restore the writer index. */
        private int failRead(int s) {
            ByteBuf buf = parent.buffer();
            int end = buf.writerIndex();
            if (end > readStart) {
                buf.setZero(readStart, end - readStart);
                buf.writerIndex(readStart);
            }
            return s;
        }

        private void finish(int s) {
            BdevIo p = parent;
            if (scratch != null) {
                scratch.release();
                scratch = null;
            }
            parent = null;
            bdev = null;
            handle.recycle(this);
            p.complete(s);
        }
    }
}
