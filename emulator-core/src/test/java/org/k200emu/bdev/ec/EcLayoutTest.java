package org.k200emu.bdev.ec;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class EcLayoutTest {

    @Test
    void shardsAndMembersMapBothWaysAndParityRotates() {
        EcLayout layout = new EcLayout(8, 3, 512, 65536, 1000);
        for (long s = 0; s < 30; s++) {
            boolean[] seen = new boolean[11];
            for (int i = 0; i < 11; i++) {
                int d = layout.memberOf(i, s);
                assertThat(seen[d]).isFalse();
                seen[d] = true;
                assertThat(layout.shardOn(d, s)).isEqualTo(i);
            }
            assertThat(layout.memberOf(8, s)).as("first parity of stripe %d", s).isEqualTo((int) ((8 + s) % 11));
        }
    }

    @Test
    void sizesTheMetadataAndTheRegions() {
        EcLayout small = EcLayout.forMembers(4, 2, 512, 4096, 2 * 8 + 8 * 100 + 3, EcLayout.DEFAULT_REGION_BYTES);
        assertThat(small.metaBlocks).as("superblock + 8 bitmap blocks, in whole 8-block strips").isEqualTo(16);
        assertThat(small.stripes).isEqualTo(100);
        assertThat(small.regionStripes).as("16 MiB / 16 KiB").isEqualTo(1024);
        assertThat(small.regions).isEqualTo(1);
        assertThat(small.volumeBlocks).isEqualTo(100 * 4 * 8);
        assertThat(small.memberBlock(3, 1024)).isEqualTo(16 + 3 * 8 + 2);

        EcLayout big = new EcLayout(4, 2, 4096, 65536, 50_000_000L, EcLayout.regionStripesFor(50_000_000L, 262144, 1));
        assertThat(big.regions).as("capped by the bitmap size").isLessThanOrEqualTo(EcLayout.MAX_BITMAP_BYTES * 8);
        assertThat(big.bitmapBlocks).isEqualTo(1);
        assertThat(big.metaBlocks).isEqualTo(16);
    }

    @Test
    void superblockRoundTripsAndRejectsCorruption() {
        byte[] states = {0, 1, 2, 0, 0, 0};
        EcSuperblock sb = new EcSuperblock(1, 2, 42, 4, 2, 65536, 512, 3, 999, 64, states);
        ByteBuf buf = Unpooled.buffer(512);
        try {
            sb.writeTo(buf);
            assertThat(buf.readableBytes()).isEqualTo(512);
            EcSuperblock back = EcSuperblock.readFrom(buf);
            assertThat(back).isNotNull();
            assertThat(back.epoch()).isEqualTo(42);
            assertThat(back.memberIndex()).isEqualTo(3);
            assertThat(back.regionStripes()).isEqualTo(64);
            assertThat(back.states()).containsExactly(states);
            assertThat(back.sameSet(sb)).isTrue();
            buf.setByte(70, buf.getByte(70) ^ 1);
            assertThat(EcSuperblock.readFrom(buf)).as("bad CRC").isNull();
            assertThat(EcSuperblock.readFrom(Unpooled.buffer(512).writeZero(512))).as("no magic").isNull();
        } finally {
            buf.release();
        }
    }
}
