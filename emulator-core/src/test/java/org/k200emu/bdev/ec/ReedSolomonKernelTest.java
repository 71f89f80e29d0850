package org.k200emu.bdev.ec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.bdev.gf.Gf256;

/**
 * The coding loops against a byte-at-a-time encoder built from the code's matrix and
 * {@link Gf256#mul}: every length from 0 to 100 and around chunk boundaries (tails of 1..7
 * bytes), shards at different unaligned offsets, and reconstruction of random erasures.
 */
class ReedSolomonKernelTest {

    private static int[] lengths() {
        int[] out = new int[101 + 2 * 11];
        for (int i = 0; i <= 100; i++) {
            out[i] = i;
        }
        for (int i = 0; i < 11; i++) {
            out[101 + i] = 4096 - 5 + i;
            out[112 + i] = 3 * 4096 - 5 + i;
        }
        return out;
    }

    /** Parity by the definition: parity p at byte i is the sum over j of G[k+p][j] * data j at i. */
    private static byte[][] referenceParity(ReedSolomon rs, byte[][] data, int[] offs, int len) {
        int k = rs.dataShards();
        byte[][] parity = new byte[rs.parityShards()][len];
        for (int p = 0; p < rs.parityShards(); p++) {
            for (int i = 0; i < len; i++) {
                int acc = 0;
                for (int j = 0; j < k; j++) {
                    acc ^= Gf256.mul(rs.coefficient(k + p, j), data[j][offs[j] + i]);
                }
                parity[p][i] = (byte) acc;
            }
        }
        return parity;
    }

    @ParameterizedTest(name = "{0}+{1}")
    @CsvSource({"1, 1", "4, 2", "8, 3", "5, 5", "13, 4"})
    void encodeMatchesTheDefinitionAtEveryLength(int k, int m) {
        ReedSolomon rs = new ReedSolomon(k, m);
        int n = k + m;
        SplittableRandom r = new SplittableRandom(k * 7L + m);
        for (int len : lengths()) {
            int offset = r.nextInt(8);
            byte[][] shards = new byte[n][];
            int[] offs = new int[n];
            Arrays.fill(offs, offset);
            for (int i = 0; i < n; i++) {
                shards[i] = new byte[offset + len + 3];
                r.nextBytes(shards[i]); // parity shards start as garbage: must be overwritten
            }
            byte[][] expected = referenceParity(rs, shards, offs, len);
            byte[] afterParity = Arrays.copyOfRange(shards[k], offset + len, offset + len + 3);
            rs.encode(shards, offset, len);
            for (int p = 0; p < m; p++) {
                assertThat(Arrays.copyOfRange(shards[k + p], offset, offset + len))
                        .as("%d+%d parity %d, length %d", k, m, p, len).isEqualTo(expected[p]);
            }
            assertThat(Arrays.copyOfRange(shards[k], offset + len, offset + len + 3)).isEqualTo(afterParity);

            // Erase up to m random shards and rebuild them.
            boolean[] present = new boolean[n];
            Arrays.fill(present, true);
            byte[][] damaged = new byte[n][];
            for (int i = 0; i < n; i++) {
                damaged[i] = shards[i].clone();
            }
            for (int e = 1 + r.nextInt(m); e > 0; ) {
                int i = r.nextInt(n);
                if (present[i]) {
                    present[i] = false;
                    Arrays.fill(damaged[i], (byte) 0x5a);
                    e--;
                }
            }
            rs.reconstruct(damaged, present, offset, len);
            for (int i = 0; i < n; i++) {
                assertThat(Arrays.copyOfRange(damaged[i], offset, offset + len))
                        .as("%d+%d shard %d rebuilt, length %d", k, m, i, len)
                        .isEqualTo(Arrays.copyOfRange(shards[i], offset, offset + len));
            }
        }
    }

    @ParameterizedTest(name = "{0}+{1}")
    @CsvSource({"4, 2", "8, 3"})
    void buffersAtDifferentUnalignedOffsets(int k, int m) {
        ReedSolomon rs = new ReedSolomon(k, m);
        int n = k + m;
        SplittableRandom r = new SplittableRandom(k * 11L + m);
        for (int len : lengths()) {
            int[] offs = new int[n];
            byte[][] arrays = new byte[n][];
            ByteBuf[] bufs = new ByteBuf[n];
            for (int i = 0; i < n; i++) {
                offs[i] = r.nextInt(24);
                arrays[i] = new byte[offs[i] + len + 8];
                r.nextBytes(arrays[i]);
                bufs[i] = Unpooled.wrappedBuffer(arrays[i], 1, arrays[i].length - 1); // arrayOffset 1
            }
            int[] bufOffs = new int[n];
            for (int i = 0; i < n; i++) {
                bufOffs[i] = offs[i] - 1 < 0 ? 0 : offs[i] - 1;
                offs[i] = bufOffs[i] + 1; // the array index the buffer offset lands on
            }
            byte[][] expected = referenceParity(rs, arrays, offs, len);
            rs.encode(bufs, bufOffs, len);
            for (int p = 0; p < m; p++) {
                assertThat(Arrays.copyOfRange(arrays[k + p], offs[k + p], offs[k + p] + len))
                        .as("%d+%d parity %d, length %d", k, m, p, len).isEqualTo(expected[p]);
            }
        }
    }
}
