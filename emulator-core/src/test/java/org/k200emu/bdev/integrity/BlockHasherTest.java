package org.k200emu.bdev.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.testing.Bytes;

class BlockHasherTest {

    private static final String MSG_448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    private static final String MSG_896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
            + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

    /** FIPS 180-4 (SHA-256) and FIPS 202 (SHA3-256) example messages and their published digests. */
    @ParameterizedTest(name = "{0} of {1}")
    @CsvSource({
        "SHA-256,  '',       e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "SHA-256,  abc,      ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "SHA-256,  MSG_448,  248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        "SHA-256,  MSG_896,  cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
        "SHA-256,  MILLION_A, cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        "SHA3-256, '',       a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a",
        "SHA3-256, abc,      3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
        "SHA3-256, MSG_448,  41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376",
        "SHA3-256, MSG_896,  916f6061fe879741ca6469b43971dfdb28b1a32dc36cb3254e812be27aad1d18",
        "SHA3-256, MILLION_A, 5c8875ae474a3634ba4fd55ec85bffd661f32aca75c6d699d0cdcb6c115891c1",
    })
    void publishedVectors(String algorithm, String message, String expected) {
        BlockHasher h = BlockHasher.of(algorithm);
        byte[] m = message(message);
        assertThat(Bytes.hex(h.digest(m))).as("byte[]").isEqualTo(expected);

        // The same through every kind of ByteBuf, at an offset, with bytes around the range.
        List<ByteBuf> bufs = List.of(Unpooled.directBuffer(m.length + 20), Unpooled.buffer(m.length + 20),
                PooledByteBufAllocator.DEFAULT.directBuffer(m.length + 20), composite(m));
        for (ByteBuf buf : bufs) {
            try {
                if (buf.writerIndex() == 0) {
                    buf.writeBytes(new byte[] {1, 2, 3, 4, 5, 6, 7}).writeBytes(m).writeBytes(new byte[13]);
                }
                buf.readerIndex(2);
                byte[] out = new byte[40];
                h.digest(buf, 7, m.length, out, 3);
                assertThat(Bytes.hex(Arrays.copyOfRange(out, 3, 35))).as("%s", buf).isEqualTo(expected);
                assertThat(buf.readerIndex()).as("reader index").isEqualTo(2);
                assertThat(buf.writerIndex()).as("writer index").isEqualTo(m.length + 20);
            } finally {
                buf.release();
            }
        }
    }

    private static byte[] message(String name) {
        switch (name) {
            case "MSG_448": return MSG_448.getBytes(StandardCharsets.US_ASCII);
            case "MSG_896": return MSG_896.getBytes(StandardCharsets.US_ASCII);
            case "MILLION_A": {
                byte[] a = new byte[1_000_000];
                Arrays.fill(a, (byte) 'a');
                return a;
            }
            default: return name.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** The message split over three components, so it is hashed piece by piece. */
    private static ByteBuf composite(byte[] m) {
        byte[] whole = new byte[m.length + 20];
        whole[0] = 1;
        System.arraycopy(m, 0, whole, 7, m.length);
        CompositeByteBuf c = Unpooled.compositeBuffer();
        int a = whole.length / 3;
        int b = 2 * whole.length / 3;
        c.addComponent(true, Unpooled.directBuffer(a).writeBytes(whole, 0, a));
        c.addComponent(true, Unpooled.buffer(b - a).writeBytes(whole, a, b - a));
        c.addComponent(true, Unpooled.directBuffer(whole.length - b).writeBytes(whole, b, whole.length - b));
        return c;
    }

    @Test
    void namesAndInstances() {
        assertThat(BlockHasher.of("sha-256")).isSameAs(BlockHasher.sha256());
        assertThat(BlockHasher.of("SHA3-256")).isSameAs(BlockHasher.sha3_256());
        assertThat(BlockHasher.sha256().algorithm()).isEqualTo("SHA-256");
        assertThat(BlockHasher.sha3_256().toString()).isEqualTo("BlockHasher[SHA3-256]");
        assertThat(BlockHasher.byId(BlockHasher.sha3_256().id())).isSameAs(BlockHasher.sha3_256());
        assertThat(BlockHasher.byId(0)).isNull();
        assertThatThrownBy(() -> BlockHasher.of("MD5")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown digest algorithm 'MD5' (SHA-256 or SHA3-256)");
        assertThatThrownBy(() -> BlockHasher.of(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFailedCallLeavesNothingBehindForTheNextOne() {
        BlockHasher h = BlockHasher.sha256();
        ByteBuf buf = Unpooled.directBuffer(64).writeBytes("abc".getBytes(StandardCharsets.US_ASCII));
        try {
            assertThatThrownBy(() -> h.digest(buf, 60, 10, new byte[32], 0)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> h.digest(buf, 0, 3, new byte[40], 9)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(Bytes.hex(h.digest(buf, 0, 3)))
                    .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        } finally {
            buf.release();
        }
    }

    @Test
    void oneHasherServesManyThreads() throws Exception {
        byte[] block = Bytes.random(3, 4096);
        byte[] expected256 = BlockHasher.sha256().digest(block);
        byte[] expected3 = BlockHasher.sha3_256().digest(block);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    ByteBuf buf = Unpooled.directBuffer(4096).writeBytes(block);
                    try {
                        for (int i = 0; i < 300; i++) {
                            if (!Arrays.equals(BlockHasher.sha256().digest(buf, 0, 4096), expected256)
                                    || !Arrays.equals(BlockHasher.sha3_256().digest(buf, 0, 4096), expected3)) {
                                return false;
                            }
                        }
                        return true;
                    } finally {
                        buf.release();
                    }
                }));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get(10, TimeUnit.SECONDS)).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
