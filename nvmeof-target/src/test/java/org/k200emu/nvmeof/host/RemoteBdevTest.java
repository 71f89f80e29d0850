package org.k200emu.nvmeof.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.nvmeof.target.LoopbackTarget;
import org.k200emu.nvmeof.target.TcpTransportSettings;
import org.k200emu.testing.Bytes;

/**
 * A remote namespace as a bdev: reads and writes through the initiator (split when larger than
 * the remote MDTS), and what happens when the remote target goes away: I/O is held and sent again
 * after the reconnect, or fails with PATH_ERROR after the hold timeout; acknowledged data stays.
 */
class RemoteBdevTest {

    private static final Executor INLINE = Runnable::run;

    private LoopbackTarget card;
    private HostTransport transport;
    private RemoteController controller;

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
        if (transport != null) {
            transport.close();
        }
        if (card != null) {
            card.close();
        }
    }

    private RemoteBdev open(int mdts, boolean reconnect, long holdMillis) throws Exception {
        card = new LoopbackTarget(new TcpTransportSettings(16384, 8192, mdts, 128, 4));
        transport = HostTransport.create(2);
        controller = RemoteController.connectNow(HostOptions.of("127.0.0.1", card.address().getPort(),
                LoopbackTarget.NQN).withIoQueues(2, 32).withReconnect(reconnect, 5000), transport);
        return new RemoteBdev("r0", controller, 1, holdMillis);
    }

    private static int io(RemoteBdev bdev, BdevOp op, long lba, long blocks, ByteBuf buf) throws Exception {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        bdev.submit(new BdevIo().prepare(op, lba, blocks, buf, INLINE, x -> done.complete(x.status()), null));
        return done.get(20, TimeUnit.SECONDS);
    }

    @Test
    void readsAndWritesSplitAcrossTheRemoteMaximumTransfer() throws Exception {
        RemoteBdev bdev = open(1, false, 1000); // MDTS 1: 8 KiB per command
        assertThat(bdev.blockSize()).isEqualTo(LoopbackTarget.BLOCK);
        assertThat(bdev.blockCount()).isEqualTo(LoopbackTarget.BLOCKS);
        ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(11, 65536));
        ByteBuf back = Unpooled.buffer(65536);
        try {
            assertThat(io(bdev, BdevOp.WRITE, 4096, 128, data)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(data.readerIndex()).as("the caller's buffer is not consumed").isZero();
            assertThat(io(bdev, BdevOp.READ, 4096, 128, back)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(ByteBufUtil.equals(data, back)).isTrue();
            assertThat(io(bdev, BdevOp.FLUSH, 0, 0, null)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(io(bdev, BdevOp.WRITE_ZEROES, 4096, 8, null)).isEqualTo(BdevStatus.SUCCESS);
            back.clear();
            assertThat(io(bdev, BdevOp.READ, 4096, 8, back)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(ByteBufUtil.getBytes(back)).containsOnly(0);
            assertThat(io(bdev, BdevOp.READ, LoopbackTarget.BLOCKS, 1, back)).isEqualTo(BdevStatus.OUT_OF_RANGE);
        } finally {
            data.release();
            back.release();
        }
    }

    @Test
    void ioWaitsForTheTargetToComeBackAndNothingAcknowledgedIsLost() throws Exception {
        RemoteBdev bdev = open(8, true, 10_000);
        ByteBuf first = Unpooled.wrappedBuffer(Bytes.random(21, 8192));
        ByteBuf second = Unpooled.wrappedBuffer(Bytes.random(22, 8192));
        ByteBuf back = Unpooled.buffer(8192);
        try {
            assertThat(io(bdev, BdevOp.WRITE, 100, 16, first)).isEqualTo(BdevStatus.SUCCESS);
            card.stopTarget();
            CompletableFuture<Integer> held = new CompletableFuture<>();
            bdev.submit(new BdevIo().prepare(BdevOp.WRITE, 200, 16, second, INLINE, x -> held.complete(x.status()),
                    null));
            Thread.sleep(300); // the write is held while the target is down (nothing completes it)
            assertThat(held).isNotDone();
            card.startTarget();
            assertThat(held.get(20, TimeUnit.SECONDS)).as("held write after reconnect").isEqualTo(BdevStatus.SUCCESS);
            assertThat(controller.state()).isEqualTo(RemoteController.State.CONNECTED);
            assertThat(io(bdev, BdevOp.READ, 100, 16, back)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(ByteBufUtil.equals(first, back)).as("acknowledged before the outage").isTrue();
            back.clear();
            assertThat(io(bdev, BdevOp.READ, 200, 16, back)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(ByteBufUtil.equals(second, back)).as("written across the outage").isTrue();
        } finally {
            first.release();
            second.release();
            back.release();
        }
    }

    @Test
    void ioHeldLongerThanTheHoldTimeoutFailsWithPathError() throws Exception {
        RemoteBdev bdev = open(8, true, 300);
        card.stopTarget();
        ByteBuf back = Unpooled.buffer(512);
        try {
            long start = System.nanoTime();
            assertThat(io(bdev, BdevOp.READ, 0, 1, back)).isEqualTo(BdevStatus.PATH_ERROR);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(250L, 5000L);
            assertThat(back.readableBytes()).isZero();
        } finally {
            back.release();
            card.startTarget();
        }
    }

    @Test
    void aRemoteNamespaceWithProtectionInformationIsDrivenWithPract() throws Exception {
        card = new LoopbackTarget(new TcpTransportSettings(16384, 8192, 1, 128, 4), 1); // MDTS 8 KiB
        transport = HostTransport.create(2);
        controller = RemoteController.connectNow(HostOptions.of("127.0.0.1", card.address().getPort(),
                LoopbackTarget.PROTECTED).withIoQueues(2, 32).withReconnect(false, 5000), transport);
        assertThat(controller.namespace(1).metadataSize()).isEqualTo(8);
        assertThat(controller.namespace(1).piType()).isEqualTo(1);
        RemoteBdev bdev = new RemoteBdev("r0", controller, 1, 1000);
        assertThat(bdev.blockSize()).isEqualTo(LoopbackTarget.BLOCK);
        assertThat(bdev.blockCount()).isEqualTo(card.piBdev().blockCount());
        byte[] bytes = Bytes.random(21, 64 * 512);
        ByteBuf data = Unpooled.wrappedBuffer(bytes);
        ByteBuf back = Unpooled.buffer(64 * 512);
        try {
            // Split into 16-block commands by the MDTS; each carries its own reference tag.
            assertThat(io(bdev, BdevOp.WRITE, 7000, 64, data)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(io(bdev, BdevOp.READ, 7000, 64, back)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(ByteBufUtil.getBytes(back)).isEqualTo(bytes);
            for (int i = 0; i < 64; i++) {
                long pi = card.piBdev().metadata(7000 + i);
                assertThat(pi >>> 48).as("guard of block %d", i)
                        .isEqualTo(org.k200emu.bdev.pi.Crc16T10Dif.compute(bytes, i * 512, 512));
                assertThat(pi & 0xFFFF_FFFFL).as("reference tag: the LBA").isEqualTo(7000 + i);
            }
            assertThat(io(bdev, BdevOp.WRITE_ZEROES, 7000, 4, null)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(card.piBdev().metadata(7003)).isEqualTo(7003);
            assertThat(io(bdev, BdevOp.UNMAP, 7004, 4, null)).isEqualTo(BdevStatus.SUCCESS);
            back.clear();
            assertThat(io(bdev, BdevOp.READ, 7000, 8, back)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(ByteBufUtil.getBytes(back)).containsOnly(0);
            // A block corrupted on the remote medium fails the read instead of coming back wrong.
            ByteBuf raw = Unpooled.buffer(512).writeZero(512);
            BdevIo w = new BdevIo().prepare(BdevOp.WRITE, 7010, 1, raw, INLINE, x -> { }, null);
            card.piMember().submit(w);
            raw.release();
            assertThat(w.status()).isEqualTo(BdevStatus.SUCCESS);
            back.clear();
            assertThat(io(bdev, BdevOp.READ, 7008, 4, back)).isEqualTo(BdevStatus.MEDIA_ERROR);
        } finally {
            data.release();
            back.release();
        }
    }
}
