package org.k200emu.bdev.raid;

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
import java.util.concurrent.TimeUnit;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.gf.Gf256;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;

/** Test helpers of the RAID tests: members, synchronous I/O through any core, raw member checks. */
final class RaidTesting {

    static final Executor INLINE = Runnable::run;

    private RaidTesting() {
    }

    /** A read's outcome: the status, and the bytes when it succeeded. */
    record Read(int status, byte[] data) {
    }

    /** Members per level used by most tests. */
    static int members(int level) {
        switch (level) {
            case 0:
            case 1:
                return 3;
            case 5:
            case 10:
                return 4;
            default:
                return 5;
        }
    }

    /** {@code n} malloc bdevs of 512-byte blocks; member i has {@code i * extra} more blocks. */
    static List<MallocBdev> mallocs(String prefix, int n, long blocks, int extra) {
        List<MallocBdev> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new MallocBdev(prefix + i, 512, blocks + (long) i * extra));
        }
        return list;
    }

    static List<FaultyBdev> wrap(List<? extends Bdev> members) {
        List<FaultyBdev> list = new ArrayList<>();
        for (Bdev m : members) {
            list.add(new FaultyBdev(m));
        }
        return list;
    }

    static int submit(Bdev b, BdevOp op, long lba, long blocks, ByteBuf buf, Executor core) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        BdevIo io = new BdevIo();
        core.execute(() -> {
            io.prepare(op, lba, blocks, buf, core, d -> done.complete(d.status()), null);
            b.submit(io);
        });
        try {
            return done.get(TestIo.TIMEOUT_SECONDS * 4, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(op + " lba=" + lba + " n=" + blocks + " on " + b.name() + " did not complete", e);
        }
    }

    /** Writes {@code data} from a heap buffer, or from a direct one (no backing array) if {@code direct}. */
    static int write(Bdev b, long lba, byte[] data, Executor core, boolean direct) {
        ByteBuf src = direct ? PooledByteBufAllocator.DEFAULT.directBuffer(data.length) : Unpooled.buffer(data.length);
        try {
            src.writeBytes(data);
            int status = submit(b, BdevOp.WRITE, lba, data.length / b.blockSize(), src, core);
            assertThat(src.readerIndex()).as("source reader index untouched").isZero();
            assertThat(src.writerIndex()).as("source writer index untouched").isEqualTo(data.length);
            return status;
        } finally {
            src.release();
        }
    }

    static int write(Bdev b, long lba, byte[] data) {
        return write(b, lba, data, INLINE, false);
    }

    static Read read(Bdev b, long lba, long blocks, Executor core) {
        ByteBuf dst = PooledByteBufAllocator.DEFAULT.directBuffer((int) (blocks * b.blockSize()));
        try {
            int status = submit(b, BdevOp.READ, lba, blocks, dst, core);
            if (status != BdevStatus.SUCCESS) {
                assertThat(dst.writerIndex()).as("failed read leaves the writer index").isZero();
                return new Read(status, null);
            }
            assertThat(dst.readableBytes()).isEqualTo(blocks * b.blockSize());
            return new Read(status, ByteBufUtil.getBytes(dst));
        } finally {
            dst.release();
        }
    }

    static Read read(Bdev b, long lba, long blocks) {
        return read(b, lba, blocks, INLINE);
    }

    static int op(Bdev b, BdevOp op, long lba, long blocks) {
        return submit(b, op, lba, blocks, null, INLINE);
    }

    /** Reads the whole volume; asserts success and equality with {@code model}. */
    static void assertVolume(Bdev raid, byte[] model, String what) {
        Read r = read(raid, 0, raid.blockCount());
        assertThat(r.status()).as("%s: status of the full read", what).isEqualTo(BdevStatus.SUCCESS);
        TestIo.assertSameBytes(r.data(), model, what);
    }

    /** Reads a member directly (it must complete inline). */
    static byte[] raw(Bdev member, long lba, int blocks) {
        ByteBuf dst = Unpooled.buffer(blocks * member.blockSize());
        try {
            assertThat(TestIo.inline(member, BdevOp.READ, lba, blocks, dst)).isEqualTo(BdevStatus.SUCCESS);
            return ByteBufUtil.getBytes(dst);
        } finally {
            dst.release();
        }
    }

    /** Writes a member directly (it must complete inline). */
    static void rawWrite(Bdev member, long lba, byte[] data) {
        ByteBuf src = Unpooled.wrappedBuffer(data);
        try {
            assertThat(TestIo.inline(member, BdevOp.WRITE, lba, data.length / member.blockSize(), src))
                    .isEqualTo(BdevStatus.SUCCESS);
        } finally {
            src.release();
        }
    }

    /** The superblock on a member, or null. */
    static Superblock superblock(Bdev member) {
        ByteBuf buf = Unpooled.wrappedBuffer(raw(member, 0, RaidLayout.META_BYTES / member.blockSize()));
        try {
            return Superblock.decode(buf);
        } finally {
            buf.release();
        }
    }

    /**
     * Checks every row on the raw members (all healthy, all inline): P and Q against a byte-wise
     * reference computation, mirror copies against each other.
     */
    static void assertRedundancyConsistent(RaidLayout layout, List<? extends Bdev> raw) {
        int strip = layout.stripBlocks;
        int bytes = strip * layout.blockSize;
        for (long row = 0; row < layout.rows; row++) {
            byte[][] cols = new byte[layout.members][];
            for (int i = 0; i < layout.members; i++) {
                cols[i] = raw(raw.get(i), layout.memberLba(row, 0), strip);
            }
            if (layout.mirrored()) {
                for (int d = 0; d < layout.dataStrips(); d++) {
                    byte[] first = cols[layout.dataMember(row, d, 0)];
                    for (int c = 1; c < layout.copies(); c++) {
                        assertThat(Arrays.mismatch(cols[layout.dataMember(row, d, c)], first))
                                .as("row %d strip %d copy %d differs from copy 0 at byte", row, d, c).isEqualTo(-1);
                    }
                }
                continue;
            }
            if (!layout.hasParity()) {
                continue;
            }
            byte[] p = new byte[bytes];
            byte[] q = new byte[bytes];
            for (int d = 0; d < layout.dataStrips(); d++) {
                byte[] data = cols[layout.dataMember(row, d, 0)];
                int coef = Gf256.exp(d);
                for (int i = 0; i < bytes; i++) {
                    p[i] ^= data[i];
                    q[i] ^= (byte) Gf256.mul(coef, data[i] & 0xff);
                }
            }
            assertThat(Arrays.mismatch(cols[layout.pMember(row)], p)).as("row %d: P differs at byte", row)
                    .isEqualTo(-1);
            if (layout.parities() == 2) {
                assertThat(Arrays.mismatch(cols[layout.qMember(row)], q)).as("row %d: Q differs at byte", row)
                        .isEqualTo(-1);
            }
        }
    }
}
