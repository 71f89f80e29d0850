package org.k200emu.nvmeof.target;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.pi.Crc16T10Dif;
import org.k200emu.testing.Bytes;

/**
 * A type 1 protection-information namespace over real TCP: PRACT set (data only on the wire, as
 * Linux sends it) and clear (extended blocks of 520 bytes, in capsule and through R2T, and back
 * in C2HData), and a guard corrupted on the medium failing the read with Guard Check Error.
 */
class PiLoopbackTest {

    private static final int BLOCK = LoopbackTarget.BLOCK;
    private static final int EXT = BLOCK + 8;
    private static final int PRACT = 1 << 29;
    private static final int GUARD = 1 << 28;
    private static final int REF = 1 << 26;
    /** Small H2CData limit so larger writes take several R2Ts and H2CData PDUs. */
    private static final TcpTransportSettings SETTINGS = new TcpTransportSettings(16384, 8192, 8, 128, 4);

    private LoopbackTarget card;
    private TestHost admin;
    private TestHost io;

    @BeforeEach
    void start() throws IOException {
        card = new LoopbackTarget(SETTINGS, 1);
        admin = TestHost.open(card.address());
        int cntlid = admin.connect(LoopbackTarget.PROTECTED, 0, 0xFFFF, 32, 5000).dw0() & 0xFFFF;
        assertThat(admin.enable().status()).isZero();
        io = TestHost.open(card.address());
        assertThat(io.connect(LoopbackTarget.PROTECTED, 1, cntlid, 64, 0).status()).isZero();
    }

    @AfterEach
    void stop() throws IOException {
        io.close();
        admin.close();
        card.close();
    }

    private static ByteBuffer rw(int opcode, long slba, int blocks, int prinfo, int ilbrt) {
        ByteBuffer s = TestHost.rw(opcode, 1, slba, blocks);
        s.putInt(48, s.getInt(48) | prinfo);
        s.putInt(56, ilbrt);
        return s;
    }

    /** Extended blocks with the guard from the (separately tested) CRC, app tag 0, ref tags from {@code ref0}. */
    private static byte[] extend(byte[] data, long ref0) {
        int blocks = data.length / BLOCK;
        ByteBuffer b = ByteBuffer.allocate(blocks * EXT);
        for (int i = 0; i < blocks; i++) {
            b.put(data, i * BLOCK, BLOCK);
            b.putShort((short) Crc16T10Dif.compute(data, i * BLOCK, BLOCK)).putShort((short) 0).putInt((int) (ref0 + i));
        }
        return b.array();
    }

    @Test
    void identifyShowsTheFormat() throws IOException {
        TestHost.Completion id = admin.identify(0, 1);
        assertThat(id.status()).isZero();
        assertThat(id.data()[26]).as("FLBAS").isEqualTo((byte) 0x10);
        assertThat(id.data()[29]).as("DPS").isEqualTo((byte) 1);
        assertThat(id.data()[128]).as("LBAF0.MS").isEqualTo((byte) 8);
    }

    @Test
    void practMovesDataOnlyInCapsuleAndThroughR2T() throws IOException {
        byte[] small = Bytes.random(1, 8 * BLOCK);
        assertThat(io.execute(rw(0x01, 100, 8, PRACT | GUARD | REF, 100), small, 0).status()).isZero();
        byte[] large = Bytes.random(2, 128 * BLOCK);
        assertThat(io.execute(rw(0x01, 1000, 128, PRACT | GUARD | REF, 1000), large, 0).status()).isZero();
        TestHost.Completion r = io.execute(rw(0x02, 1000, 128, PRACT | GUARD | REF, 1000), null, 128 * BLOCK);
        assertThat(r.status()).isZero();
        assertThat(r.data()).isEqualTo(large);
        assertThat(io.execute(rw(0x02, 100, 8, PRACT | GUARD | REF, 100), null, 8 * BLOCK).data()).isEqualTo(small);
        // The stored protection information, read without PRACT: 520-byte blocks on the wire.
        TestHost.Completion ext = io.execute(rw(0x02, 1000, 128, 0, 0), null, 128 * EXT);
        assertThat(ext.status()).isZero();
        assertThat(ext.data()).isEqualTo(extend(large, 1000));
    }

