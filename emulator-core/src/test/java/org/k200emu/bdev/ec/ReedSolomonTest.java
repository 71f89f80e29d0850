package org.k200emu.bdev.ec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.bdev.gf.Gf256;

class ReedSolomonTest {

    /** Data shards of random bytes and their parity, encoded by the code under test. */
    private static byte[][] encoded(ReedSolomon rs, long seed, int length) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[][] shards = new byte[rs.totalShards()][length];
        for (int j = 0; j < rs.dataShards(); j++) {
            r.nextBytes(shards[j]);
        }
        rs.encode(shards, 0, length);
        return shards;
    }

    /** Every subset of {0..n-1} with 1..max members, as bit masks. */
    private static List<Integer> erasurePatterns(int n, int max) {
        List<Integer> out = new ArrayList<>();
        for (int mask = 1; mask < 1 << n; mask++) {
            if (Integer.bitCount(mask) <= max) {
                out.add(mask);
            }
        }
        return out;
    }

    /** Erases the shards in {@code mask} (scribbled over), reconstructs, and compares with the original. */
    private static void eraseAndRecover(ReedSolomon rs, byte[][] original, int[] erased, int offset, int length) {
        int n = rs.totalShards();
        byte[][] shards = new byte[n][];
        boolean[] present = new boolean[n];
        Arrays.fill(present, true);
        for (int i = 0; i < n; i++) {
            shards[i] = original[i].clone();
        }
        for (int e : erased) {
            present[e] = false;
            Arrays.fill(shards[e], (byte) 0x5A);
        }
        rs.reconstruct(shards, present, offset, length);
        for (int i = 0; i < n; i++) {
            assertThat(Arrays.equals(shards[i], offset, offset + length, original[i], offset, offset + length))
                    .as("shard %d after erasing %s", i, Arrays.toString(erased)).isTrue();
        }
    }

    private static int[] bits(int mask) {
        return java.util.stream.IntStream.range(0, 32).filter(i -> (mask & 1 << i) != 0).toArray();
    }

    @ParameterizedTest(name = "{0}+{1}")
    @CsvSource({"4, 2", "8, 3"})
    void everyErasurePatternOfUpToMShardsRecovers(int k, int m) {
        ReedSolomon rs = new ReedSolomon(k, m);
        byte[][] original = encoded(rs, k * 100 + m, 1000);
        List<Integer> patterns = erasurePatterns(k + m, m);
        for (int mask : patterns) {
            eraseAndRecover(rs, original, bits(mask), 0, 1000);
        }
        // 4+2: 6 + 15 patterns; 8+3: 11 + 55 + 165.
        assertThat(patterns).hasSize(k == 4 ? 21 : 231);
    }

    @Test
    void randomPatternsOfTenPlusFourRecover() {
        ReedSolomon rs = new ReedSolomon(10, 4);
        byte[][] original = encoded(rs, 104, 4099); // not a multiple of 8 nor of the chunk
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 60; trial++) {
            int count = 1 + r.nextInt(4);
            int mask = 0;
            while (Integer.bitCount(mask) < count) {
                mask |= 1 << r.nextInt(14);
            }
            eraseAndRecover(rs, original, bits(mask), 0, 4099);
        }
    }

    @Test
    void everyKbyKSubmatrixIsInvertible() {
        for (int[] km : new int[][] {{4, 2}, {8, 3}, {6, 6}}) {
            ReedSolomon rs = new ReedSolomon(km[0], km[1]);
            byte[][] g = rs.encodingMatrix();
            int n = km[0] + km[1];
            for (int mask = 0; mask < 1 << n; mask++) {
                if (Integer.bitCount(mask) != km[0]) {
                    continue;
                }
                int[] rows = bits(mask);
                byte[][] sub = new byte[km[0]][];
                for (int i = 0; i < rows.length; i++) {
                    sub[i] = g[rows[i]];
                }
                Gf256.invert(sub); // throws if singular
            }
        }
    }

    @Test
    void isSystematicWithAnXorFirstParity() {
        ReedSolomon rs = new ReedSolomon(5, 3);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                assertThat(rs.coefficient(i, j)).isEqualTo(i == j ? 1 : 0);
            }
        }
        byte[][] shards = encoded(rs, 9, 64);
        byte[] xor = new byte[64];
        for (int j = 0; j < 5; j++) {
            for (int i = 0; i < 64; i++) {
                xor[i] ^= shards[j][i];
            }
        }
        assertThat(shards[5]).isEqualTo(xor);
        // The largest code: 255 shards.
        ReedSolomon big = new ReedSolomon(200, 55);
        eraseAndRecover(big, encoded(big, 255, 40), new int[] {0, 7, 199, 200, 254}, 0, 40);
    }

    @Test
    void moreThanMErasuresAreRefused() {
        ReedSolomon rs = new ReedSolomon(4, 2);
        byte[][] shards = encoded(rs, 1, 16);
        boolean[] present = {false, true, false, true, false, true};
        assertThatThrownBy(() -> rs.reconstruct(shards, present, 0, 16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot reconstruct: 3 of 6 shards present, 3 erased; a 4+2 code recovers at most 2 erasures");
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> new ReedSolomon(0, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReedSolomon(250, 6)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("k + m <= 255");
        ReedSolomon rs = new ReedSolomon(4, 2);
        assertThatThrownBy(() -> rs.encode(new byte[5][8], 0, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 6 shards");
        byte[][] shards = new byte[6][8];
        assertThatThrownBy(() -> rs.encode(shards, 4, 8)).isInstanceOf(IndexOutOfBoundsException.class);
        shards[2] = null;
        assertThatThrownBy(() -> rs.encode(shards, 0, 8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shard 2 is needed but null");
    }

    @Test
    void worksOnRangesAndSkipsNullOutputs() {
        ReedSolomon rs = new ReedSolomon(4, 2);
        byte[][] whole = encoded(rs, 5, 300);
        byte[][] part = new byte[6][];
        for (int i = 0; i < 6; i++) {
            part[i] = i < 4 ? whole[i].clone() : new byte[300];
        }
        part[5] = null;
        rs.encode(part, 100, 150);
        assertThat(Arrays.equals(part[4], 100, 250, whole[4], 100, 250)).isTrue();
        assertThat(Arrays.equals(part[4], 0, 100, new byte[100], 0, 100)).as("outside the range untouched").isTrue();
        eraseAndRecover(rs, whole, new int[] {1, 4}, 17, 201);
    }

    @Test
    void byteBufShardsHeapDirectAndMixedGiveTheSameParity() {
        ReedSolomon rs = new ReedSolomon(4, 2);
        int len = 10_000;
        byte[][] expected = encoded(rs, 11, len);
        for (int variant = 0; variant < 3; variant++) {
            ByteBuf[] bufs = new ByteBuf[6];
            int[] offs = new int[6];
            try {
                for (int i = 0; i < 6; i++) {
                    boolean direct = variant == 1 || variant == 2 && i % 2 == 0;
                    bufs[i] = direct ? PooledByteBufAllocator.DEFAULT.directBuffer(len + 64)
                            : Unpooled.buffer(len + 64);
                    offs[i] = 3 + i * 7;
                    bufs[i].writeZero(len + 64);
                    if (i < 4) {
                        bufs[i].setBytes(offs[i], expected[i]);
                    }
                }
                rs.encode(bufs, offs, len);
                for (int p = 4; p < 6; p++) {
                    byte[] got = new byte[len];
                    bufs[p].getBytes(offs[p], got);
                    assertThat(got).as("variant %d parity %d", variant, p).isEqualTo(expected[p]);
                }
                // Lose a data and a parity shard; rebuild only the data one.
                bufs[2].setZero(offs[2], len);
                bufs[5].setZero(offs[5], len);
                boolean[] present = {true, true, false, true, true, false};
                ByteBuf parity = bufs[5];
                bufs[5] = null;
                rs.reconstruct(bufs, offs, present, len);
                bufs[5] = parity;
                byte[] got = new byte[len];
                bufs[2].getBytes(offs[2], got);
                assertThat(got).as("variant %d rebuilt data", variant).isEqualTo(expected[2]);
                assertThat(parity.getByte(offs[5] + 10)).as("null output not written").isZero();
                assertThat(bufs[0].readerIndex()).isZero();
            } finally {
                for (ByteBuf b : bufs) {
                    if (b != null) {
                        b.release();
                    }
                }
            }
        }
    }

    @Test
    void patternsDecodeAgainFromTheCache() {
        ReedSolomon rs = new ReedSolomon(8, 3);
        byte[][] original = encoded(rs, 2, 256);
        for (int round = 0; round < 3; round++) {
            for (int mask : erasurePatterns(11, 3)) {
                eraseAndRecover(rs, original, bits(mask), 0, 256);
            }
        }
    }
}
