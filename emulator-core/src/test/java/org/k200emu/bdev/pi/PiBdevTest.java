package org.k200emu.bdev.pi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.k200emu.bdev.TestIo.inline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.testing.FaultyBdev;
import org.k200emu.testing.Bytes;

class PiBdevTest {

    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        opened.add(c);
        return c;
    }

    /** Extended blocks: data from {@code seed}, metadata {@code pi(i)} = 0x1111_2222_0000_0000 | (100 + i). */
    private static ByteBuf extended(int blockSize, int blocks, long seed) {
        byte[] data = Bytes.random(seed, blocks * blockSize);
        ByteBuf buf = Unpooled.directBuffer(blocks * (blockSize + 8));
        for (int i = 0; i < blocks; i++) {
            buf.writeBytes(data, i * blockSize, blockSize);
            buf.writeLong(0x1111_2222_0000_0000L | (100 + i));
        }
        return buf;
    }

    private static ByteBuf read(Bdev b, long lba, int blocks) {
        ByteBuf out = Unpooled.directBuffer(blocks * (b.blockSize() + 8));
        assertThat(inline(b, BdevOp.READ, lba, blocks, out)).isEqualTo(BdevStatus.SUCCESS);
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void capacityLeavesRoomForTheTableAndWritesReadBackExtended(int blockSize) {
        MallocBdev member = keep(new MallocBdev("m0", blockSize, 1000));
        PiBdev pi = keep(PiBdev.create("pi0", member, 1));
        int per = blockSize / 8;
        long d = pi.blockCount();
        long tableBlocks = (d + per - 1) / per;
        assertThat(d + tableBlocks).isLessThanOrEqualTo(1000);
        assertThat(d + 1 + (d + 1 + per - 1) / per).as("no room for one more").isGreaterThan(1000);
        assertThat(pi.blockSize()).isEqualTo(blockSize);

        ByteBuf src = extended(blockSize, 5, 1);
        ByteBuf back = null;
        try {
            assertThat(inline(pi, BdevOp.WRITE, d - 5, 5, src)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(src.readerIndex()).isZero();
            back = read(pi, d - 5, 5);
            assertThat(back).isEqualTo(src);
            // The data sits on the member unchanged, the metadata in the table (complemented).
            ByteBuf raw = Unpooled.directBuffer(5 * blockSize);
            assertThat(inline(member, BdevOp.READ, d - 5, 5, raw)).isEqualTo(BdevStatus.SUCCESS);
            for (int i = 0; i < 5; i++) {
                assertThat(raw.slice(i * blockSize, blockSize)).isEqualTo(src.slice(i * (blockSize + 8), blockSize));
            }
            raw.release();
        } finally {
            src.release();
            if (back != null) {
                back.release();
            }
        }
    }

    @Test
    void unwrittenBlocksReadAllFfMetadataOnAZeroMember() {
        PiBdev pi = keep(PiBdev.create("pi0", keep(new MallocBdev("m0", 512, 200)), 3));
        ByteBuf back = read(pi, 0, 3);
        try {
            for (int i = 0; i < 3; i++) {
                assertThat(back.getLong(i * 520 + 512)).isEqualTo(-1L);
                for (int j = 0; j < 512; j++) {
                    assertThat(back.getByte(i * 520 + j)).isZero();
                }
            }
        } finally {
            back.release();
        }
    }

    @Test
    void metadataSurvivesAReopenOverTheSameMember() {
        MallocBdev member = keep(new MallocBdev("m0", 512, 300));
        PiBdev first = PiBdev.create("pi0", member, 2);
        ByteBuf src = extended(512, 70, 3); // spans two table blocks
        try {
            assertThat(inline(first, BdevOp.WRITE, 10, 70, src)).isEqualTo(BdevStatus.SUCCESS);
            first.close();
            PiBdev again = keep(PiBdev.create("pi0", member, 2));
            ByteBuf back = read(again, 10, 70);
            assertThat(back).isEqualTo(src);
            back.release();
            assertThat(again.metadata(9)).isEqualTo(-1L);
            assertThat(again.metadata(80)).isEqualTo(-1L);
        } finally {
            src.release();
        }
    }

    @Test
    void writeZeroesAndUnmapSetTheMetadataAsNvmeDefinesIt() {
        PiBdev t1 = keep(PiBdev.create("pi1", keep(new MallocBdev("m1", 512, 300)), 1));
        PiBdev t3 = keep(PiBdev.create("pi3", keep(new MallocBdev("m3", 512, 300)), 3));
        ByteBuf template = Unpooled.buffer(8).writeLong(0x0000_ABCD_0000_0010L);
        try {
            // No template (PRACT = 0): the protection information is all zeroes.
            assertThat(inline(t1, BdevOp.WRITE_ZEROES, 0, 4, null)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(t1.metadata(3)).isZero();
            // A template: the reference tag counts up for type 1, stays for type 3.
            assertThat(inline(t1, BdevOp.WRITE_ZEROES, 16, 4, template)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(t1.metadata(16)).isEqualTo(0x0000_ABCD_0000_0010L);
            assertThat(t1.metadata(19)).isEqualTo(0x0000_ABCD_0000_0013L);
            assertThat(inline(t3, BdevOp.WRITE_ZEROES, 16, 4, template)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(t3.metadata(19)).isEqualTo(0x0000_ABCD_0000_0010L);
            assertThat(inline(t1, BdevOp.UNMAP, 17, 2, null)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(t1.metadata(16)).isEqualTo(0x0000_ABCD_0000_0010L);
            assertThat(t1.metadata(17)).isEqualTo(-1L);
            assertThat(t1.metadata(18)).isEqualTo(-1L);
        } finally {
            template.release();
        }
    }

    @Test
    void badRequestsAreRefused() {
        PiBdev pi = keep(PiBdev.create("pi0", keep(new MallocBdev("m0", 512, 100)), 1));
        ByteBuf dataOnly = Unpooled.directBuffer(512).writeZero(512);
        ByteBuf seven = Unpooled.buffer(7).writeZero(7);
        try {
            assertThat(inline(pi, BdevOp.WRITE, 0, 1, dataOnly)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(inline(pi, BdevOp.WRITE_ZEROES, 0, 1, seven)).isEqualTo(BdevStatus.BAD_BUFFER);
            assertThat(inline(pi, BdevOp.READ, pi.blockCount(), 1, dataOnly)).isEqualTo(BdevStatus.OUT_OF_RANGE);
        } finally {
            dataOnly.release();
            seven.release();
        }
        assertThatThrownBy(() -> PiBdev.create("pi9", keep(new MallocBdev("m9", 512, 10)), 4))
                .hasMessageContaining("pi9").hasMessageContaining("1, 2 or 3");
        assertThatThrownBy(() -> PiBdev.create("m0x", keep(new MallocBdev("m0x", 512, 10)), 1))
                .hasMessageContaining("own name");
    }

    @Test
    void madeFromTheConfigurationAndOnlyAtTheTopOfAStack() {
        org.k200emu.card.config.CardConfig ok = org.k200emu.card.config.CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 4MiB}",
                "  - {name: p0, type: pi, member: m0, piType: 2}",
                "  - {name: m1, type: malloc, size: 4MiB}",
                "  - {name: p1, type: pi, member: m1}",
                "ports: [{}]"), org.k200emu.card.config.CardConfig.Format.YAML);
        try (org.k200emu.bdev.BdevRegistry registry = org.k200emu.bdev.BdevRegistry.create(ok)) {
            assertThat(registry.get("p0")).isInstanceOfSatisfying(PiBdev.class, p -> {
                assertThat(p.piType()).isEqualTo(2);
                assertThat(p.blockCount()).isEqualTo(PiBdev.dataBlocks(64, 8192));
            });
            assertThat(((PiBdev) registry.get("p1")).piType()).as("type 1 by default").isEqualTo(1);
        }
        assertThatThrownBy(() -> org.k200emu.card.config.CardConfig.parse(
                "bdevs: [{name: m0, type: malloc, size: 4MiB}, {name: p0, type: pi, member: m0, piType: 4}]\n"
                        + "ports: [{}]", org.k200emu.card.config.CardConfig.Format.YAML))
                .isInstanceOfSatisfying(org.k200emu.card.config.ConfigException.class,
                        e -> assertThat(e.path()).isEqualTo("bdevs[1].piType"));
        org.k200emu.card.config.CardConfig stacked = org.k200emu.card.config.CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 4MiB}",
                "  - {name: p0, type: pi, member: m0}",
                "  - {name: q0, type: qos, member: p0, iops: 1000}",
                "ports: [{}]"), org.k200emu.card.config.CardConfig.Format.YAML);
        assertThatThrownBy(() -> org.k200emu.bdev.BdevRegistry.create(stacked))
                .isInstanceOfSatisfying(org.k200emu.card.config.ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("bdevs[2].member");
                    assertThat(e.getMessage()).contains("can only back a namespace");
                });
    }

    @Test
    void concurrentWritersSharingTableBlocksLeaveEveryEntryOnTheMember() throws Exception {
        MallocBdev member = keep(new MallocBdev("m0", 512, 2000));
        PiBdev pi = PiBdev.create("pi0", member, 1);
        int threads = 4;
        int perThread = 200;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    ByteBuf buf = Unpooled.directBuffer(520);
                    try {
                        for (int i = 0; i < perThread; i++) {
                            long lba = (long) i * threads + thread; // neighbours in one table block
                            buf.clear().writeZero(512).writeLong(0x5A5A_0000_0000_0000L | lba);
                            java.util.concurrent.CompletableFuture<Integer> f = new java.util.concurrent.CompletableFuture<>();
                            pi.submit(new org.k200emu.bdev.BdevIo().prepare(BdevOp.WRITE, lba, 1, buf, Runnable::run,
                                    d -> f.complete(d.status()), null));
                            assertThat(f.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(BdevStatus.SUCCESS);
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    } finally {
                        buf.release();
                    }
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        pi.close();
        PiBdev again = keep(PiBdev.create("pi0", member, 1));
        for (long lba = 0; lba < (long) threads * perThread; lba++) {
            assertThat(again.metadata(lba)).as("LBA %d", lba).isEqualTo(0x5A5A_0000_0000_0000L | lba);
        }
        assertThat(again.metadata(threads * perThread)).isEqualTo(-1L);
    }

    @Test
    void aFailingMemberFailsTheIoAndKeepsTheOldMetadata() {
        FaultyBdev faulty = new FaultyBdev(
                keep(new MallocBdev("m0", 512, 200)));
        PiBdev pi = keep(PiBdev.create("pi0", faulty, 1));
        ByteBuf src = extended(512, 2, 9);
        try {
            assertThat(inline(pi, BdevOp.WRITE, 4, 2, src)).isEqualTo(BdevStatus.SUCCESS);
            long before = pi.metadata(5);
            faulty.failWhen(io -> io.op() == BdevOp.WRITE);
            ByteBuf other = extended(512, 2, 10);
            other.setLong(520 + 512, 0x0102_0304_0506_0708L);
            assertThat(inline(pi, BdevOp.WRITE, 4, 2, other)).isEqualTo(BdevStatus.MEDIA_ERROR);
            other.release();
            assertThat(pi.metadata(5)).isEqualTo(before);
        } finally {
            src.release();
        }
    }
}
