package org.k200emu.bdev.gf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The region kernels against the byte-at-a-time definition ({@link Gf256#mul} through the log and
 * exp tables), on random data, at byte offsets 0..7 into the arrays (so words are not aligned),
 * for every coefficient and many lengths.
 */
class Gf256RegionTest {

    private static final int MAX_WORDS = 40;

    private static byte[] random(SplittableRandom r, int len) {
        byte[] b = new byte[len];
        r.nextBytes(b);
        return b;
    }

    /** The packed words of {@code b[off, off + 8 words)}, built byte by byte (little-endian). */
    private static long[] words(byte[] b, int off, int words) {
        long[] out = new long[words];
        for (int i = 0; i < 8 * words; i++) {
            out[i >>> 3] |= (b[off + i] & 0xffL) << (8 * (i & 7));
        }
        return out;
    }

    private static int byteOf(long[] words, int i) {
        return (int) (words[i >>> 3] >>> (8 * (i & 7))) & 0xff;
    }

    @Test
    void productByEveryConstantMatchesTheTables() {
        SplittableRandom r = new SplittableRandom(1);
        for (int c = 0; c < 256; c++) {
            int words = c % (MAX_WORDS + 1);
            int off = c & 7;
            byte[] src = random(r, off + 8 * words + 5);
            long[] acc = new long[words + 3];
            acc[words] = 0x1234; // beyond the range: untouched
            Gf256Region.multiply(acc, c, src, off, words);
            long[] fromWords = new long[words + 3];
            Gf256Region.multiply(fromWords, c, words(src, off, words), words);
            for (int i = 0; i < 8 * words; i++) {
                int expected = Gf256.mul(c, src[off + i]);
                assertThat(byteOf(acc, i)).as("c=%d byte %d of %d words", c, i, words).isEqualTo(expected);
                assertThat(byteOf(fromWords, i)).as("c=%d from words, byte %d", c, i).isEqualTo(expected);
            }
            assertThat(acc[words]).isEqualTo(0x1234);
        }
    }

    @Test
    void productsOfEveryLengthAndOffset() {
        SplittableRandom r = new SplittableRandom(2);
        for (int words = 0; words <= MAX_WORDS; words++) {
            for (int off = 0; off < 8; off++) {
                int c = r.nextInt(256);
                byte[] src = random(r, off + 8 * words);
                long[] acc = new long[words];
                Gf256Region.multiply(acc, c, src, off, words);
                for (int i = 0; i < 8 * words; i++) {
                    assertThat(byteOf(acc, i)).as("c=%d words=%d off=%d byte %d", c, words, off, i)
                            .isEqualTo(Gf256.mul(c, src[off + i]));
                }
            }
        }
    }

    @Test
    void loadStoreAndXorMoveBytesLittleEndian() {
        SplittableRandom r = new SplittableRandom(3);
        for (int words = 0; words <= MAX_WORDS; words++) {
            int off = words & 7;
            int dOff = (words * 3 + 1) & 7;
            byte[] a = random(r, off + 8 * words);
            byte[] b = random(r, off + 8 * words);
            long[] acc = new long[words];
            Gf256Region.load(acc, a, off, words);
            assertThat(acc).isEqualTo(words(a, off, words));
            Gf256Region.xor(acc, b, off, words);
            byte[] dst = random(r, dOff + 8 * words + 4);
            byte[] before = dst.clone();
            Gf256Region.store(acc, dst, dOff, words);
            for (int i = 0; i < dst.length; i++) {
                boolean inside = i >= dOff && i < dOff + 8 * words;
                byte expected = inside ? (byte) (a[off + i - dOff] ^ b[off + i - dOff]) : before[i];
                assertThat(dst[i]).as("words=%d byte %d", words, i).isEqualTo(expected);
            }
            Gf256Region.xorStore(acc, dst, dOff, words);
            for (int i = 0; i < dst.length; i++) {
                boolean inside = i >= dOff && i < dOff + 8 * words;
                assertThat(dst[i]).as("after xorStore, byte %d", i).isEqualTo(inside ? 0 : before[i]);
            }
        }
    }

    @Test
    void hornerStepsDoubleThenAdd() {
        SplittableRandom r = new SplittableRandom(4);
        for (int words = 0; words <= MAX_WORDS; words++) {
            int off = (words + 5) & 7;
            byte[] src = random(r, off + 8 * words);
            long[] start = words(random(r, 8 * words), 0, words);
            long[] q = start.clone();
            long[] p = words(random(r, 8 * words), 0, words);
            long[] p0 = p.clone();
            Gf256Region.xor(p, src, off, words);
            Gf256Region.twiceXor(q, src, off, words);
            long[] q2 = start.clone();
            Gf256Region.twiceXor(q2, src, off, words);
            long[] q3 = start.clone();
            Gf256Region.twiceXor(q3, words(src, off, words), words);
            long[] q4 = start.clone();
            Gf256Region.twice(q4, words);
            for (int i = 0; i < 8 * words; i++) {
                int s = src[off + i] & 0xff;
                int doubled = Gf256.mul(2, byteOf(start, i));
                assertThat(byteOf(q, i)).isEqualTo(doubled ^ s);
                assertThat(byteOf(q2, i)).isEqualTo(doubled ^ s);
                assertThat(byteOf(q3, i)).isEqualTo(doubled ^ s);
                assertThat(byteOf(q4, i)).isEqualTo(doubled);
                assertThat(byteOf(p, i)).isEqualTo(byteOf(p0, i) ^ s);
            }
        }
    }

    @Test
    void dotProductsMatchTheDefinitionForRandomRows() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 600; trial++) {
            int sources = 1 + r.nextInt(14);
            int words = r.nextInt(MAX_WORDS + 1);
            byte[] row = random(r, sources);
            switch (trial % 6) {
                case 0: // every coefficient appears across the trials, beside zeros and ones
                    row[r.nextInt(sources)] = (byte) (trial / 6 * 3);
                    break;
                case 1:
                    java.util.Arrays.fill(row, (byte) 1);
                    break;
                case 2:
                    java.util.Arrays.fill(row, (byte) 0);
                    break;
                case 3:
                    row[0] = (byte) 0x80;
                    break;
                default:
                    break;
            }
            long[][] src = new long[sources][];
            byte[][] bytes = new byte[sources][];
            for (int j = 0; j < sources; j++) {
                bytes[j] = random(r, 8 * words);
                src[j] = words(bytes[j], 0, words);
            }
            long[] acc = words(random(r, 8 * words), 0, words); // garbage: must be overwritten
            Gf256Region.dotProduct(acc, Gf256Region.levels(row), src, words);
            for (int i = 0; i < 8 * words; i++) {
                int expected = 0;
                for (int j = 0; j < sources; j++) {
                    expected ^= Gf256.mul(row[j], bytes[j][i]);
                }
                assertThat(byteOf(acc, i)).as("trial %d byte %d", trial, i).isEqualTo(expected);
            }
        }
    }

    @Test
    void levelsListTheSourcesOfEachBitPlane() {
        int[][] levels = Gf256Region.levels(new byte[] {1, 3, (byte) 0x80, 0, 2});
        assertThat(levels[0]).containsExactly(0, 1);
        assertThat(levels[1]).containsExactly(1, 4);
        assertThat(levels[7]).containsExactly(2);
        for (int b = 2; b < 7; b++) {
            assertThat(levels[b]).isEmpty();
        }
    }

    @Test
    void byteTailsByTheTable() {
        SplittableRandom r = new SplittableRandom(6);
        for (int c = 0; c < 256; c++) {
            int len = c % 9;
            byte[] src = random(r, len + 3);
            byte[] dst = random(r, len + 2);
            byte[] expected = dst.clone();
            for (int i = 0; i < len; i++) {
                expected[1 + i] ^= (byte) Gf256.mul(c, src[3 + i]);
            }
            Gf256Region.mulXorBytes(dst, 1, src, 3, len, c);
            assertThat(dst).isEqualTo(expected);
        }
    }
}
