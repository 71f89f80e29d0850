package org.k200emu.bdev;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One I/O on a member bdev, submitted and waited for: how the storage services read and write
 * their metadata on the control plane (open, format, load, checkpoints). It blocks its caller,
 * so it never runs on a data-plane core; the completion may come on any thread.
 */
public final class SyncIo {

    /** How long a member may take to answer before the service gives up on it. */
    public static final long TIMEOUT_SECONDS = 60;

    private SyncIo() {
    }

    /**
     * Runs {@code op} on {@code member} and waits for it (at most {@link #TIMEOUT_SECONDS}).
     * Throws IllegalStateException, whose message starts with {@code owner} (as "bdev x") and
     * says {@code what} was being done (as "loading the digest table"), if it fails, times out or
     * is interrupted.
     */
    public static void run(String owner, Bdev member, BdevOp op, long lba, long blocks, ByteBuf buf, String what) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        BdevIo io = new BdevIo();
        io.prepare(op, lba, blocks, buf, Runnable::run, d -> done.complete(d.status()), null);
        member.submit(io);
        int status;
        try {
            status = done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(owner + ": interrupted " + what, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(owner + ": " + what + " on " + member.name() + " failed: " + e, e);
        }
        if (status != BdevStatus.SUCCESS) {
            throw new IllegalStateException(owner + ": " + what + " on " + member.name() + " failed: "
                    + BdevStatus.name(status));
        }
    }
}
