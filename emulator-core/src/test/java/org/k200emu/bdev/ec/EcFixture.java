package org.k200emu.bdev.ec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;

/**
 * What the EC tests share: simulated cores (one thread each), malloc members with fault-injecting
 * wrappers, I/O helpers that submit on a core and check the completion came back on it, and a
 * raw check of every stripe's parity against its data, read from the members directly. Closes
 * everything it made.
 */
final class EcFixture implements AutoCloseable {

    static final long TIMEOUT_SECONDS = 10;

    private final List<ExecutorService> executors = new ArrayList<>();
    private final List<EcBdev> volumes = new ArrayList<>();
    private final List<Bdev> members = new ArrayList<>();
    private final AtomicInteger names = new AtomicInteger();
    private int bufferVariant;

    /** A simulated core: one thread, known so that completions can be checked to run on it. */
    static final class Core implements Executor {
        private final ExecutorService thread;
        private volatile Thread current;

        Core(String name) {
            this.thread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                current = t;
                return t;
            });
        }

        @Override
        public void execute(Runnable task) {
            thread.execute(task);
        }

        boolean onThisCore() {
            return Thread.currentThread() == current;
        }

        /** Waits until everything queued on this core so far has run. */
        void drain() throws Exception {
            CompletableFuture.runAsync(() -> { }, thread).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }

    Core core(String name) {
        Core c = new Core(name);
        executors.add(c.thread);
        return c;
    }

    /** Threads standing for a remote member's transport: completions come back from here. */
    Executor remote(String name) {
        ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, name + "-" + names.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executors.add(pool);
        return pool;
    }

    /** Member blocks an EcBdev of {@code stripes} stripes needs. */
    static long memberBlocks(int k, int m, int blockSize, int strip, long stripes) {
        return new EcLayout(k, m, blockSize, strip, stripes).memberBlocksUsed();
    }

    List<MallocBdev> mallocs(int count, int blockSize, long blocks) {
        List<MallocBdev> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MallocBdev b = new MallocBdev("malloc" + names.incrementAndGet(), blockSize, blocks);
            members.add(b);
            out.add(b);
        }
        return out;
    }

    static List<FaultyBdev> wrap(List<? extends Bdev> inner, Executor remote) {
        List<FaultyBdev> out = new ArrayList<>();
        for (Bdev b : inner) {
            out.add(new FaultyBdev(b).async(remote));
        }
        return out;
    }

    /** An EcBdev closed by the fixture. */
    EcBdev create(String name, int k, int m, List<? extends Bdev> memberList, int strip) {
        return create(name, k, m, memberList, strip, EcLayout.DEFAULT_REGION_BYTES);
    }

    /** An EcBdev closed by the fixture, with write-intent regions of about {@code regionBytes}. */
    EcBdev create(String name, int k, int m, List<? extends Bdev> memberList, int strip, long regionBytes) {
        EcBdev ec = EcBdev.create(name, k, m, new ArrayList<>(memberList), strip, regionBytes);
        volumes.add(ec);
        return ec;
    }

    /** Submits one I/O on {@code core}, waits, and checks that it completed on that core. */
    static int io(Bdev bdev, Core core, BdevOp op, long lba, long blocks, ByteBuf buf) throws Exception {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        BdevIo io = new BdevIo();
        core.execute(() -> {
            io.prepare(op, lba, blocks, buf, core, d -> {
                if (!core.onThisCore()) {
                    done.completeExceptionally(new AssertionError("completed on " + Thread.currentThread().getName()));
                }
                done.complete(d.status());
            }, null);
            bdev.submit(io);
        });
        return done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /**
     * Writes {@code data} at {@code lba}; returns the status. The buffer alternates between heap
     * and pooled direct memory, with bytes before the reader index that must not be written.
     */
    int write(Bdev bdev, Core core, long lba, byte[] data) throws Exception {
        ByteBuf buf = (bufferVariant++ & 1) == 0 ? Unpooled.buffer(data.length + 7)
                : PooledByteBufAllocator.DEFAULT.directBuffer(data.length + 7);
        try {
            buf.writeBytes(new byte[] {9, 9, 9, 9, 9, 9, 9});
            buf.readerIndex(7);
            buf.writeBytes(data);
            int status = io(bdev, core, BdevOp.WRITE, lba, data.length / bdev.blockSize(), buf);
            assertThat(buf.readerIndex()).as("reader index untouched").isEqualTo(7);
            return status;
        } finally {
            buf.release();
        }
    }

    void writeOk(Bdev bdev, Core core, long lba, byte[] data) throws Exception {
        assertThat(write(bdev, core, lba, data)).as("write of %d bytes at %d", data.length, lba)
                .isEqualTo(BdevStatus.SUCCESS);
    }

    /** Reads {@code blocks} at {@code lba}: the bytes, or null with the status in {@code status[0]}. */
    byte[] read(Bdev bdev, Core core, long lba, long blocks, int[] status) throws Exception {
        int len = (int) (blocks * bdev.blockSize());
        ByteBuf buf = (bufferVariant++ & 1) == 0 ? Unpooled.buffer(len + 5)
                : PooledByteBufAllocator.DEFAULT.directBuffer(len + 5);
        try {
            buf.writeBytes(new byte[] {1, 2, 3, 4, 5}); // a read appends after what is there
            int st = io(bdev, core, BdevOp.READ, lba, blocks, buf);
            if (status != null) {
                status[0] = st;
            }
            if (st != BdevStatus.SUCCESS) {
                assertThat(buf.writerIndex()).as("failed read leaves the writer index").isEqualTo(5);
                return null;
            }
            assertThat(buf.writerIndex()).isEqualTo(5 + len);
            assertThat(buf.getByte(4)).isEqualTo((byte) 5);
            return ByteBufUtil.getBytes(buf, 5, len);
        } finally {
            buf.release();
        }
    }

    byte[] readOk(Bdev bdev, Core core, long lba, long blocks) throws Exception {
        int[] status = new int[1];
        byte[] data = read(bdev, core, lba, blocks, status);
        assertThat(status[0]).as("read of %d blocks at %d", blocks, lba).isEqualTo(BdevStatus.SUCCESS);
        return data;
    }

    int readStatus(Bdev bdev, Core core, long lba, long blocks) throws Exception {
        int[] status = new int[1];
        read(bdev, core, lba, blocks, status);
        return status[0];
    }

    /** Reads the whole volume and compares it with the model. */
    void assertVolume(EcBdev ec, Core core, byte[] model, String what) throws Exception {
        TestIo.assertSameBytes(readOk(ec, core, 0, ec.blockCount()), model, what);
    }

    /**
     * The stripes whose parity strips differ from the parity of their data strips, read straight
     * from the inline members {@code raw} (in slot order), bypassing the EcBdev.
     */
    static List<Long> inconsistentStripes(EcLayout layout, List<? extends Bdev> raw) {
        ReedSolomon rs = new ReedSolomon(layout.k, layout.m);
        List<Long> bad = new ArrayList<>();
        for (long s = 0; s < layout.stripes; s++) {
            byte[][] shards = new byte[layout.n][];
            for (int i = 0; i < layout.n; i++) {
                ByteBuf buf = Unpooled.buffer(layout.stripBytes);
                try {
                    int st = TestIo.inline(raw.get(layout.memberOf(i, s)), BdevOp.READ, layout.memberBlock(s, 0),
                            layout.stripBlocks, buf);
                    assertThat(st).isEqualTo(BdevStatus.SUCCESS);
                    shards[i] = ByteBufUtil.getBytes(buf);
                } finally {
                    buf.release();
                }
            }
            byte[][] recomputed = shards.clone();
            for (int p = layout.k; p < layout.n; p++) {
                recomputed[p] = new byte[layout.stripBytes];
            }
            rs.encode(recomputed, 0, layout.stripBytes);
            for (int p = layout.k; p < layout.n; p++) {
                if (!Arrays.equals(recomputed[p], shards[p])) {
                    bad.add(s);
                    break;
                }
            }
        }
        return bad;
    }

    @Override
    public void close() {
        for (EcBdev ec : volumes) {
            ec.close();
        }
        for (Bdev b : members) {
            b.close();
        }
        for (ExecutorService e : executors) {
            e.shutdownNow();
        }
    }
}
