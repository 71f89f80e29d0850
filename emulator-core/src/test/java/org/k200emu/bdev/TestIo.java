package org.k200emu.bdev;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** Test helpers for the bdev modules: run one I/O and see how it completed. */
public final class TestIo {

    /** How long an asynchronous completion may take before the test fails. */
    public static final long TIMEOUT_SECONDS = 5;

    private TestIo() {
    }

    /** What the completion callback saw. */
    public record Done(int status, Thread thread, Object context) {
    }

    /** An executor that counts what it is given and runs it on {@code delegate}. */
    public static final class RecordingExecutor implements Executor {
        private final Executor delegate;
        private final AtomicInteger tasks = new AtomicInteger();

        public RecordingExecutor(Executor delegate) {
            this.delegate = delegate;
        }

        @Override
        public void execute(Runnable task) {
            tasks.incrementAndGet();
            delegate.execute(task);
        }

        public int tasks() {
            return tasks.get();
        }
    }

    /**
     * Submits one I/O to a bdev that completes inline (malloc, null, or any bdev rejecting a bad
     * request): checks that the completion ran on this thread before {@code submit} returned,
     * handed back the I/O and its context, and never used the I/O's executor. Returns the status.
     */
    public static int inline(Bdev bdev, BdevOp op, long lba, long blocks, ByteBuf buffer) {
        return inline(bdev, new BdevIo(), op, lba, blocks, buffer);
    }

    /** {@link #inline(Bdev, BdevOp, long, long, ByteBuf)} reusing {@code io}. */
    public static int inline(Bdev bdev, BdevIo io, BdevOp op, long lba, long blocks, ByteBuf buffer) {
        RecordingExecutor core = new RecordingExecutor(task -> {
            throw new AssertionError("an inline bdev handed its completion to the executor");
        });
        Object context = new Object();
        AtomicReference<Done> done = new AtomicReference<>();
        AtomicReference<BdevIo> completed = new AtomicReference<>();
        io.prepare(op, lba, blocks, buffer, core, d -> {
            completed.set(d);
            done.set(new Done(d.status(), Thread.currentThread(), d.context()));
        }, context);
        bdev.submit(io);
        assertThat(done.get()).as("%s completed before submit returned", io).isNotNull();
        assertThat(done.get().thread()).as("completion thread").isSameAs(Thread.currentThread());
        assertThat(done.get().context()).as("context handed back").isSameAs(context);
        assertThat(completed.get()).as("the I/O handed back").isSameAs(io);
        assertThat(io.inFlight()).isFalse();
        assertThat(io.status()).isEqualTo(done.get().status());
        assertThat(core.tasks()).isZero();
        return done.get().status();
    }

    /**
     * Submits one I/O with {@code core} as its home core and waits (bounded) for the completion;
     * checks the context and I/O handed back.
     */
    public static Done await(Bdev bdev, BdevIo io, BdevOp op, long lba, long blocks, ByteBuf buffer, Executor core)
            throws Exception {
        CompletableFuture<Done> done = new CompletableFuture<>();
        Object context = new Object();
        io.prepare(op, lba, blocks, buffer, core, d -> {
            if (d != io) {
                done.completeExceptionally(new AssertionError("completion for another BdevIo: " + d));
            }
            done.complete(new Done(d.status(), Thread.currentThread(), d.context()));
        }, context);
        bdev.submit(io);
        Done d = done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(d.context()).as("context handed back").isSameAs(context);
        return d;
    }

    /** The readable bytes of {@code buf}, indices untouched. */
    public static byte[] bytes(ByteBuf buf) {
        return ByteBufUtil.getBytes(buf);
    }

    /** Equal arrays, reporting the first differing index rather than dumping megabytes. */
    public static void assertSameBytes(byte[] actual, byte[] expected, String what) {
        assertThat(actual.length).as("%s: length", what).isEqualTo(expected.length);
        assertThat(Arrays.mismatch(actual, expected)).as("%s: first differing byte", what).isEqualTo(-1);
    }

    /** True if every byte is zero. */
    public static boolean allZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** How many of this process's file descriptors are open on {@code file} (Linux /proc). */
    public static int openDescriptors(Path file) throws IOException {
        Path real = file.toRealPath();
        int n = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).equals(real)) {
                        n++;
                    }
                } catch (IOException e) {
                    // Closed while listing (the directory stream's own descriptor, say).
                }
            }
        }
        return n;
    }

    /** Whether {@link #openDescriptors} can work here. */
    public static boolean canCountDescriptors() {
        return Files.isDirectory(Path.of("/proc/self/fd"));
    }
}
