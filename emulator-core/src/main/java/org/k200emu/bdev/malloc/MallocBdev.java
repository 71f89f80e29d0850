package org.k200emu.bdev.malloc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.LoggerFactory;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;

/**
 * The {@code malloc} bdev: blocks in the card's DDR, here direct memory outside the Java heap.
 *
 * <p>Memory is taken in 1 MiB chunks on the first write that touches them, so a 1 GiB namespace
 * costs what has been written; unwritten chunks read as zeroes. Chunks are installed with a
 * compare-and-set and never freed before {@link #close()}, so cores on several threads may read
 * and write concurrently without a lock (two writers of the same block: last one wins, memory is
 * never corrupted). Deallocate and Write Zeroes zero the range in place for the same reason.
 * Copies use absolute indexes only, so no shared buffer position is ever moved. Completes inline.
 */
public final class MallocBdev implements Bdev {

    static final int CHUNK_SHIFT = 20;
    static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;

    private final String name;
    private final int blockSize;
    private final long blockCount;
    private final AtomicReferenceArray<ByteBuf> chunks;
    private volatile boolean closed;
    private volatile boolean memoryWarned;

    public MallocBdev(String name, int blockSize, long blockCount) {
        BdevGeometry.check(name, blockSize, blockCount);
        long bytes = blockCount * blockSize;
        long count = (bytes + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bdev " + name + ": too large for a malloc bdev");
        }
        this.name = name;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.chunks = new AtomicReferenceArray<>((int) count);
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
        return "malloc";
    }

    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return false;
    }

    /** Bytes of memory taken so far (written chunks). */
    public long allocatedBytes() {
        long n = 0;
        for (int i = 0; i < chunks.length(); i++) {
            if (chunks.get(i) != null) {
                n += CHUNK_SIZE;
            }
        }
        return n;
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
        long offset = io.offsetBlocks() * blockSize;
        long length = io.numBlocks() * blockSize;
        switch (io.op()) {
            case READ:
                read(offset, length, io.buffer());
                break;
            case WRITE:
                try {
                    write(offset, length, io.buffer());
                } catch (OutOfMemoryError e) {
                    // The JVM's direct memory (-XX:MaxDirectMemorySize) is smaller than the bdev: the
                    // write fails like a full medium, the rest of the card carries on.
                    if (!memoryWarned) {
                        memoryWarned = true;
                        LoggerFactory.getLogger(MallocBdev.class).error("{}: out of direct memory for its RAM ({});"
                                + " give the JVM -XX:MaxDirectMemorySize at least the malloc bdevs' size", name,
                                e.getMessage());
                    }
                    io.complete(BdevStatus.MEDIA_ERROR);
                    return;
                }
                break;
            case WRITE_ZEROES:
            case UNMAP:
                zero(offset, length);
                break;
            case FLUSH:
            default:
                break;
        }
        io.complete(BdevStatus.SUCCESS);
    }

    private void read(long offset, long length, ByteBuf dst) {
        while (length > 0) {
            int index = (int) (offset >>> CHUNK_SHIFT);
            int within = (int) (offset & (CHUNK_SIZE - 1));
            int n = (int) Math.min(length, CHUNK_SIZE - within);
            ByteBuf chunk = chunks.get(index);
            if (chunk == null) {
                dst.writeZero(n);
            } else {
                int at = dst.writerIndex();
                dst.ensureWritable(n);
                chunk.getBytes(within, dst, at, n);
                dst.writerIndex(at + n);
            }
            offset += n;
            length -= n;
        }
    }

    private void write(long offset, long length, ByteBuf src) {
        int from = src.readerIndex();
        while (length > 0) {
            int index = (int) (offset >>> CHUNK_SHIFT);
            int within = (int) (offset & (CHUNK_SIZE - 1));
            int n = (int) Math.min(length, CHUNK_SIZE - within);
            chunk(index).setBytes(within, src, from, n);
            from += n;
            offset += n;
            length -= n;
        }
    }

    private void zero(long offset, long length) {
        while (length > 0) {
            int index = (int) (offset >>> CHUNK_SHIFT);
            int within = (int) (offset & (CHUNK_SIZE - 1));
            int n = (int) Math.min(length, CHUNK_SIZE - within);
            ByteBuf chunk = chunks.get(index);
            if (chunk != null) {
                chunk.setZero(within, n);
            }
            offset += n;
            length -= n;
        }
    }

    /** The chunk, allocated (zeroed) and installed by whichever writer gets there first. */
    private ByteBuf chunk(int index) {
        ByteBuf chunk = chunks.get(index);
        if (chunk != null) {
            return chunk;
        }
        ByteBuf fresh = Unpooled.directBuffer(CHUNK_SIZE, CHUNK_SIZE);
        fresh.setZero(0, CHUNK_SIZE);
        if (chunks.compareAndSet(index, null, fresh)) {
            return fresh;
        }
        fresh.release();
        return chunks.get(index);
    }

    /** Frees the memory. Every I/O must have completed; later I/O completes ABORTED. */
    @Override
    public void close() {
        closed = true;
        for (int i = 0; i < chunks.length(); i++) {
            ByteBuf chunk = chunks.getAndSet(i, null);
            if (chunk != null) {
                chunk.release();
            }
        }
    }
}
