package org.k200emu.bdev.testing;

import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevOp;

/**
 * A bdev for a test that needs one behaving in a particular way: 1024 blocks of 512 bytes, every
 * operation supported, no volatile write cache, nothing to close; the subclass says what
 * {@link #submit} does (and may override anything else).
 */
public abstract class StubBdev implements Bdev {

    private final String name;

    protected StubBdev(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSize() {
        return 512;
    }

    @Override
    public long blockCount() {
        return 1024;
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
        return false;
    }

    @Override
    public void close() {
    }
}
