package org.k200emu.bdev.gf;

/**
 * Arithmetic in GF(2^8) with the field polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and generator
 * 2: the field of the erasure code (org.k200emu.bdev.ec.ReedSolomon) and of the RAID 6 Q syndrome
 * (org.k200emu.bdev.raid). Addition is XOR; multiplication goes through log/exp tables, and a full
 * 256 x 256 product table serves byte-at-a-time work (tails shorter than a word); the coding loops
 * themselves run on eight packed elements at a time ({@link #mul2}, {@link Gf256Region}).
 * Stateless; the tables are built once when the class loads.
 */
public final class Gf256 {

    /** The field polynomial, including the x^8 term. */
    public static final int POLYNOMIAL = 0x11D;

    /** exp[i] = 2^i; doubled in length so that exp[log a + log b] needs no modulo. */
    private static final int[] EXP = new int[512];
    /** log[a] for a != 0; log[0] is unused. */
    private static final int[] LOG = new int[256];
    /** MUL[a][b] = a * b. A row is what a coding loop needs for a fixed coefficient. */
    private static final byte[][] MUL = new byte[256][256];

    static {
        int x = 1;
        for (int i = 0; i < 255; i++) {
            EXP[i] = x;
            LOG[x] = i;
            x <<= 1;
            if ((x & 0x100) != 0) {
                x ^= POLYNOMIAL;
            }
        }
        for (int i = 255; i < EXP.length; i++) {
            EXP[i] = EXP[i - 255];
        }
        for (int a = 1; a < 256; a++) {
            for (int b = 1; b < 256; b++) {
                MUL[a][b] = (byte) EXP[LOG[a] + LOG[b]];
            }
        }
    }

    private Gf256() {
    }

    /** a + b (and a - b): XOR. */
    public static int add(int a, int b) {
        return (a ^ b) & 0xff;
    }

    public static int mul(int a, int b) {
        a &= 0xff;
        b &= 0xff;
        if (a == 0 || b == 0) {
            return 0;
        }
        return EXP[LOG[a] + LOG[b]];
    }

    /** a / b; throws ArithmeticException for b = 0. */
    public static int div(int a, int b) {
        a &= 0xff;
        b &= 0xff;
        if (b == 0) {
            throw new ArithmeticException("division by zero in GF(256)");
        }
        if (a == 0) {
            return 0;
        }
        return EXP[LOG[a] + 255 - LOG[b]];
    }

    /** The multiplicative inverse; throws ArithmeticException for 0. */
    public static int inv(int a) {
        return div(1, a);
    }

    /** 2^e, e taken modulo 255 (2 generates the multiplicative group). */
    public static int exp(int e) {
        return EXP[Math.floorMod(e, 255)];
    }

    /** The discrete logarithm base 2 of a != 0. */
    public static int log(int a) {
        a &= 0xff;
        if (a == 0) {
            throw new ArithmeticException("log of zero in GF(256)");
        }
        return LOG[a];
    }

    /** a^e for e >= 0 (0^0 = 1). */
    public static int pow(int a, int e) {
        a &= 0xff;
        if (e == 0) {
            return 1;
        }
        if (a == 0) {
            return 0;
        }
        return EXP[(int) ((long) LOG[a] * e % 255)];
    }

    /** The products c * b for every byte b: shared, never to be modified. */
    public static byte[] row(int c) {
        return MUL[c & 0xff];
    }

    /**
     * Multiplies the eight bytes packed in {@code v} by 2 at once: each byte is shifted left and
     * the bytes that overflowed are reduced by the low byte of the polynomial (0x1D).
     */
    public static long mul2(long v) {
        long high = v & 0x8080808080808080L;
        return ((v << 1) & 0xfefefefefefefefeL) ^ ((high >>> 7) * 0x1d);
    }

    /** The product a x b of two matrices (rows of bytes). */
    public static byte[][] multiply(byte[][] a, byte[][] b) {
        int rows = a.length;
        int inner = b.length;
        int cols = b[0].length;
        byte[][] out = new byte[rows][cols];
        for (int r = 0; r < rows; r++) {
            if (a[r].length != inner) {
                throw new IllegalArgumentException("matrix shapes do not match");
            }
            for (int c = 0; c < cols; c++) {
                int acc = 0;
                for (int i = 0; i < inner; i++) {
                    acc ^= mul(a[r][i], b[i][c]);
                }
                out[r][c] = (byte) acc;
            }
        }
        return out;
    }

    /**
     * The inverse of a square matrix by Gauss-Jordan elimination; the argument is not modified.
     * Throws ArithmeticException if the matrix is singular.
     */
    public static byte[][] invert(byte[][] matrix) {
        int size = matrix.length;
        byte[][] work = new byte[size][2 * size];
        for (int r = 0; r < size; r++) {
            if (matrix[r].length != size) {
                throw new IllegalArgumentException("not a square matrix");
            }
            System.arraycopy(matrix[r], 0, work[r], 0, size);
            work[r][size + r] = 1;
        }
        for (int col = 0; col < size; col++) {
            int pivot = col;
            while (pivot < size && work[pivot][col] == 0) {
                pivot++;
            }
            if (pivot == size) {
                throw new ArithmeticException("singular matrix");
            }
            byte[] tmp = work[pivot];
            work[pivot] = work[col];
            work[col] = tmp;
            int scale = inv(work[col][col]);
            byte[] row = work[col];
            for (int c = 0; c < 2 * size; c++) {
                row[c] = (byte) mul(row[c], scale);
            }
            for (int r = 0; r < size; r++) {
                int factor = work[r][col] & 0xff;
                if (r == col || factor == 0) {
                    continue;
                }
                byte[] target = work[r];
                for (int c = 0; c < 2 * size; c++) {
                    target[c] ^= (byte) mul(factor, row[c]);
                }
            }
        }
        byte[][] out = new byte[size][size];
        for (int r = 0; r < size; r++) {
            System.arraycopy(work[r], size, out[r], 0, size);
        }
        return out;
    }
}
