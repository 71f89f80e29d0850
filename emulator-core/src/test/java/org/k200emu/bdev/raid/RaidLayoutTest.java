package org.k200emu.bdev.raid;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where blocks live (the rotations are part of the on-disk format) and the superblock encoding. */
class RaidLayoutTest {

    @Test
    void raid5RotatesParityLeftSymmetric() {
        RaidLayout l = new RaidLayout(5, 4, 512, 8, 100);
        // row: P member, then the members of data strips 0, 1, 2
        int[][] expected = {{3, 0, 1, 2}, {2, 3, 0, 1}, {1, 2, 3, 0}, {0, 1, 2, 3}, {3, 0, 1, 2}};
        for (int row = 0; row < expected.length; row++) {
            assertThat(l.pMember(row)).as("P of row %d", row).isEqualTo(expected[row][0]);
            for (int d = 0; d < 3; d++) {
                int m = l.dataMember(row, d, 0);
                assertThat(m).as("strip %d of row %d", d, row).isEqualTo(expected[row][d + 1]);
                assertThat(l.role(row, m)).isEqualTo(d);
            }
            assertThat(l.role(row, l.pMember(row))).isEqualTo(RaidLayout.ROLE_P);
        }
        assertThat(l.qMember(0)).isEqualTo(-1);
        assertThat(l.memberLba(2, 5)).isEqualTo(16 + 2 * 8 + 5);
    }

    @Test
    void raid6PutsQRightAfterP() {
        RaidLayout l = new RaidLayout(6, 5, 4096, 16, 100);
        assertThat(l.metaBlocks).isEqualTo(2);
        assertThat(l.pMember(0)).isEqualTo(4);
        assertThat(l.qMember(0)).isEqualTo(0);
        assertThat(l.dataMember(0, 0, 0)).isEqualTo(1);
        assertThat(l.pMember(1)).isEqualTo(3);
        assertThat(l.qMember(1)).isEqualTo(4);
        assertThat(l.dataMember(1, 0, 0)).isEqualTo(0);
        assertThat(l.role(1, 4)).isEqualTo(RaidLayout.ROLE_Q);
    }

    @ParameterizedTest(name = "RAID {0} over {1}")
    @CsvSource({"0, 3", "1, 3", "10, 6", "5, 3", "5, 7", "6, 4", "6, 9"})
    void everyRowUsesEveryMemberOnceExceptForMirrors(int level, int n) {
        RaidLayout l = new RaidLayout(level, n, 512, 8, 50);
        for (long row = 0; row < 2L * n; row++) {
            Set<Integer> seen = new HashSet<>();
            for (int d = 0; d < l.dataStrips(); d++) {
                for (int c = 0; c < l.copies(); c++) {
                    assertThat(seen.add(l.dataMember(row, d, c))).as("row %d strip %d copy %d", row, d, c).isTrue();
                }
            }
            if (l.pMember(row) >= 0) {
                assertThat(seen.add(l.pMember(row))).isTrue();
            }
            if (l.qMember(row) >= 0) {
                assertThat(seen.add(l.qMember(row))).isTrue();
            }
            assertThat(seen).hasSize(n);
        }
    }

    @Test
    void regionsCoverTheRowsWithinTheBitmap() {
        RaidLayout small = new RaidLayout(5, 4, 512, 128, 1000);
        assertThat(small.regionRows).isEqualTo(1);
        assertThat(small.regionCount).isEqualTo(1000);
        RaidLayout big = new RaidLayout(5, 4, 512, 8, 100_000);
        assertThat(big.regionRows).isEqualTo(4);
        assertThat(big.regionCount).isEqualTo(25_000);
        assertThat(big.region(99_999)).isEqualTo(24_999);
        assertThat(RaidLayout.rowsFor(16 + 8 * 10 + 7, 512, 8)).isEqualTo(10);
        assertThat(RaidLayout.rowsFor(16, 512, 8)).isZero();
    }

    @Test
    void superblockRoundTripsAndATornOneIsRejected() {
        RaidLayout l = new RaidLayout(6, 5, 512, 8, 300);
        long[] bits = new long[(l.regionCount + 63) / 64];
        bits[0] = 0b1010;
        bits[4] = 1L << 63;
        ByteBuf buf = Unpooled.buffer();
        try {
            Superblock.encode(buf, l, 3, 0x1234_5678_9abcL, 42, 0b10, bits);
            assertThat(buf.readableBytes()).isEqualTo(RaidLayout.META_BYTES);
            Superblock sb = Superblock.decode(buf);
            assertThat(sb).isNotNull();
            assertThat(sb.level()).isEqualTo(6);
            assertThat(sb.members()).isEqualTo(5);
            assertThat(sb.memberIndex()).isEqualTo(3);
            assertThat(sb.stripBlocks()).isEqualTo(8);
            assertThat(sb.blockSize()).isEqualTo(512);
            assertThat(sb.arrayId()).isEqualTo(0x1234_5678_9abcL);
            assertThat(sb.events()).isEqualTo(42);
            assertThat(sb.failedMask()).isEqualTo(0b10);
            assertThat(sb.rows()).isEqualTo(300);
            assertThat(sb.regionCount()).isEqualTo(300);
            assertThat(sb.regionDirty(1)).isTrue();
            assertThat(sb.regionDirty(2)).isFalse();
            assertThat(sb.regionDirty(4 * 64 + 63)).isTrue();
            assertThat(sb.dirtyRegions()).isEqualTo(3);

            buf.setByte(RaidLayout.SUPERBLOCK_BYTES + 9, 0x40); // a bitmap byte changed after the CRC
            assertThat(Superblock.decode(buf)).isNull();
            assertThat(Superblock.decode(Unpooled.wrappedBuffer(new byte[RaidLayout.META_BYTES]))).isNull();
        } finally {
            buf.release();
        }
    }
}