    @Test
    void extendedBlocksRoundTripWithoutPract() throws IOException {
        byte[] inCapsule = extend(Bytes.random(3, 4 * BLOCK), 40); // 2080 bytes
        assertThat(io.execute(rw(0x01, 40, 4, GUARD | REF, 40), inCapsule, 0).status()).isZero();
        byte[] r2t = extend(Bytes.random(4, 100 * BLOCK), 500); // 52000 bytes: R2T, several H2CData
        assertThat(io.execute(rw(0x01, 500, 100, GUARD | REF, 500), r2t, 0).status()).isZero();
        assertThat(io.execute(rw(0x02, 40, 4, GUARD | REF, 40), null, 4 * EXT).data()).isEqualTo(inCapsule);
        assertThat(io.execute(rw(0x02, 500, 100, GUARD | REF, 500), null, 100 * EXT).data()).isEqualTo(r2t);
        // A bad guard in what the host sends fails the write: nothing stored.
        byte[] bad = extend(Bytes.random(5, 2 * BLOCK), 40);
        bad[EXT + 3] ^= 1;
        TestHost.Completion c = io.execute(rw(0x01, 40, 2, GUARD | REF, 40), bad, 0);
        assertThat(c.sct()).isEqualTo(2);
        assertThat(c.sc()).isEqualTo(0x82);
        assertThat(c.dnr()).isTrue();
        assertThat(io.execute(rw(0x02, 40, 4, GUARD | REF, 40), null, 4 * EXT).data()).isEqualTo(inCapsule);
    }

    @Test
    void aGuardCorruptedOnTheMediumFailsTheRead() throws IOException {
        byte[] data = Bytes.random(6, 16 * BLOCK);
        assertThat(io.execute(rw(0x01, 300, 16, PRACT | GUARD | REF, 300), data, 0).status()).isZero();
        // Change one byte of block 309 on the member, under the pi bdev.
        ByteBuf raw = Unpooled.directBuffer(BLOCK);
        try {
            assertThat(member(BdevOp.READ, 309, raw)).isEqualTo(BdevStatus.SUCCESS);
            raw.setByte(100, ~raw.getByte(100));
            assertThat(member(BdevOp.WRITE, 309, raw)).isEqualTo(BdevStatus.SUCCESS);
        } finally {
            raw.release();
        }
        TestHost.Completion c = io.execute(rw(0x02, 300, 16, PRACT | GUARD | REF, 300), null, 16 * BLOCK);
        assertThat(c.sct()).as("Media and Data Integrity Errors").isEqualTo(2);
        assertThat(c.sc()).as("End-to-end Guard Check Error").isEqualTo(0x82);
        assertThat(c.dnr()).isTrue();
        assertThat(c.data()).as("no data sent").isEmpty();
        // The blocks around it still read, and the queue carries on.
        TestHost.Completion before = io.execute(rw(0x02, 300, 9, PRACT | GUARD | REF, 300), null, 9 * BLOCK);
        assertThat(before.data()).isEqualTo(Arrays.copyOf(data, 9 * BLOCK));
        // Without the guard check the (wrong) data is returned as stored, as the host asked.
        assertThat(io.execute(rw(0x02, 309, 1, PRACT | REF, 309), null, BLOCK).status()).isZero();
    }

    private int member(BdevOp op, long lba, ByteBuf buf) {
        BdevIo bio = new BdevIo();
        bio.prepare(op, lba, 1, buf, Runnable::run, d -> { }, null);
        card.piMember().submit(bio);
        return bio.status();
    }
}
