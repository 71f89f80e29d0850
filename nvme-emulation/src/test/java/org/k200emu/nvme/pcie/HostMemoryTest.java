package org.k200emu.nvme.pcie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.testing.Bytes;

/** Host memory: 64-bit addresses, bounds, and DMA that fails instead of throwing. */
class HostMemoryTest {

    private static final long BASE = 0x2_0000_0000L;
    private final HostMemory memory = new HostMemory(BASE, 64 * 1024);

    @AfterEach
    void close() {
        memory.close();
    }

    @Test
    void boundsAreUnsignedAndExact() {
        assertThat(memory.contains(BASE, 64 * 1024)).isTrue();
        assertThat(memory.contains(BASE + 64 * 1024 - 8, 8)).isTrue();
        assertThat(memory.contains(BASE + 64 * 1024 - 8, 9)).isFalse();
        assertThat(memory.contains(BASE - 1, 1)).isFalse();
        assertThat(memory.contains(0, 1)).isFalse();
        assertThat(memory.contains(-1L, 1)).as("2^64 - 1").isFalse();
        assertThat(memory.contains(BASE, -1)).isFalse();
        assertThat(memory.contains(Long.MAX_VALUE, 16)).isFalse();
    }

    @Test
    void hostAccessorsAreLittleEndian() {
        memory.putLong(BASE + 8, 0x0102030405060708L);
        assertThat(memory.read(BASE + 8, 2)).containsExactly(0x08, 0x07);
        assertThat(memory.getInt(BASE + 12)).isEqualTo(0x01020304);
        assertThat(memory.getIntAcquire(BASE + 8)).isEqualTo(0x05060708);
        memory.zero(BASE + 8, 8);
        assertThat(memory.getLong(BASE + 8)).isZero();
    }

    @Test
    void hostAccessOutsideIsABugInTheHostModel() {
        assertThatThrownBy(() -> memory.getLong(BASE + 64 * 1024 - 4)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> memory.write(BASE - 4096, new byte[1])).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void dmaCopiesBothWaysAndFailsOutsideWithoutThrowing() {
        byte[] data = Bytes.random(1, 6000);
        memory.write(BASE + 100, data);
        ByteBuf buf = Unpooled.buffer(6000);
        try {
            assertThat(memory.dmaRead(BASE + 100, buf, 6000)).isTrue();
            assertThat(buf.readableBytes()).isEqualTo(6000);
            assertThat(memory.dmaWrite(BASE + 8192, buf, 0, 6000)).isTrue();
            assertThat(memory.read(BASE + 8192, 6000)).isEqualTo(data);
            assertThat(buf.readerIndex()).as("source indexes untouched").isZero();

            assertThat(memory.dmaRead(BASE + 64 * 1024 - 10, buf, 11)).isFalse();
            assertThat(memory.dmaWrite(BASE - 1, buf, 0, 2)).isFalse();
            assertThat(memory.dmaWrite(0xFFFF_FFFF_FFFF_F000L, buf, 0, 4096)).isFalse();
            assertThat(buf.writerIndex()).as("nothing appended by the failed read").isEqualTo(6000);
        } finally {
            buf.release();
        }
    }

    @Test
    void rejectsUnalignedOrEmptyRegions() {
        assertThatThrownBy(() -> new HostMemory(100, 4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HostMemory(0, 4000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HostMemory(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
