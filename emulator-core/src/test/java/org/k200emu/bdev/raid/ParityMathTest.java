package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.k200emu.bdev.gf.Gf256;
import org.k200emu.testing.Bytes;

class ParityMathTest {

    private static final int LEN = 1024 + 5; // a byte tail after the words, to cover it too

    /** Byte-wise P and Q, straight from the definition. */
    private static byte[][] reference(byte[][] data, int len) {
        byte[] p = new byte[len];
        byte[] q = new byte[len];
        for (int d = 0; d < data.length; d++) {
            int coef = Gf256.exp(d);
            for (int i = 0; i < len; i++) {
                p[i] ^= data[d][i];
                q[i] ^= (byte) Gf256.mul(coef, data[d][i] & 0xff);
            }
        }
        return new byte[][] {p, q};
    }

    /** k strips at offset 3 inside larger arrays, to check offsets are honoured. */
    private static byte[][] strips(int k, long seed) {
        byte[][] data = new byte[k][];
        for (int d = 0; d < k; d++) {
            data[d] = Bytes.random(seed * 100 + d, LEN + 8);
        }
        return data;
    }

    private static byte[][] at3(byte[][] data) {
        byte[][] out = new byte[data.length][];
        for (int d = 0; d < data.length; d++) {
            out[d] = Arrays.copyOfRange(data[d], 3, 3 + LEN);
        }
        return out;
    }

    private static int[] offsets(int k, int off) {
        int[] offs = new int[k];
        Arrays.fill(offs, off);
        return offs;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 8, 17})
    void syndromesMatchTheDefinition(int k) {
        byte[][] data = strips(k, k);
        byte[][] ref = reference(at3(data), LEN);
        byte[] p = new byte[LEN + 9];
        byte[] q = new byte[LEN + 9];
        ParityMath.syndromes(data, offsets(k, 3), k, 0, LEN, p, 1, q, 2);
        assertThat(Arrays.copyOfRange(p, 1, 1 + LEN)).isEqualTo(ref[0]);
        assertThat(Arrays.copyOfRange(q, 2, 2 + LEN)).isEqualTo(ref[1]);

        byte[] pOnly = new byte[LEN];
        ParityMath.syndromes(data, offsets(k, 3), k, 0, LEN, pOnly, 0, null, 0);
        assertThat(pOnly).isEqualTo(ref[0]);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 9})
    void longStripsAreComputedChunkByChunk(int k) {
        int len = 3 * ParityMath.CHUNK + 24 + 3; // three chunks, a part chunk, a byte tail
        byte[][] data = new byte[k][];
        for (int d = 0; d < k; d++) {
            data[d] = Bytes.random(200 + d, len);
        }
        byte[][] ref = reference(data, len);
        byte[] p = new byte[len];
        byte[] q = new byte[len];
        ParityMath.syndromes(data, offsets(k, 0), k, 0, len, p, 0, q, 0);
        assertThat(p).isEqualTo(ref[0]);
        assertThat(q).isEqualTo(ref[1]);
        // Masked strips count as zeroes.
        byte[][] withoutLast = data.clone();
        withoutLast[k - 1] = new byte[len];
        byte[][] refMasked = reference(withoutLast, len);
        ParityMath.syndromes(data, offsets(k, 0), k, 1L << (k - 1), len, p, 0, q, 0);
        assertThat(p).isEqualTo(refMasked[0]);
        assertThat(q).isEqualTo(refMasked[1]);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 6})
    void everyOneOrTwoMissingStripsAreRecovered(int k) {
        byte[][] original = strips(k, 40 + k);
        byte[][] ref = reference(at3(original), LEN);
        int[] offs = offsets(k, 3);
        for (int x = 0; x < k; x++) {
            for (int y = -1; y < k; y++) {
                if (y == x) {
                    continue;
                }
                for (int parity = 0; parity < 3; parity++) { // 0: P and Q, 1: P only, 2: Q only
                    byte[] p = parity == 2 ? null : ref[0];
                    byte[] q = parity == 1 ? null : ref[1];
                    byte[][] data = new byte[k][];
                    for (int d = 0; d < k; d++) {
                        data[d] = original[d].clone();
                    }
                    Arrays.fill(data[x], (byte) 0x5a); // garbage where the missing strips were
                    if (y >= 0) {
                        Arrays.fill(data[y], (byte) 0xa5);
                    }
                    boolean ok = ParityMath.recover(data, offs, k, LEN, x, y, p, 0, q, 0);
                    boolean possible = y < 0 ? (p != null || q != null) : (p != null && q != null);
                    assertThat(ok).as("x=%d y=%d parity=%d", x, y, parity).isEqualTo(possible);
                    if (possible) {
                        for (int d = 0; d < k; d++) {
                            assertThat(Arrays.copyOfRange(data[d], 3, 3 + LEN))
                                    .as("strip %d with x=%d y=%d parity=%d", d, x, y, parity)
                                    .isEqualTo(Arrays.copyOfRange(original[d], 3, 3 + LEN));
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void readModifyWriteDeltaGivesTheSameParityAsRecomputing(int k) {
        byte[][] data = at3(strips(k, 70 + k));
        byte[][] before = reference(data, LEN);
        byte[] p = before[0].clone();
        byte[] q = before[1].clone();
        int d = k - 1;
        byte[] updated = Bytes.random(99, LEN);
        byte[] delta = data[d].clone();
        ParityMath.xorInto(delta, 0, updated, 0, LEN);
        ParityMath.xorInto(p, 0, delta, 0, LEN);
        ParityMath.mulXorInto(q, 0, delta, 0, LEN, Gf256.exp(d));
        data[d] = updated;
        byte[][] after = reference(data, LEN);
        assertThat(p).isEqualTo(after[0]);
        assertThat(q).isEqualTo(after[1]);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 200, 255})
    void multiplyInPlaceAndMultiplyXor(int c) {
        byte[] src = Bytes.random(c, 64);
        byte[] dst = Bytes.random(c + 1, 64);
        byte[] expected = dst.clone();
        for (int i = 0; i < 64; i++) {
            expected[i] ^= (byte) Gf256.mul(c, src[i] & 0xff);
        }
        ParityMath.mulXorInto(dst, 0, src, 0, 64, c);
        assertThat(dst).isEqualTo(expected);
        if (c != 0) {
            byte[] buf = src.clone();
            ParityMath.mulInPlace(buf, 0, 64, c);
            ParityMath.mulInPlace(buf, 0, 64, Gf256.inv(c));
            assertThat(buf).isEqualTo(src);
        }
    }
}
