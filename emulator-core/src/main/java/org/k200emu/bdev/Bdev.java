package org.k200emu.bdev;

/**
 * A block device of the card: the bottom of every namespace's stack (null, malloc, file, and
 * later remote and the storage services, which are bdevs stacked on bdevs).
 *
 * <p>The interface is asynchronous and allocation-free: the caller owns a reusable {@link BdevIo}
 * (one per queue slot), fills it and calls {@link #submit}. The bdev calls
 * {@link BdevIo#complete(int)} exactly once, either before {@code submit} returns or later on the
 * thread that runs the I/O's {@linkplain BdevIo#core() home core}. A bdev never throws from
 * {@code submit} for a bad request: it completes the I/O with a {@link BdevStatus}.
 *
 * <p>Owned by the {@link BdevRegistry} that created it; closed by it.
 */
public interface Bdev extends AutoCloseable {

    /** Unique name in the card's registry, e.g. {@code malloc0}. */
    String name();

    /** Logical block size in bytes: 512 or 4096. */
    int blockSize();

    /** Capacity in logical blocks. */
    long blockCount();

    /** The module that made it: {@code null}, {@code malloc}, {@code file}. */
    String module();

    /** Whether this bdev implements an operation natively (others complete UNSUPPORTED). */
    boolean supports(BdevOp op);

    /** Whether writes are cached in volatile memory until {@link BdevOp#FLUSH} (NVMe VWC). */
    boolean hasVolatileWriteCache();

    /** Starts an I/O; see the class comment for the completion contract. */
    void submit(BdevIo io);

    /**
     * Whether this bdev answers every READ that {@linkplain BdevIo#allowLending() allows lending}
     * with a buffer of its own, so that such a read may come with no buffer at all. A bdev that
     * says no (the default) completes a READ without a buffer with {@link BdevStatus#BAD_BUFFER}.
     */
    default boolean lendsReads() {
        return false;
    }

    /** Releases the bdev's memory, files and threads. Outstanding I/O must have completed. */
    @Override
    void close();
}
