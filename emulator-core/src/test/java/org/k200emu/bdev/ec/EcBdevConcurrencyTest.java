package org.k200emu.bdev.ec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

class EcBdevConcurrencyTest {

    private static final int BS = 512;
    private static final int STRIP = 4096;

    private final EcFixture fx = new EcFixture();

    @AfterEach
    void close() {
        fx.close();
    }

    /**
     * Keeps {@code depth} writes of {@code blocks} at {@code lba} in flight on {@code core} until
     * {@code count} are done; each carries fresh random data.
     */
    private static CompletableFuture<Void> hammer(Bdev bdev, EcFixture.Core core, long lba, int blocks, int count,
                                                  int depth, long seed) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        AtomicInteger issued = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            int i = issued.getAndIncrement();
            if (i >= count) {
                return;
            }
            ByteBuf buf = Unpooled.wrappedBuffer(Bytes.random(seed * 1000 + i, blocks * BS));
            BdevIo io = new BdevIo();
            io.prepare(BdevOp.WRITE, lba, blocks, buf, core, d -> {
                buf.release();
                if (d.status() != BdevStatus.SUCCESS) {
                    done.completeExceptionally(new AssertionError("write " + i + ": " + BdevStatus.name(d.status())));
                } else if (finished.incrementAndGet() == count) {
                    done.complete(null);
                } else {
                    next[0].run();
                }
            }, null);
            bdev.submit(io);
        };
        core.execute(() -> {
            for (int i = 0; i < depth; i++) {
                next[0].run();
            }
        });
        return done;
    }

    /**
     * Two cores update disjoint blocks of the same stripe whose column ranges overlap, so both
     * rewrite the same parity bytes; unserialized, one update's parity would be computed from the
     * other's old data. Afterwards the stripe's parity matches its data and it decodes with m
     * members gone.
     */
    @ParameterizedTest(name = "remote={0}")
    @ValueSource(booleans = {false, true})
    void concurrentWritesToOneStripeFromTwoCoresKeepItDecodable(boolean remote) throws Exception {
        List<MallocBdev> raw = fx.mallocs(6, BS, EcFixture.memberBlocks(4, 2, BS, STRIP, 6));
        List<FaultyBdev> members = EcFixture.wrap(raw, remote ? fx.remote("remote") : null);
        EcBdev ec = fx.create("ec", 4, 2, members, STRIP);
        EcFixture.Core a = fx.core("core-a");
        EcFixture.Core b = fx.core("core-b");
        // Shard 0 columns [0, 3 KiB) and shard 1 columns [512, 4 KiB) of stripe 0.
        CompletableFuture<Void> fromA = hammer(ec, a, 0, 6, 400, 4, 1);
        CompletableFuture<Void> fromB = hammer(ec, b, 9, 7, 400, 4, 2);
        CompletableFuture.allOf(fromA, fromB).get(EcFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);

        // Checked before any other write: a later update would recompute the parity and hide a race.
        assertThat(EcFixture.inconsistentStripes(ec.layout(), raw)).isEmpty();
        byte[] healthy = fx.readOk(ec, a, 0, 4 * STRIP / BS);
        TestIo.assertSameBytes(Arrays.copyOfRange(healthy, 0, 6 * BS), Bytes.random(1 * 1000 + 399, 6 * BS),
                "core a's last write");
        TestIo.assertSameBytes(Arrays.copyOfRange(healthy, 9 * BS, 16 * BS),
                Bytes.random(2 * 1000 + 399, 7 * BS), "core b's last write");
        members.get(ec.layout().memberOf(0, 0)).failAll();
        members.get(ec.layout().memberOf(1, 0)).failAll();
        TestIo.assertSameBytes(fx.readOk(ec, b, 0, 4 * STRIP / BS), healthy, "stripe 0 decoded");
    }

    /** Reads from several cores while two cores write and a member fails: every read sees whole writes per block. */
    @ParameterizedTest(name = "remote={0}")
    @ValueSource(booleans = {false, true})
    void degradedReadsAndWritesFromSeveralCoresAgree(boolean remote) throws Exception {
        List<MallocBdev> raw = fx.mallocs(6, BS, EcFixture.memberBlocks(4, 2, BS, STRIP, 12));
        List<FaultyBdev> members = EcFixture.wrap(raw, remote ? fx.remote("remote") : null);
        EcBdev ec = fx.create("ec", 4, 2, members, STRIP);
        EcFixture.Core a = fx.core("core-a");
        EcFixture.Core b = fx.core("core-b");
        members.get(3).failFromNth(50);
        // Each core owns half the volume and writes it over and over, 3 stripes at a time.
        long half = ec.blockCount() / 2;
        CompletableFuture<Void> fromA = hammer(ec, a, 5, (int) half - 10, 40, 3, 3);
        CompletableFuture<Void> fromB = hammer(ec, b, half + 3, (int) half - 7, 40, 3, 4);
        CompletableFuture.allOf(fromA, fromB).get(EcFixture.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(ec.memberStates().get(3)).isEqualTo(EcMemberState.FAILED);
        byte[] lastA = Bytes.random(3 * 1000 + 39, (int) (half - 10) * BS);
        byte[] lastB = Bytes.random(4 * 1000 + 39, (int) (half - 7) * BS);
        byte[] volume = fx.readOk(ec, a, 0, ec.blockCount());
        // Depth 3 on one core: the writes queue on each stripe in order, so the last one wins.
        TestIo.assertSameBytes(Arrays.copyOfRange(volume, 5 * BS, 5 * BS + lastA.length), lastA, "half a");
        TestIo.assertSameBytes(Arrays.copyOfRange(volume, (int) (half + 3) * BS,
                (int) (half + 3) * BS + lastB.length), lastB, "half b");
        members.get(0).failAll();
        TestIo.assertSameBytes(fx.readOk(ec, b, 0, ec.blockCount()), volume, "with two members gone");
    }
}
