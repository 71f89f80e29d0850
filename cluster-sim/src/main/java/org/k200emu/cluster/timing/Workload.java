package org.k200emu.cluster.timing;

import java.util.Objects;

/**
 * A workload for the timing model, in fio's terms: pattern and read share, block size, I/Os in
 * flight per queue pair and queue pairs (fio's {@code iodepth} and {@code numjobs}), the transport,
 * how many of the card's ports the queue pairs are spread over, and the NVMe/TCP digests.
 *
 * @param pattern      the I/O pattern
 * @param readPercent  the share of reads, 0..100; must be 100 for read patterns and 0 for write ones
 * @param blockSize    bytes per I/O, 512..16 MiB, a multiple of 512
 * @param iodepth      I/Os in flight per queue pair, 1..65535
 * @param queuePairs   queue pairs (one TCP connection or RDMA queue pair each), 1..1024
 * @param transport    NVMe/TCP or NVMe/RoCE
 * @param paths        card ports the queue pairs are spread over, 1..2 (a single target address is one
 *                     port: 1; multipath over both ports: 2)
 * @param headerDigest NVMe/TCP header digests (ignored over RoCE)
 * @param dataDigest   NVMe/TCP data digests (ignored over RoCE)
 */
public record Workload(IoPattern pattern, int readPercent, int blockSize, int iodepth, int queuePairs,
                       Transport transport, int paths, boolean headerDigest, boolean dataDigest) {

    /** Largest block size the model takes. */
    public static final int MAX_BLOCK_SIZE = 16 << 20;

    /** Checks the ranges. */
    public Workload {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(transport, "transport");
        if (readPercent < 0 || readPercent > 100) {
            throw new IllegalArgumentException("read percentage must be 0..100: " + readPercent);
        }
        if (!pattern.mixed() && readPercent != pattern.readPercent(readPercent)) {
            throw new IllegalArgumentException(pattern.fioName() + " reads " + pattern.readPercent(0)
                    + "%, not " + readPercent + "%");
        }
        if (blockSize < 512 || blockSize > MAX_BLOCK_SIZE || blockSize % 512 != 0) {
            throw new IllegalArgumentException("block size must be a multiple of 512 in 512..16MiB: " + blockSize);
        }
        if (iodepth < 1 || iodepth > 65535) {
            throw new IllegalArgumentException("iodepth must be 1..65535: " + iodepth);
        }
        if (queuePairs < 1 || queuePairs > 1024) {
            throw new IllegalArgumentException("queue pairs must be 1..1024: " + queuePairs);
        }
        if (paths < 1 || paths > 2) {
            throw new IllegalArgumentException("paths must be 1..2: " + paths);
        }
    }

    /**
     * A workload over one port without digests; a mixed pattern reads 50%.
     *
     * @param pattern    the pattern
     * @param blockSize  bytes per I/O
     * @param iodepth    I/Os in flight per queue pair
     * @param queuePairs queue pairs
     * @param transport  the transport
     */
    public static Workload of(IoPattern pattern, int blockSize, int iodepth, int queuePairs, Transport transport) {
        return new Workload(pattern, pattern.readPercent(50), blockSize, iodepth, queuePairs, transport, 1,
                false, false);
    }

    /** I/Os in flight in all: {@code iodepth x queuePairs}. */
    public long outstanding() {
        return (long) iodepth * queuePairs;
    }

    /** The share of reads as a fraction, 0..1. */
    public double readFraction() {
        return readPercent / 100.0;
    }

    /** The same workload with another read share (for a mixed pattern). */
    public Workload withReadPercent(int pct) {
        return new Workload(pattern, pct, blockSize, iodepth, queuePairs, transport, paths, headerDigest, dataDigest);
    }

    /** The same workload with another block size. */
    public Workload withBlockSize(int bytes) {
        return new Workload(pattern, readPercent, bytes, iodepth, queuePairs, transport, paths, headerDigest,
                dataDigest);
    }

    /** The same workload with another iodepth. */
    public Workload withIodepth(int qd) {
        return new Workload(pattern, readPercent, blockSize, qd, queuePairs, transport, paths, headerDigest, dataDigest);
    }

    /** The same workload with another number of queue pairs. */
    public Workload withQueuePairs(int n) {
        return new Workload(pattern, readPercent, blockSize, iodepth, n, transport, paths, headerDigest, dataDigest);
    }

    /** The same workload over another transport. */
    public Workload withTransport(Transport t) {
        return new Workload(pattern, readPercent, blockSize, iodepth, queuePairs, t, paths, headerDigest, dataDigest);
    }

    /** The same workload spread over {@code n} ports. */
    public Workload withPaths(int n) {
        return new Workload(pattern, readPercent, blockSize, iodepth, queuePairs, transport, n, headerDigest,
                dataDigest);
    }

    /** The same workload with NVMe/TCP header and data digests on or off. */
    public Workload withDigests(boolean header, boolean data) {
        return new Workload(pattern, readPercent, blockSize, iodepth, queuePairs, transport, paths, header, data);
    }
}
