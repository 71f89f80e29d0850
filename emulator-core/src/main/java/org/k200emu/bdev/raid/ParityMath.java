package org.k200emu.bdev.raid;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.k200emu.bdev.gf.Gf256;

/**
 * The parity kernels of RAID 5 and 6 over heap byte arrays: P (XOR) and Q (Reed-Solomon over
 * {@link Gf256}) generation, read-modify-write deltas, and recovery of one or two missing data
 * strips. Data strip {@code d} of a stripe contributes {@code g^d * D_d} to Q.
 *
 * <p>The loops move eight bytes at a time through a little-endian long view of the arrays. Q uses
 * Horner's rule with the packed multiply-by-2 of {@link Gf256#mul2} (no table lookups); generation
 * folds four strips per pass into P and Q, chunk by chunk, so each source word is loaded once
 * and the outputs stay in the L1 cache. Multiplying by other constants (RMW of Q, recovery) uses
 * the 256-byte table rows. Lengths are whole blocks, so multiples of 8; a tail is handled byte by
 * byte anyway. Stateless and thread-safe.
 */
final class ParityMath {

    /** Bytes per chunk of {@link #syndromes}: sources and outputs of a chunk fit the L1 cache. */
    static final int CHUNK = 4096;
    /** Stands in for missing strips and padding; never written. */
    private static final byte[] ZERO = new byte[CHUNK];

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private ParityMath() {
    }

    private static long get(byte[] a, int i) {
        return (long) LONGS.get(a, i);
    }

    private static void set(byte[] a, int i, long v) {
        LONGS.set(a, i, v);
    }

    /** {@code dst[dOff, dOff+len) ^= src[sOff, sOff+len)}. */
    static void xorInto(byte[] dst, int dOff, byte[] src, int sOff, int len) {
        int words = len & ~7;
        for (int i = 0; i < words; i += 8) {
            set(dst, dOff + i, get(dst, dOff + i) ^ get(src, sOff + i));
        }
        for (int i = words; i < len; i++) {
            dst[dOff + i] ^= src[sOff + i];
        }
    }

    /** {@code dst ^= c * src} over {@code len} bytes. */
    static void mulXorInto(byte[] dst, int dOff, byte[] src, int sOff, int len, int c) {
        if (c == 0) {
            return;
        }
        if (c == 1) {
            xorInto(dst, dOff, src, sOff, len);
            return;
        }
        byte[] row = Gf256.row(c);
        for (int i = 0; i < len; i++) {
            dst[dOff + i] ^= row[src[sOff + i] & 0xff];
        }
    }

    /** {@code buf = c * buf} in place. */
    static void mulInPlace(byte[] buf, int off, int len, int c) {
        if (c == 1) {
            return;
        }
        byte[] row = Gf256.row(c);
        for (int i = 0; i < len; i++) {
            buf[off + i] = row[buf[off + i] & 0xff];
        }
    }

    /**
     * Computes P and Q of the {@code k} data strips {@code data[d]} at {@code offs[d]}; strips
     * whose bit is set in {@code zeroMask} (or that are null) count as zeroes. Either output may be
     * null when it is not wanted; neither may overlap a data strip.
     *
     * <p>Works in chunks of {@value #CHUNK} bytes (sources and outputs stay in the L1 cache) and,
     * within a chunk, four strips per pass: one pass loads each source word once and folds it into
     * P and, by Horner's rule from the highest strip down, into Q. Strips are grouped so that the
     * short group comes first (the highest strips), padded with leading zero strips, which change
     * neither P nor Q.
     */
    static void syndromes(byte[][] data, int[] offs, int k, long zeroMask, int len,
                          byte[] p, int pOff, byte[] q, int qOff) {
        if (p == null && q == null) {
            return;
        }
        int words = len & ~7;
        int firstGroup = k % 4 == 0 ? 4 : k % 4;
        for (int at = 0; at < words; at += CHUNK) {
            int n = Math.min(CHUNK, words - at);
            int hi = k - 1;
            int pad = 4 - firstGroup;
            boolean first = true;
            while (hi >= 0) {
                byte[] a = ZERO;
                byte[] b = ZERO;
                byte[] c = ZERO;
                byte[] d = ZERO;
                int ao = 0;
                int bo = 0;
                int co = 0;
                int dOff = 0;
                // Slots 0..3 in Horner order (highest strip first); the first `pad` stay zero.
                for (int slot = pad; slot < 4; slot++, hi--) {
                    byte[] arr = data[hi];
                    int base = 0;
                    if (arr == null || (zeroMask & (1L << hi)) != 0) {
                        arr = ZERO;
                    } else {
                        base = offs[hi] + at;
                    }
                    switch (slot) {
                        case 0:
                            a = arr;
                            ao = base;
                            break;
                        case 1:
                            b = arr;
                            bo = base;
                            break;
                        case 2:
                            c = arr;
                            co = base;
                            break;
                        default:
                            d = arr;
                            dOff = base;
                            break;
                    }
                }
                group4(first, n, p, p == null ? 0 : pOff + at, q, q == null ? 0 : qOff + at,
                        a, ao, b, bo, c, co, d, dOff);
                first = false;
                pad = 0;
            }
        }
        if (words < len) {
            syndromeTail(data, offs, k, zeroMask, words, len, p, pOff, q, qOff);
        }
    }

