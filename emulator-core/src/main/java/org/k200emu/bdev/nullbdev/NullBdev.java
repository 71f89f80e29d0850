package org.k200emu.bdev.nullbdev;

import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevStatus;

/**
 * The {@code null} bdev: discards writes and reads zeroes, completing inline. It measures the
 * path above the bdev (protocol, controller, cores) with no medium cost, like SPDK's null bdev.
 */
public final class NullBdev implements Bdev {

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

    @Override
    public void submit(BdevIo io) {
        int status = BdevGeometry.validate(io, blockSize, blockCount);
        if (status == BdevStatus.SUCCESS && io.op() == BdevOp.READ) {
            io.buffer().writeZero((int) (io.numBlocks() * blockSize));
        }
        io.complete(status);
    }

    @Override
    public void close() {
    }
}
