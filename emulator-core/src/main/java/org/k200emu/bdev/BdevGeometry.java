package org.k200emu.bdev;

import java.util.Objects;

/**
 * The checks every bdev module makes the same way: a sane geometry (and, for a service stacked
 * on a member, a usable member) at creation, and an I/O that fits the device with a buffer of
 * exactly the right size. Shared so that every module answers a bad request with the same
 * {@link BdevStatus}.
 */
public final class BdevGeometry {

    private BdevGeometry() {
    }

    /** Throws IllegalArgumentException naming the bdev if its geometry is not usable. */
    public static void check(String name, int blockSize, long blockCount) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("bdev name must not be empty");
        }
        if (blockSize != 512 && blockSize != 4096) {
            throw new IllegalArgumentException("bdev " + name + ": block size must be 512 or 4096, not " + blockSize);
        }
        if (blockCount <= 0) {
            throw new IllegalArgumentException("bdev " + name + ": capacity must be at least one block");
        }
    }

    /**
     * Throws unless {@code member} can carry a service bdev named {@code name}: it exists (else
     * NullPointerException), its geometry is usable, and the service has a name of its own.
     * {@code kind} names the service in the message, as "a pi bdev".
     */
    public static void checkMember(String name, Bdev member, String kind) {
        Objects.requireNonNull(member, "member");
        check(name, member.blockSize(), member.blockCount());
        if (name.equals(member.name())) {
            throw new IllegalArgumentException("bdev " + name + ": " + kind + " needs its own name, not its member's");
        }
    }

    /**
     * The first step of a stacked bdev's submit: false after completing {@code io} here if the
     * bdev is {@code closed} (ABORTED), the I/O failed its {@code validation} (that status), or
     * it moves no block (SUCCESS; a FLUSH always goes on); true if the bdev has work to do.
     */
    public static boolean admit(BdevIo io, boolean closed, int validation) {
        if (closed) {
            io.complete(BdevStatus.ABORTED);
            return false;
        }
        if (validation != BdevStatus.SUCCESS) {
            io.complete(validation);
            return false;
        }
        if (io.op() != BdevOp.FLUSH && io.numBlocks() == 0) {
            io.complete(BdevStatus.SUCCESS);
            return false;
        }
        return true;
    }

    /**
     * {@link BdevStatus#SUCCESS} if {@code io} lies within the device and, for reads and writes,
     * its buffer holds (write) or has room for (read) exactly {@code numBlocks * blockSize} bytes.
     */
    public static int validate(BdevIo io, int blockSize, long blockCount) {
        return validate(io, blockSize, blockCount, false);
    }

    /**
     * As {@link #validate(BdevIo, int, long)}, for a bdev that {@linkplain Bdev#lendsReads() lends
     * reads}: a READ that allows lending may also come with no buffer.
     */
    public static int validateLending(BdevIo io, int blockSize, long blockCount) {
        return validate(io, blockSize, blockCount, true);
    }

    private static int validate(BdevIo io, int blockSize, long blockCount, boolean lends) {
        if (io.op() == BdevOp.FLUSH) {
            return BdevStatus.SUCCESS;
        }
        if (!io.withinCapacity(blockCount)) {
            return BdevStatus.OUT_OF_RANGE;
        }
        long bytes = io.numBlocks() * blockSize;
        switch (io.op()) {
            case WRITE:
                return io.buffer() != null && io.buffer().readableBytes() == bytes
                        ? BdevStatus.SUCCESS : BdevStatus.BAD_BUFFER;
            case READ:
                if (io.buffer() == null) {
                    return lends && io.lendingAllowed() ? BdevStatus.SUCCESS : BdevStatus.BAD_BUFFER;
                }
                return io.buffer().maxWritableBytes() >= bytes ? BdevStatus.SUCCESS : BdevStatus.BAD_BUFFER;
            default:
                return BdevStatus.SUCCESS;
        }
    }
}