    /**
     * One pass of four strips (a is the highest) over {@code n} bytes: P ^= a^b^c^d and
     * Q = ((((Q*2 ^ a)*2 ^ b)*2 ^ c)*2 ^ d); with {@code first}, P and Q start from zero.
     */
    private static void group4(boolean first, int n, byte[] p, int po, byte[] q, int qo,
                               byte[] a, int ao, byte[] b, int bo, byte[] c, int co, byte[] d, int dOff) {
        boolean wantP = p != null;
        boolean wantQ = q != null;
        for (int i = 0; i < n; i += 8) {
            long va = get(a, ao + i);
            long vb = get(b, bo + i);
            long vc = get(c, co + i);
            long vd = get(d, dOff + i);
            if (wantP) {
                long pv = va ^ vb ^ vc ^ vd;
                if (!first) {
                    pv ^= get(p, po + i);
                }
                set(p, po + i, pv);
            }
            if (wantQ) {
                long qv = first ? va : Gf256.mul2(get(q, qo + i)) ^ va;
                qv = Gf256.mul2(Gf256.mul2(Gf256.mul2(qv) ^ vb) ^ vc) ^ vd;
                set(q, qo + i, qv);
            }
        }
    }

    /** The last {@code len - from} (fewer than 8) bytes, one at a time. */
    private static void syndromeTail(byte[][] data, int[] offs, int k, long zeroMask, int from, int len,
                                     byte[] p, int pOff, byte[] q, int qOff) {
        for (int i = from; i < len; i++) {
            int pv = 0;
            int qv = 0;
            for (int d = k - 1; d >= 0; d--) {
                qv = Gf256.mul(qv, 2);
                byte[] a = data[d];
                if (a != null && (zeroMask & (1L << d)) == 0) {
                    int v = a[offs[d] + i] & 0xff;
                    pv ^= v;
                    qv ^= v;
                }
            }
            if (p != null) {
                p[pOff + i] = (byte) pv;
            }
            if (q != null) {
                q[qOff + i] = (byte) qv;
            }
        }
    }

    /**
     * Recovers missing data strip {@code x} (and {@code y} when it is not -1, with x != y) into the
     * buffers {@code data[x]} / {@code data[y]} from the other strips and the available parity
     * ({@code p} or {@code q} null when unavailable). Returns false, touching nothing, if the
     * available parity cannot determine the missing strips.
     */
    static boolean recover(byte[][] data, int[] offs, int k, int len, int x, int y,
                           byte[] p, int pOff, byte[] q, int qOff) {
        if (y < 0) {
            long mask = 1L << x;
            if (p != null) {
                // D_x = P ^ (XOR of the others)
                syndromes(data, offs, k, mask, len, data[x], offs[x], null, 0);
                xorInto(data[x], offs[x], p, pOff, len);
                return true;
            }
            if (q != null) {
                // g^x D_x = Q ^ (Q of the others)
                syndromes(data, offs, k, mask, len, null, 0, data[x], offs[x]);
                xorInto(data[x], offs[x], q, qOff, len);
                mulInPlace(data[x], offs[x], len, Gf256.inv(Gf256.exp(x)));
                return true;
            }
            return false;
        }
        if (p == null || q == null) {
            return false;
        }
        if (y < x) {
            int t = x;
            x = y;
            y = t;
        }
        byte[] bx = data[x];
        byte[] by = data[y];
        int ox = offs[x];
        int oy = offs[y];
        // Partial syndromes of the survivors, then Pxy = D_x ^ D_y and Qxy = g^x D_x ^ g^y D_y.
        syndromes(data, offs, k, (1L << x) | (1L << y), len, bx, ox, by, oy);
        xorInto(bx, ox, p, pOff, len);
        xorInto(by, oy, q, qOff, len);
        // D_x = (Qxy ^ g^y Pxy) / (g^x ^ g^y); D_y = Pxy ^ D_x.
        int gy = Gf256.exp(y);
        byte[] timesGy = Gf256.row(gy);
        byte[] timesInv = Gf256.row(Gf256.inv(Gf256.exp(x) ^ gy));
        for (int i = 0; i < len; i++) {
            int pxy = bx[ox + i] & 0xff;
            int qxy = by[oy + i] & 0xff;
            int dx = timesInv[(qxy ^ timesGy[pxy]) & 0xff] & 0xff;
            bx[ox + i] = (byte) dx;
            by[oy + i] = (byte) (pxy ^ dx);
        }
        return true;
    }
}
