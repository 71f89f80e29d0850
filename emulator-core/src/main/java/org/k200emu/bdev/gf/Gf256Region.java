package org.k200emu.bdev.gf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Region kernels of {@link Gf256}: the loops that RAID 6 and the erasure code run over a chunk of
 * a strip, eight field elements packed in each long (little-endian, byte i of a region in bits
 * 8i..8i+7). Work happens in {@code long[]} accumulators that the caller owns (one chunk long,
 * typically in the L1 cache); data comes in and goes out through byte arrays at any offset.
 *
 * <p>Why this shape: C2 (JDK 17) turns a simple loop into SIMD code only when it can prove that
 * the loop's memory accesses do not overlap across iterations. Two byte arrays at two unknown
 * offsets defeat that proof; one byte array plus any number of {@code long[]} arrays indexed by
 * the loop counter alone do not (different element types cannot alias). So every loop here
 * reads or writes at most one byte array, and does one step of work: one multiply by 2 (a
 * longer chain of them in one loop body is not vectorised) and XORs. A product by a constant
 * c is Horner's rule over the bits of c, one pass per bit: {@code acc = 2 acc ^ (bit ? src : 0)}.
 * A dot product {@code sum c_j src_j} is the same over all sources at once, one pass per bit
 * plane with up to four sources XORed per pass ({@link #levels}). (Padding every group to four
 * sources with zero words, one loop shape instead of a dozen, gave steadier but lower figures:
 * 4+2 encode about 10 GB/s every run against 12-14 GB/s in most runs.)
 *
 * <p>Lengths are in words (longs); byte offsets need no alignment. Callers handle a tail of
 * fewer than eight bytes themselves ({@link #mulXorBytes}). Stateless.
 */
public final class Gf256Region {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_SEVEN = 0xfefefefefefefefeL;

    private Gf256Region() {
    }

    private static long get(byte[] a, int i) {
        return (long) LONGS.get(a, i);
    }

    private static void put(byte[] a, int i, long v) {
        LONGS.set(a, i, v);
    }

    /** Eight packed elements times 2: the same as {@link Gf256#mul2}, inlined here for the loops. */
    private static long twice(long v) {
        long high = v & HIGH_BITS;
        return ((v << 1) & LOW_SEVEN) ^ ((high >>> 7) * 0x1d);
    }

    // ---------------------------------------------------------------- one byte array per loop

    /** {@code acc = src[off ..]}. */
    public static void load(long[] acc, byte[] src, int off, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = get(src, off + 8 * w);
        }
    }

    /** {@code acc ^= src[off ..]}. */
    public static void xor(long[] acc, byte[] src, int off, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] ^= get(src, off + 8 * w);
        }
    }

    /** {@code acc = 2 acc ^ src[off ..]}: one step of Horner's rule. */
    public static void twiceXor(long[] acc, byte[] src, int off, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = twice(acc[w]) ^ get(src, off + 8 * w);
        }
    }

    /** {@code dst[off ..] = acc}. */
    public static void store(long[] acc, byte[] dst, int off, int words) {
        for (int w = 0; w < words; w++) {
            put(dst, off + 8 * w, acc[w]);
        }
    }

    /** {@code dst[off ..] ^= acc}. */
    public static void xorStore(long[] acc, byte[] dst, int off, int words) {
        for (int w = 0; w < words; w++) {
            put(dst, off + 8 * w, get(dst, off + 8 * w) ^ acc[w]);
        }
    }

    // ---------------------------------------------------------------- long[] only

    /** {@code acc = 2 acc}. */
    public static void twice(long[] acc, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = twice(acc[w]);
        }
    }

    /** {@code acc = 2 acc ^ a}. */
    public static void twiceXor(long[] acc, long[] a, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = twice(acc[w]) ^ a[w];
        }
    }

    private static void twiceXor(long[] acc, long[] a, long[] b, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = twice(acc[w]) ^ a[w] ^ b[w];
        }
    }

    private static void twiceXor(long[] acc, long[] a, long[] b, long[] c, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = twice(acc[w]) ^ a[w] ^ b[w] ^ c[w];
        }
    }

    private static void twiceXor(long[] acc, long[] a, long[] b, long[] c, long[] d, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = twice(acc[w]) ^ a[w] ^ b[w] ^ c[w] ^ d[w];
        }
    }

    /** {@code acc = a}. */
    public static void copy(long[] acc, long[] a, int words) {
        System.arraycopy(a, 0, acc, 0, words);
    }

    private static void set(long[] acc, long[] a, long[] b, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = a[w] ^ b[w];
        }
    }

    private static void set(long[] acc, long[] a, long[] b, long[] c, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = a[w] ^ b[w] ^ c[w];
        }
    }

    private static void set(long[] acc, long[] a, long[] b, long[] c, long[] d, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] = a[w] ^ b[w] ^ c[w] ^ d[w];
        }
    }

    /** {@code acc ^= a}. */
    public static void xor(long[] acc, long[] a, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] ^= a[w];
        }
    }

    private static void xor(long[] acc, long[] a, long[] b, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] ^= a[w] ^ b[w];
        }
    }

    private static void xor(long[] acc, long[] a, long[] b, long[] c, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] ^= a[w] ^ b[w] ^ c[w];
        }
    }

    private static void xor(long[] acc, long[] a, long[] b, long[] c, long[] d, int words) {
        for (int w = 0; w < words; w++) {
            acc[w] ^= a[w] ^ b[w] ^ c[w] ^ d[w];
        }
    }

    // ---------------------------------------------------------------- products

    /** {@code acc = c * src[off ..]}, by Horner's rule over the bits of c (one pass per bit). */
    public static void multiply(long[] acc, int c, byte[] src, int off, int words) {
        c &= 0xff;
        if (c == 0) {
            Arrays.fill(acc, 0, words, 0L);
            return;
        }
        int bit = 31 - Integer.numberOfLeadingZeros(c);
        load(acc, src, off, words);
        for (bit--; bit >= 0; bit--) {
            if ((c & 1 << bit) != 0) {
                twiceXor(acc, src, off, words);
            } else {
                twice(acc, words);
            }
        }
    }

    /** {@code acc = c * src}; acc and src must be different arrays. */
    public static void multiply(long[] acc, int c, long[] src, int words) {
        c &= 0xff;
        if (c == 0) {
            Arrays.fill(acc, 0, words, 0L);
            return;
        }
        int bit = 31 - Integer.numberOfLeadingZeros(c);
        copy(acc, src, words);
        for (bit--; bit >= 0; bit--) {
            if ((c & 1 << bit) != 0) {
                twiceXor(acc, src, words);
            } else {
                twice(acc, words);
            }
        }
    }

    /**
     * The bit planes of a row of coefficients, for {@link #dotProduct}: entry {@code b} lists, in
     * order, the indexes j whose coefficient {@code row[j]} has bit b set.
     */
    public static int[][] levels(byte[] row) {
        int[][] levels = new int[8][];
        for (int b = 0; b < 8; b++) {
            int count = 0;
            for (byte c : row) {
                if ((c & 1 << b) != 0) {
                    count++;
                }
            }
            levels[b] = new int[count];
            count = 0;
            for (int j = 0; j < row.length; j++) {
                if ((row[j] & 1 << b) != 0) {
                    levels[b][count++] = j;
                }
            }
        }
        return levels;
    }

    /**
     * {@code acc = sum over j of row[j] * src[j]}, the row given as its {@link #levels}: Horner's
     * rule from the highest bit plane down, {@code acc = 2 acc ^ (XOR of the sources in the
     * plane)}, up to four sources per pass. {@code acc} must not be one of the sources.
     */
    public static void dotProduct(long[] acc, int[][] levels, long[][] src, int words) {
        boolean started = false;
        for (int b = 7; b >= 0; b--) {
            int[] plane = levels[b];
            if (!started) {
                if (plane.length == 0) {
                    continue;
                }
                started = true;
                int at = setFirst(acc, plane, src, words);
                xorRest(acc, plane, at, src, words);
                continue;
            }
            int at = twiceXorFirst(acc, plane, src, words);
            xorRest(acc, plane, at, src, words);
        }
        if (!started) {
            Arrays.fill(acc, 0, words, 0L);
        }
    }

    /** acc = XOR of the first (up to four) sources of the plane; returns how many it used. */
    private static int setFirst(long[] acc, int[] plane, long[][] src, int words) {
        switch (plane.length) {
            case 1:
                copy(acc, src[plane[0]], words);
                return 1;
            case 2:
                set(acc, src[plane[0]], src[plane[1]], words);
                return 2;
            case 3:
                set(acc, src[plane[0]], src[plane[1]], src[plane[2]], words);
                return 3;
            default:
                set(acc, src[plane[0]], src[plane[1]], src[plane[2]], src[plane[3]], words);
                return 4;
        }
    }

    /** acc = 2 acc ^ (XOR of the first, up to four, sources of the plane); returns how many it used. */
    private static int twiceXorFirst(long[] acc, int[] plane, long[][] src, int words) {
        switch (plane.length) {
            case 0:
                twice(acc, words);
                return 0;
            case 1:
                twiceXor(acc, src[plane[0]], words);
                return 1;
            case 2:
                twiceXor(acc, src[plane[0]], src[plane[1]], words);
                return 2;
            case 3:
                twiceXor(acc, src[plane[0]], src[plane[1]], src[plane[2]], words);
                return 3;
            default:
                twiceXor(acc, src[plane[0]], src[plane[1]], src[plane[2]], src[plane[3]], words);
                return 4;
        }
    }

    /** acc ^= the sources of the plane from index {@code at} on, four per pass. */
    private static void xorRest(long[] acc, int[] plane, int at, long[][] src, int words) {
        while (at < plane.length) {
            switch (plane.length - at) {
                case 1:
                    xor(acc, src[plane[at]], words);
                    at += 1;
                    break;
                case 2:
                    xor(acc, src[plane[at]], src[plane[at + 1]], words);
                    at += 2;
                    break;
                case 3:
                    xor(acc, src[plane[at]], src[plane[at + 1]], src[plane[at + 2]], words);
                    at += 3;
                    break;
                default:
                    xor(acc, src[plane[at]], src[plane[at + 1]], src[plane[at + 2]], src[plane[at + 3]], words);
                    at += 4;
                    break;
            }
        }
    }

    // ---------------------------------------------------------------- bytes

    /** {@code dst ^= c * src} over {@code len} bytes, one at a time through the product table: for tails. */
    public static void mulXorBytes(byte[] dst, int dOff, byte[] src, int sOff, int len, int c) {
        byte[] row = Gf256.row(c);
        for (int i = 0; i < len; i++) {
            dst[dOff + i] ^= row[src[sOff + i] & 0xff];
        }
    }
}
