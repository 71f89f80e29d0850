package org.k200emu.bdev.file;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code file} bdev: a file or block device of the host. Positional reads and writes run on a
 * small pool of worker threads so a core never blocks on the host's storage; each completion is
 * handed back to the I/O's home core. The page cache makes it a volatile write cache: FLUSH is
 * {@code fdatasync} ({@link FileChannel#force(boolean) force(false)}), so acknowledged flushed data
 * survives a crash of the emulator or the host. Deallocate and Write Zeroes write zeroes.
 */
public final class FileBdev implements Bdev {

    private static final Logger LOG = LoggerFactory.getLogger(FileBdev.class);
    private static final int ZERO_CHUNK = 1 << 20;

    private final String name;
    private final int blockSize;
    private final long blockCount;
    private final Path path;
    private final FileChannel channel;
    private final ExecutorService workers;
    private final ByteBuffer zeroes = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();
    private volatile boolean closed;

    /**
     * Opens {@code path}; with {@code create}, creates it (or grows it) to {@code sizeBytes}.
     * A {@code sizeBytes} below 0 means "the file's current size".
     */
    public static FileBdev open(String name, Path path, long sizeBytes, int blockSize, boolean create, int workers)
            throws IOException {
        Set<StandardOpenOption> opts = EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
        if (create) {
            opts.add(StandardOpenOption.CREATE);
        }
        FileChannel ch = FileChannel.open(path, opts);
        try {
            long size = sizeBytes;
            if (size < 0) {
                // A block device reports size 0 here: give its size in the configuration.
                size = ch.size();
            } else if (ch.size() < size && create) {
                ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
            } else if (ch.size() < size) {
                throw new IOException(path + " holds " + ch.size() + " bytes, less than the configured " + size);
            }
            long blocks = size / blockSize;
            return new FileBdev(name, path, ch, blockSize, blocks, workers);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private FileBdev(String name, Path path, FileChannel channel, int blockSize, long blockCount, int threads) {
        BdevGeometry.check(name, blockSize, blockCount);
        this.name = name;
        this.path = path;
        this.channel = channel;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "k200-file-" + name + "-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
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
        return "file";
    }

    public Path path() {
        return path;
    }

    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return true;
    }

    @Override
    public void submit(BdevIo io) {
        int status = closed ? BdevStatus.ABORTED : BdevGeometry.validate(io, blockSize, blockCount);
        if (status != BdevStatus.SUCCESS) {
            io.complete(status);
            return;
        }
        try {
            workers.execute(() -> {
                int result;
                try {
                    result = run(io);
                } catch (RuntimeException e) {
                    // Never leave an I/O without a completion.
                    LOG.error("{}: {} at block {} failed", name, io.op(), io.offsetBlocks(), e);
                    result = BdevStatus.MEDIA_ERROR;
                }
                int done = result;
                io.core().execute(() -> io.complete(done));
            });
        } catch (RejectedExecutionException e) {
            io.complete(BdevStatus.ABORTED);
        }
    }

    /** Runs on a worker thread: the blocking system calls. */
    private int run(BdevIo io) {
        long offset = io.offsetBlocks() * blockSize;
        int length = (int) Math.min(io.numBlocks() * blockSize, Integer.MAX_VALUE);
        try {
            switch (io.op()) {
                case READ: {
                    ByteBuf buf = io.buffer();
                    int at = buf.writerIndex();
                    buf.ensureWritable(length);
                    int done = 0;
                    while (done < length) {
                        // A fresh NIO view per call: buf may be a slice of a buffer that other
                        // workers read into at the same time, and Netty's own channel copy shares
                        // one cached NIO buffer per parent buffer.
                        int n = channel.read(buf.nioBuffer(at + done, length - done), offset + done);
                        if (n < 0) {
                            buf.setZero(at + done, length - done); // past the end of a sparse file
                            break;
                        }
                        done += n;
                    }
                    buf.writerIndex(at + length);
                    return BdevStatus.SUCCESS;
                }
                case WRITE: {
                    ByteBuf buf = io.buffer();
                    int from = buf.readerIndex();
                    int done = 0;
                    while (done < length) {
                        done += channel.write(buf.nioBuffer(from + done, length - done), offset + done);
                    }
                    return BdevStatus.SUCCESS;
                }
                case WRITE_ZEROES:
                case UNMAP: {
                    long remaining = io.numBlocks() * blockSize;
                    long pos = offset;
                    while (remaining > 0) {
                        ByteBuffer z = zeroes.duplicate();
                        z.limit((int) Math.min(remaining, ZERO_CHUNK));
                        while (z.hasRemaining()) {
                            pos += channel.write(z, pos);
                        }
                        remaining -= Math.min(remaining, ZERO_CHUNK);
                    }
                    return BdevStatus.SUCCESS;
                }
                case FLUSH:
                    channel.force(false);
                    return BdevStatus.SUCCESS;
                default:
                    return BdevStatus.UNSUPPORTED;
            }
        } catch (IOException e) {
            LOG.warn("bdev {}: {} at block {} failed: {}", name, io.op(), io.offsetBlocks(), e.toString());
            return BdevStatus.MEDIA_ERROR;
        }
    }

    /** Waits for the workers to finish what was submitted, syncs, and closes the file. */
    @Override
    public void close() {
        closed = true;
        workers.shutdown();
        try {
            if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("bdev {}: I/O still running after 30 s at close", name);
            }
            channel.force(true);
            channel.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.warn("bdev {}: closing {} failed: {}", name, path, e.toString());
        }
    }
}
