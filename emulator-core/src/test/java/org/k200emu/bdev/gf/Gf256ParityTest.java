package org.k200emu.bdev.gf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Gf256ParityTest {

    /** Carry-less multiplication reduced by 0x11D, bit by bit: the definition, for reference. */
    private static int slowMul(int a, int b) {
        int product = 0;
        for (int i = 0; i < 8; i++) {
            if ((b & (1 << i)) != 0) {
                product ^= a << i;
            }
        }
        for (int bit = 15; bit >= 8; bit--) {
            if ((product & (1 << bit)) != 0) {
                product ^= Gf256.POLYNOMIAL << (bit - 8);
            }
        }
        return product;
    }

    @Test
    void multiplicationTableIsTheFieldProduct() {
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
    void tableIsCommutativeWithIdentityAndZero() {
        for (int a = 0; a < 256; a++) {
            assertThat(Gf256.mul(a, 1)).isEqualTo(a);
            assertThat(Gf256.mul(a, 0)).isZero();
            for (int b = 0; b < 256; b++) {
                assertThat(Gf256.mul(a, b)).isEqualTo(Gf256.mul(b, a));
            }
        }
    }

    @Test
    void multiplicationIsAssociativeAndDistributesOverXor() {
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 20_000; i++) {
            int a = random.nextInt(256);
            int b = random.nextInt(256);
            int c = random.nextInt(256);
            assertThat(Gf256.mul(Gf256.mul(a, b), c)).isEqualTo(Gf256.mul(a, Gf256.mul(b, c)));
            assertThat(Gf256.mul(a, b ^ c)).isEqualTo(Gf256.mul(a, b) ^ Gf256.mul(a, c));
        }
    }

    @Test
    void everyNonZeroElementHasAnInverse() {
        for (int a = 1; a < 256; a++) {
            int inv = Gf256.inv(a);
            assertThat(Gf256.mul(a, inv)).as("%d * inv", a).isEqualTo(1);
            assertThat(Gf256.div(Gf256.mul(a, 77), a)).isEqualTo(77);
        }
        assertThatThrownBy(() -> Gf256.inv(0)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Gf256.log(0)).isInstanceOf(ArithmeticException.class);
    }

    @Test
    void twoGeneratesTheMultiplicativeGroup() {
        Set<Integer> powers = new HashSet<>();
        int x = 1;
        for (int e = 0; e < 255; e++) {
            assertThat(Gf256.exp(e)).isEqualTo(x);
            assertThat(Gf256.log(x)).isEqualTo(e);
            powers.add(x);
            x = slowMul(x, 2);
        }
        assertThat(x).as("2^255").isEqualTo(1);
        assertThat(powers).hasSize(255).doesNotContain(0);
        assertThat(Gf256.exp(255 + 7)).isEqualTo(Gf256.exp(7));
    }

    @Test
    void packedMultiplyByTwoMatchesTheTableInEveryByte() {
        SplittableRandom random = new SplittableRandom(12);
        for (int i = 0; i < 10_000; i++) {
            long v = i < 256 ? 0x0101010101010101L * i : random.nextLong();
            long doubled = Gf256.mul2(v);
            for (int b = 0; b < 8; b++) {
                int in = (int) (v >>> (8 * b)) & 0xff;
                int out = (int) (doubled >>> (8 * b)) & 0xff;
                assertThat(out).as("byte %d of %x", b, v).isEqualTo(Gf256.mul(in, 2));
            }
        }
    }
}
