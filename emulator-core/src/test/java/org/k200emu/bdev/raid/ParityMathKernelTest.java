package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.gf.Gf256;

/**
 * The word-at-a-time parity kernels against byte-at-a-time references built on {@link Gf256#mul}:
 * every length from 0 to a few words past a chunk boundary (so tails of 1..7 bytes), strips at
 * different unaligned offsets, every constant.
 */
class ParityMathKernelTest {

    private static byte[] random(SplittableRandom r, int len) {
        byte[] b = new byte[len];
        r.nextBytes(b);
        return b;
    }

    /** Lengths 0..100, then around one and two chunks. */
    private static int[] lengths() {
        int[] out = new int[101 + 2 * 19];
        for (int i = 0; i <= 100; i++) {
            out[i] = i;
        }
        for (int i = 0; i < 19; i++) {
            out[101 + i] = ParityMath.CHUNK - 9 + i;
            out[120 + i] = 2 * ParityMath.CHUNK - 9 + i;
        }
        return out;
    }

    @Test
    void multiplyXorAndInPlaceByEveryConstant() {
        SplittableRandom r = new SplittableRandom(21);
        int[] lengths = lengths();
        for (int c = 0; c < 256; c++) {
            for (int li = c % 3; li < lengths.length; li += 3) {
                int len = lengths[li];
                int sOff = r.nextInt(8);
                int dOff = r.nextInt(8);
                byte[] src = random(r, sOff + len + 3);
                byte[] dst = random(r, dOff + len + 3);
                byte[] expected = dst.clone();
                for (int i = 0; i < len; i++) {
                    expected[dOff + i] ^= (byte) Gf256.mul(c, src[sOff + i]);
                }
                ParityMath.mulXorInto(dst, dOff, src, sOff, len, c);
                assertThat(dst).as("mulXorInto c=%d len=%d", c, len).isEqualTo(expected);

                byte[] buf = src.clone();
                byte[] scaled = src.clone();
                for (int i = 0; i < len; i++) {
                    scaled[sOff + i] = (byte) Gf256.mul(c, src[sOff + i]);
                }
                ParityMath.mulInPlace(buf, sOff, len, c);
                assertThat(buf).as("mulInPlace c=%d len=%d", c, len).isEqualTo(scaled);
            }
        }
    }

    @Test
    void syndromesOfEveryLengthWithUnalignedStripsAndZeroStrips() {
        SplittableRandom r = new SplittableRandom(22);
        for (int len : lengths()) {
            int k = 1 + r.nextInt(9);
            byte[][] data = new byte[k][];
            int[] offs = new int[k];
            for (int d = 0; d < k; d++) {
                offs[d] = r.nextInt(16);
                data[d] = random(r, offs[d] + len + 5);
            }
            long zeroMask = r.nextInt(4) == 0 ? 0 : r.nextLong() & ((1L << k) - 1);
            if (k > 1 && r.nextBoolean()) {
                data[r.nextInt(k)] = null;
            }
            byte[] p = new byte[len];
            byte[] q = new byte[len];
            for (int d = 0; d < k; d++) {
                if (data[d] == null || (zeroMask & 1L << d) != 0) {
                    continue;
                }
                int g = Gf256.exp(d);
                for (int i = 0; i < len; i++) {
                    p[i] ^= data[d][offs[d] + i];
                    q[i] ^= (byte) Gf256.mul(g, data[d][offs[d] + i]);
                }
            }
            int pOff = r.nextInt(8);
            int qOff = r.nextInt(8);
            byte[] gotP = random(r, pOff + len + 2);
            byte[] gotQ = random(r, qOff + len + 2);
            byte[] gotPBefore = gotP.clone();
            ParityMath.syndromes(data, offs, k, zeroMask, len, gotP, pOff, gotQ, qOff);
            assertThat(Arrays.copyOfRange(gotP, pOff, pOff + len)).as("P k=%d len=%d", k, len).isEqualTo(p);
            assertThat(Arrays.copyOfRange(gotQ, qOff, qOff + len)).as("Q k=%d len=%d", k, len).isEqualTo(q);
            assertThat(Arrays.copyOfRange(gotP, pOff + len, gotP.length))
                    .isEqualTo(Arrays.copyOfRange(gotPBefore, pOff + len, gotP.length));

            byte[] onlyQ = new byte[len];
            ParityMath.syndromes(data, offs, k, zeroMask, len, null, 0, onlyQ, 0);
            assertThat(onlyQ).as("Q alone k=%d len=%d", k, len).isEqualTo(q);
            byte[] onlyP = new byte[len];
            ParityMath.syndromes(data, offs, k, zeroMask, len, onlyP, 0, null, 0);
            assertThat(onlyP).as("P alone k=%d len=%d", k, len).isEqualTo(p);
        }
    }

    @Test
    void twoMissingStripsOfEveryLengthAreRecovered() {
        SplittableRandom r = new SplittableRandom(23);
        for (int len : lengths()) {
            int k = 2 + r.nextInt(7);
            byte[][] original = new byte[k][];
            int[] offs = new int[k];
            for (int d = 0; d < k; d++) {
                offs[d] = r.nextInt(16);
                original[d] = random(r, offs[d] + len);
            }
            byte[] p = new byte[len];
            byte[] q = new byte[len];
            for (int d = 0; d < k; d++) {
                for (int i = 0; i < len; i++) {
                    p[i] ^= original[d][offs[d] + i];
                    q[i] ^= (byte) Gf256.mul(Gf256.exp(d), original[d][offs[d] + i]);
                }
            }
            int x = r.nextInt(k);
            int y = (x + 1 + r.nextInt(k - 1)) % k;
            byte[][] data = new byte[k][];
            for (int d = 0; d < k; d++) {
                data[d] = original[d].clone();
            }
            Arrays.fill(data[x], (byte) 0x5a);
            Arrays.fill(data[y], (byte) 0xa5);
            assertThat(ParityMath.recover(data, offs, k, len, x, y, p, 0, q, 0)).isTrue();
            for (int d = 0; d < k; d++) {
                assertThat(Arrays.copyOfRange(data[d], offs[d], offs[d] + len))
                        .as("strip %d of %d, x=%d y=%d len=%d", d, k, x, y, len)
                        .isEqualTo(Arrays.copyOfRange(original[d], offs[d], offs[d] + len));
            }
        }
    }
}
