package org.k200emu.bdev.pi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.k200emu.testing.Bytes;

class Crc16T10DifTest {

    /** The textbook bit-at-a-time CRC, MSB first: the reference the tables must agree with. */
    private static int bitwise(byte[] data, int offset, int length) {
        int crc = 0;
        for (int i = offset; i < offset + length; i++) {
            crc ^= (data[i] & 0xFF) << 8;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 0x8000) != 0 ? ((crc << 1) ^ 0x8BB7) & 0xFFFF : (crc << 1) & 0xFFFF;
            }
        }
        return crc;
    }

    @Test
    void checkValueOfTheCatalogue() {
        // CRC-16/T10-DIF in the CRC catalogue: check = 0xD0DB for "123456789".
        byte[] digits = "123456789".getBytes(StandardCharsets.US_ASCII);
        ByteBuf buf = Unpooled.wrappedBuffer(digits);
        try {
            assertThat(Crc16T10Dif.compute(buf, 0, 9)).isEqualTo(0xD0DB);
            assertThat(Crc16T10Dif.compute(digits, 0, 9)).isEqualTo(0xD0DB);
            assertThat(bitwise(digits, 0, 9)).isEqualTo(0xD0DB);
        } finally {
            buf.release();
        }
    }

    @Test
    void zeroBlocksHaveAZeroGuard() {
        ByteBuf zeroes = Unpooled.directBuffer(4096).writeZero(4096);
        try {
            assertThat(Crc16T10Dif.compute(zeroes, 0, 512)).isZero();
            assertThat(Crc16T10Dif.compute(zeroes, 0, 4096)).isZero();
        } finally {
            zeroes.release();
        }
    }

    @Test
    void slicedTablesAgreeWithTheBitwiseModelAtEveryLengthAndAlignment() {
        byte[] data = Bytes.random(7, 4096 + 64);
        ByteBuf direct = Unpooled.directBuffer(data.length).writeBytes(data);
        try {
            for (int offset = 0; offset < 9; offset++) {
                for (int length : new int[] {0, 1, 7, 8, 9, 15, 16, 17, 63, 512, 520, 4095, 4096}) {
                    int expected = bitwise(data, offset, length);
                    assertThat(Crc16T10Dif.compute(direct, offset, length)).as("offset %d length %d", offset, length)
                            .isEqualTo(expected);
                    assertThat(Crc16T10Dif.compute(data, offset, length)).isEqualTo(expected);
                }
            }
            // Continuing a CRC over two pieces gives the CRC of the whole.
            int first = Crc16T10Dif.compute(direct, 0, 1000);
            assertThat(Crc16T10Dif.update(first, direct, 1000, 3096)).isEqualTo(bitwise(data, 0, 4096));
        } finally {
            direct.release();
        }
    }
}
