package org.k200emu.nvmeof.tcp.pdu;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Crc32cTest {

    private static final byte[] CHECK = "123456789".getBytes(StandardCharsets.US_ASCII);
    private static final int CHECK_VALUE = 0xE3069283;

    @Test
    void standardCheckValueOnEveryKindOfBuffer() {
        assertThat(Crc32c.compute(CHECK, 0, CHECK.length)).isEqualTo(CHECK_VALUE);

        ByteBuf heap = Unpooled.wrappedBuffer(CHECK);
        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(64).writeZero(5).writeBytes(CHECK);
        CompositeByteBuf composite = Unpooled.compositeBuffer();
        composite.addComponent(true, Unpooled.wrappedBuffer(CHECK, 0, 2));
        composite.addComponent(true, Unpooled.directBuffer(8).writeBytes(CHECK, 2, 5));
        composite.addComponent(true, Unpooled.wrappedBuffer(CHECK, 7, 2));
        try {
            assertThat(Crc32c.compute(heap, 0, 9)).isEqualTo(CHECK_VALUE);
            assertThat(Crc32c.compute(direct, 5, 9)).isEqualTo(CHECK_VALUE);
            assertThat(Crc32c.compute(direct.slice(5, 9), 0, 9)).isEqualTo(CHECK_VALUE);
            assertThat(Crc32c.compute(composite, 0, 9)).isEqualTo(CHECK_VALUE);
            assertThat(direct.readerIndex()).isZero();
        } finally {
            heap.release();
            direct.release();
            composite.release();
        }
    }

    @Test
    void iscsiVectorsFromRfc3720() {
        byte[] zeros = new byte[32];
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xff);
        byte[] ascending = new byte[32];
        for (int i = 0; i < 32; i++) {
            ascending[i] = (byte) i;
        }
        assertThat(Crc32c.compute(zeros, 0, 32)).isEqualTo(0x8A9136AA);
        assertThat(Crc32c.compute(ones, 0, 32)).isEqualTo(0x62A8AB43);
        assertThat(Crc32c.compute(ascending, 0, 32)).isEqualTo(0x46DD794E);
    }

    @Test
    void updateAcrossSeveralBuffersEqualsOneShot() {
        ByteBuf a = Unpooled.wrappedBuffer(CHECK, 0, 4);
        ByteBuf b = Unpooled.directBuffer(5).writeBytes(CHECK, 4, 5);
        try {
            Crc32c crc = new Crc32c();
            assertThat(crc.update(a).update(b).value()).isEqualTo(CHECK_VALUE);
            assertThat(crc.reset().update(b, 0, 0).value()).isZero();
        } finally {
            a.release();
            b.release();
        }
    }
}
