package org.k200emu.bdev.raid;

/**
 * Arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and generator 2:
 * the field of the RAID 6 Q syndrome, {@code Q = sum g^d * D_d}. Addition is XOR; multiplication
 * goes through log and exponent tables built once. Stateless; shared by every {@link RaidBdev}.
 */
final class Gf256 {

    /** The reduction polynomial, including the x^8 term. */
    static final int POLY = 0x11D;

    /** EXP[i] = 2^i for i in [0, 510): doubled so that EXP[log a + log b] needs no modulo. */
    private static final byte[] EXP = new byte[510];
    /** LOG[a] = i with 2^i = a, for a != 0; LOG[0] is unused. */
    private static final int[] LOG = new int[256];
    /** MUL[c] is the 256-byte row "times c", for bulk multiplication by a constant. */
    private static final byte[][] MUL = new byte[256][256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = (byte) x;
            EXP[i + 255] = (byte) x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= POLY;
            }
        }
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                MUL[a][b] = (byte) mul(a, b);
            }
        }
    }

    private Gf256() {
    }

    /** The product of two field elements (0..255). */
    static int mul(int a, int b) {
        if (a == 0 || b == 0) {
            return 0;
        }
        return EXP[LOG[a] + LOG[b]] & 0xff;
    }

    /** The multiplicative inverse of a non-zero element. */
    static int inv(int a) {
        if (a == 0) {
            throw new ArithmeticException("0 has no inverse in GF(2^8)");
        }
        return EXP[255 - LOG[a]] & 0xff;
    }

    /** a / b for non-zero b. */
    static int div(int a, int b) {
        return mul(a, inv(b));
    }

    /** g^e for the generator g = 2; e may be any non-negative exponent. */
    static int pow2(int e) {
        return EXP[e % 255] & 0xff;
    }

    /** The discrete logarithm base 2 of a non-zero element. */
    static int log(int a) {
        if (a == 0) {
            throw new ArithmeticException("log of 0 in GF(2^8)");
        }
        return LOG[a];
    }

    /** The table row "times c": {@code row(c)[b] == mul(c, b)}. Callers must not modify it. */
    static byte[] row(int c) {
        return MUL[c];
    }

    /**
     * Multiplies the eight bytes packed in {@code v} by 2 at once: each byte is shifted left and
     * the bytes that overflowed are reduced by the low byte of the polynomial (0x1D).
     */
    static long mul2(long v) {
        long high = v & 0x8080808080808080L;
        return ((v << 1) & 0xfefefefefefefefeL) ^ ((high >>> 7) * 0x1d);
    }
}
