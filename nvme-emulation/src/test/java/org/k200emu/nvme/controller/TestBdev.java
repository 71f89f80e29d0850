package org.k200emu.nvme.controller;

import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.malloc.MallocBdev;

/**
 * A malloc bdev the test steers: it may claim a volatile write cache (so VWC and FUA have
 * something to do), counts flushes, and can fail the next I/O with a chosen bdev status.
 */
final class TestBdev implements Bdev {

    private final MallocBdev inner;
    private final boolean volatileCache;
    int flushes;
    int failNextWith = -1;

    TestBdev(String name, int blockSize, long blocks, boolean volatileCache) {
        this.inner = new MallocBdev(name, blockSize, blocks);
        this.volatileCache = volatileCache;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public int blockSize() {
        return inner.blockSize();
    }

    @Override
    public long blockCount() {
        return inner.blockCount();
    }

    @Override
    public String module() {
        return "test";
    }

    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return volatileCache;
    }

    @Override
    public void submit(BdevIo io) {
        if (failNextWith >= 0) {
            int status = failNextWith;
            failNextWith = -1;
            io.complete(status);
            return;
        }
        if (io.op() == BdevOp.FLUSH) {
            flushes++;
        }
        inner.submit(io);
    }

    @Override
    public void close() {
        inner.close();
    }
}
