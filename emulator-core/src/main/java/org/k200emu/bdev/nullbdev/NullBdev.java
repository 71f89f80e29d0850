package org.k200emu.bdev.nullbdev;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevStatus;

/**
 * The {@code null} bdev: discards writes and reads zeroes, completing inline. It measures the
 * path above the bdev (protocol, controller, cores) with no medium cost, like SPDK's null bdev:
 * a read that allows lending ({@link BdevIo#allowLending}) gets a slice of a zeroed buffer of
 * this thread's, by reference, rather than having its buffer zeroed.
 */
public final class NullBdev implements Bdev {

    /** Per thread: a zeroed pooled buffer, never written after, grown to the largest read. */
    private static final FastThreadLocal<ByteBuf[]> ZEROES = new FastThreadLocal<>() {
        @Override
        protected ByteBuf[] initialValue() {
            return new ByteBuf[1];
        }

        @Override
        protected void onRemoval(ByteBuf[] value) {
            if (value[0] != null) {
                value[0].release();
            }
        }
    };

    private final String name;
    private final int blockSize;
    private final long blockCount;

    public NullBdev(String name, int blockSize, long blockCount) {
        BdevGeometry.check(name, blockSize, blockCount);
        this.name = name;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
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
        return "null";
    }

    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return false;
    }

    /** Every read that allows lending gets a slice of the zero buffer. */
    @Override
    public boolean lendsReads() {
        return true;
    }

    @Override
    public void submit(BdevIo io) {
        int status = BdevGeometry.validateLending(io, blockSize, blockCount);
        if (status == BdevStatus.SUCCESS && io.op() == BdevOp.READ) {
            int length = (int) (io.numBlocks() * blockSize);
            if (io.lendingAllowed()) {
                io.lend(zeroes(length).retainedSlice(0, length));
            } else {
                io.buffer().writeZero(length);
            }
        }
        io.complete(status);
    }

    /** This thread's zero buffer, at least {@code length} bytes (a pooled retained slice of it costs no allocation). */
    private static ByteBuf zeroes(int length) {
        ByteBuf[] holder = ZEROES.get();
        ByteBuf zeroes = holder[0];
        if (zeroes == null || zeroes.capacity() < length) {
            if (zeroes != null) {
                zeroes.release();
            }
            int capacity = Math.max(64 * 1024, Integer.highestOneBit(length - 1) << 1);
            zeroes = PooledByteBufAllocator.DEFAULT.directBuffer(capacity, capacity);
            zeroes.writeZero(capacity);
            holder[0] = zeroes;
        }
        return zeroes;
    }

    @Override
    public void close() {
    }
}
