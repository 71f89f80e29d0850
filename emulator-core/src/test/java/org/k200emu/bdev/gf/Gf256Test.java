package org.k200emu.bdev.gf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Gf256Test {

    /** Carry-less multiplication reduced by 0x11D, bit by bit: the definition, not the tables. */
    private static int slowMul(int a, int b) {
        int p = 0;
        for (int i = 0; i < 8; i++) {
            if ((b & 1 << i) != 0) {
                p ^= a << i;
            }
        }
        for (int bit = 14; bit >= 8; bit--) {
            if ((p & 1 << bit) != 0) {
                p ^= 0x11D << (bit - 8);
            }
        }
        return p;
    }

    @Test
    void multiplicationMatchesTheDefinitionForEveryPair() {
        for (int a = 0; a < 256; a++) {
            byte[] row = Gf256.row(a);
            for (int b = 0; b < 256; b++) {
                int expected = slowMul(a, b);
                assertThat(Gf256.mul(a, b)).as("%d * %d", a, b).isEqualTo(expected);
                assertThat(row[b] & 0xff).as("table row %d at %d", a, b).isEqualTo(expected);
            }
        }
    }

    @Test
    void fieldAxiomsHold() {
        for (int a = 0; a < 256; a++) {
            assertThat(Gf256.add(a, a)).isZero();
            assertThat(Gf256.mul(a, 1)).isEqualTo(a);
            assertThat(Gf256.mul(a, 0)).isZero();
            if (a != 0) {
                assertThat(Gf256.mul(a, Gf256.inv(a))).as("a * 1/a, a=%d", a).isEqualTo(1);
                assertThat(Gf256.exp(Gf256.log(a))).isEqualTo(a);
            }
            for (int b = 0; b < 256; b++) {
                assertThat(Gf256.mul(a, b)).isEqualTo(Gf256.mul(b, a));
                if (b != 0) {
                    assertThat(Gf256.mul(Gf256.div(a, b), b)).as("(%d / %d) * %d", a, b, b).isEqualTo(a);
                }
            }
        }
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 20_000; i++) {
            int a = r.nextInt(256);
            int b = r.nextInt(256);
            int c = r.nextInt(256);
            assertThat(Gf256.mul(a, Gf256.mul(b, c))).isEqualTo(Gf256.mul(Gf256.mul(a, b), c));
            assertThat(Gf256.mul(a, Gf256.add(b, c))).isEqualTo(Gf256.add(Gf256.mul(a, b), Gf256.mul(a, c)));
        }
    }

    @Test
    void twoGeneratesTheMultiplicativeGroup() {
        Set<Integer> seen = new HashSet<>();
        for (int e = 0; e < 255; e++) {
            seen.add(Gf256.exp(e));
        }
        assertThat(seen).hasSize(255).doesNotContain(0);
        assertThat(Gf256.exp(255)).isEqualTo(1);
        assertThat(Gf256.pow(2, 8)).isEqualTo(0x1D);
        assertThat(Gf256.pow(7, 0)).isEqualTo(1);
        assertThat(Gf256.pow(0, 3)).isZero();
        assertThat(Gf256.pow(3, 300)).isEqualTo(Gf256.pow(3, 45));
    }

    @Test
    void zeroHasNoInverseNorLogarithm() {
        assertThatThrownBy(() -> Gf256.inv(0)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Gf256.div(5, 0)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Gf256.log(0)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void matrixInverseTimesMatrixIsTheIdentity() {
        SplittableRandom r = new SplittableRandom(7);
        int inverted = 0;
        for (int trial = 0; trial < 200; trial++) {
            int size = 1 + r.nextInt(12);
            byte[][] m = new byte[size][size];
            for (byte[] row : m) {
                r.nextBytes(row);
            }
            byte[][] inv;
            try {
                inv = Gf256.invert(m);
            } catch (ArithmeticException singular) {
                continue;
            }
            inverted++;
            byte[][] product = Gf256.multiply(m, inv);
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    assertThat(product[i][j]).isEqualTo((byte) (i == j ? 1 : 0));
                }
            }
        }
        assertThat(inverted).isGreaterThan(150);
        assertThatThrownBy(() -> Gf256.invert(new byte[][] {{1, 2}, {1, 2}}))
                .isInstanceOf(ArithmeticException.class).hasMessageContaining("singular");
    }
}
