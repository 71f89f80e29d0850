package org.k200emu.bench.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class BlockVerifierTest {

    private final BlockVerifier verifier = new BlockVerifier(512);

    private static int bad(long r) {
        return (int) r;
    }

    private static int verified(long r) {
        return (int) (r >>> 32);
    }

    @Test
    void filledBlocksCheckGoodAtTheirOwnAddress() {
        ByteBuf buf = Unpooled.buffer(4096);
        try {
            verifier.fill(buf, 800, 8, 42);
            long r = verifier.check(buf, 800, 8);
            assertThat(verified(r)).isEqualTo(8);
            assertThat(bad(r)).isZero();
        } finally {
            buf.release();
        }
    }

    @Test
    void aBlockAtTheWrongAddressOrWithAFlippedBitIsBad() {
        ByteBuf buf = Unpooled.buffer(4096);
        try {
            verifier.fill(buf, 800, 8, 42);
            assertThat(bad(verifier.check(buf, 808, 8))).as("read from another address").isEqualTo(8);
            buf.setByte(512 * 3 + 300, buf.getByte(512 * 3 + 300) ^ 1);
            assertThat(bad(verifier.check(buf, 800, 8))).as("one corrupted block").isEqualTo(1);
        } finally {
            buf.release();
        }
    }

    @Test
    void zeroBlocksWereNeverWrittenAndAreNotChecked() {
        ByteBuf buf = Unpooled.buffer(4096).writeZero(4096);
        try {
            long r = verifier.check(buf, 0, 8);
            assertThat(verified(r)).isZero();
            assertThat(bad(r)).isZero();
        } finally {
            buf.release();
        }
    }
}
