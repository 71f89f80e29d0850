package org.k200emu.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

class BytesTest {

    @Test
    void randomIsReproducibleAndSeedDependent() {
        assertThat(Bytes.random(42, 64)).isEqualTo(Bytes.random(42, 64)).isNotEqualTo(Bytes.random(43, 64));
        ByteBuf buf = Bytes.randomBuf(42, 64);
        try {
            assertThat(io.netty.buffer.ByteBufUtil.getBytes(buf)).isEqualTo(Bytes.random(42, 64));
            assertThat(Bytes.dump(buf)).contains("00000000");
        } finally {
            buf.release();
        }
    }

    @Test
    void rampAndHex() {
        assertThat(Bytes.hex(Bytes.ramp(0xfe, 3))).isEqualTo("feff00");
    }
}
