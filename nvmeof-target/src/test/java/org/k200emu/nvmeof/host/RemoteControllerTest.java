package org.k200emu.nvmeof.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.k200emu.cluster.netty.CoreEventLoops;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.DiscoveryEntry;
import org.k200emu.nvme.subsystem.Subsystem;
import org.k200emu.nvmeof.target.LoopbackTarget;
import org.k200emu.nvmeof.target.TcpTransportSettings;
import org.k200emu.testing.Bytes;

/**
 * The initiator against the card's own target over loopback: association set-up, namespaces,
 * in-capsule and R2T writes read back (with and without digests), many commands in flight on
 * several queues, discovery, refusals, and commands failing cleanly when the target goes away.
 */
class RemoteControllerTest {

    private LoopbackTarget card;
    private HostTransport transport;
    private InetSocketAddress address;

    @BeforeEach
    void start() {
        card = new LoopbackTarget(new TcpTransportSettings(16384, 8192, 8, 128, 4));
        address = card.address();
        transport = HostTransport.create(2);
    }

    @AfterEach
    void stop() {
        transport.close();
        card.close();
    }

    private HostOptions options() {
        return HostOptions.of("127.0.0.1", address.getPort(), LoopbackTarget.NQN);
    }

    /** Submits one command on its queue's loop and waits for it. */
    private static HostCommand run(HostQueuePair q, java.util.function.Consumer<HostCommand> fill) throws Exception {
        CompletableFuture<int[]> done = new CompletableFuture<>();
        HostCommand[] holder = new HostCommand[1];
        q.eventLoop().execute(() -> {
            HostCommand c = q.acquire();
            holder[0] = c;
            fill.accept(c);
            c.onCompletion(x -> done.complete(new int[] {x.status(), x.dw0()}));
            q.submit(c);
        });
        int[] r = done.get(10, TimeUnit.SECONDS);
        assertThat(r[0]).as("status %s", NvmeStatus.name(r[0])).isZero();
        return holder[0];
    }

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,true"})
    void connectsWritesAndReadsBack(boolean hdgst, boolean ddgst) throws Exception {
        try (RemoteController rc = RemoteController.connectNow(options().withIoQueues(2, 64).withDigests(hdgst, ddgst),
                transport)) {
            assertThat(rc.cntlid()).isPositive();
            assertThat(rc.identity().model()).isEqualTo("K200-LP test");
            assertThat(rc.identity().subnqn()).isEqualTo(LoopbackTarget.NQN);
            assertThat(rc.identity().maxTransferBytes()).isEqualTo(1 << 20);
            assertThat(rc.namespaces()).containsExactly(
                    new RemoteController.RemoteNamespace(1, LoopbackTarget.BLOCK, LoopbackTarget.BLOCKS));
            assertThat(rc.ioQueues()).hasSize(2);
            assertThat(rc.ioQueues().get(0).depth()).isEqualTo(63);

            for (int size : new int[] {4096, 65536}) {
                HostQueuePair q = rc.ioQueues().get(size == 4096 ? 0 : 1);
                ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(size, size));
                ByteBuf back = Unpooled.buffer(size);
                try {
                    int blocks = size / LoopbackTarget.BLOCK;
                    run(q, c -> c.write(1, 2048, blocks, data));
                    run(q, c -> c.read(1, 2048, blocks, back, size));
                    assertThat(ByteBufUtil.equals(data, back)).as("%d bytes read back", size).isTrue();
                } finally {
                    data.release();
                    back.release();
                }
            }
        }
    }

    /**
     * Large transfers over a real socket (the initiator on epoll where the machine has it, the
     * card on each transport), in flight together and between small ones, into and out of native
     * buffers: the initiator's socket and, on epoll and NIO, the card's read the data straight
     * into the command's buffer (DirectDataReads), and every byte reads back as written.
     */
    @ParameterizedTest(name = "header digest {0}, data digest {1}, card on {2}")
    @CsvSource({"false,false,EPOLL", "true,true,EPOLL", "false,false,NIO", "true,true,NIO", "true,true,IO_URING"})
    void largeTransfersAreReadStraightIntoTheirBuffers(boolean hdgst, boolean ddgst, CoreEventLoops.Transport cardTransport)
            throws Exception {
        card.close();
        // H2CData PDUs of up to 128 KiB, transfers of up to 1 MiB.
        card = new LoopbackTarget(new TcpTransportSettings(128 * 1024, 8192, 8, 128, 4), 0, cardTransport);
        address = card.address();
        int[] sizes = {128 * 1024, 4096, 512 * 1024, 128 * 1024, 8192, 1 << 20, 128 * 1024, 128 * 1024};
        try (RemoteController rc = RemoteController.connectNow(options().withIoQueues(1, 32).withDigests(hdgst, ddgst),
                transport)) {
            HostQueuePair q = rc.ioQueues().get(0);
            List<ByteBuf> written = new ArrayList<>();
            List<ByteBuf> back = new ArrayList<>();
            long[] lba = new long[sizes.length];
            long next = 0;
            for (int i = 0; i < sizes.length; i++) {
                ByteBuf data = PooledByteBufAllocator.DEFAULT.directBuffer(sizes[i]);
                data.writeBytes(Bytes.random(7 + i, sizes[i]));
                written.add(data);
                back.add(PooledByteBufAllocator.DEFAULT.directBuffer(sizes[i]));
                lba[i] = next;
                next += sizes[i] / LoopbackTarget.BLOCK;
            }
            try {
                // All writes in flight at once, then all reads.
                for (boolean reads : new boolean[] {false, true}) {
                    CompletableFuture<Void> all = new CompletableFuture<>();
                    int[] left = {sizes.length};
                    q.eventLoop().execute(() -> {
                        for (int i = 0; i < sizes.length; i++) {
                            HostCommand c = q.acquire();
                            int blocks = sizes[i] / LoopbackTarget.BLOCK;
                            if (reads) {
                                c.read(1, lba[i], blocks, back.get(i), sizes[i]);
                            } else {
                                c.write(1, lba[i], blocks, written.get(i));
                            }
                            c.onCompletion(x -> {
                                if (!x.succeeded()) {
                                    all.completeExceptionally(new IOException(NvmeStatus.name(x.status())));
                                } else if (--left[0] == 0) {
                                    all.complete(null);
                                }
                            });
                            q.submit(c);
                        }
                    });
                    all.get(10, TimeUnit.SECONDS);
                }
                for (int i = 0; i < sizes.length; i++) {
                    assertThat(ByteBufUtil.equals(written.get(i), back.get(i))).as("transfer %d, %d bytes", i, sizes[i])
                            .isTrue();
                }
                // A large read's data comes straight from the socket when a large one came before it:
                // in any order of the six large and two small reads, at least three of the large ones.
                CompletableFuture<Long> direct = new CompletableFuture<>();
                q.eventLoop().execute(() -> direct.complete(q.decoder().directBytes()));
                assertThat(direct.get(10, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(3 * 128 * 1024L);
            } finally {
                written.forEach(ByteBuf::release);
                back.forEach(ByteBuf::release);
            }
        }
    }

    @Test
    void keepsAWholeQueueOfCommandsInFlight() throws Exception {
        try (RemoteController rc = RemoteController.connectNow(options().withIoQueues(1, 32), transport)) {
            HostQueuePair q = rc.ioQueues().get(0);
            int n = q.depth();
            List<ByteBuf> buffers = new ArrayList<>();
            CompletableFuture<Integer> allDone = new CompletableFuture<>();
            int[] completed = {0};
            int[] maxInFlight = {0};
            q.eventLoop().execute(() -> {
                for (int i = 0; i < n; i++) {
                    HostCommand c = q.acquire();
                    ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(100 + i, 4096));
                    buffers.add(data);
                    c.write(1, 8L * i, 8, data).onCompletion(x -> {
                        if (!x.succeeded()) {
                            allDone.completeExceptionally(new IOException(NvmeStatus.name(x.status())));
                        } else if (++completed[0] == n) {
                            allDone.complete(n);
                        }
                    });
                    q.submit(c);
                    maxInFlight[0] = Math.max(maxInFlight[0], q.inFlight());
                }
            });
            assertThat(allDone.get(10, TimeUnit.SECONDS)).isEqualTo(n);
            assertThat(maxInFlight[0]).isEqualTo(n);
            for (int i = 0; i < n; i++) {
                ByteBuf back = Unpooled.buffer(4096);
                try {
                    long lba = 8L * i;
                    run(q, c -> c.read(1, lba, 8, back, 4096));
                    assertThat(ByteBufUtil.equals(buffers.get(i), back)).isTrue();
                } finally {
                    back.release();
                }
            }
            buffers.forEach(ByteBuf::release);
        }
    }

    @Test
    void readsTheDiscoveryLog() throws Exception {
        try (RemoteController rc = RemoteController.connectNow(options().withSubsystem(Subsystem.DISCOVERY_NQN)
                .withKato(0), transport)) {
            assertThat(rc.isDiscovery()).isTrue();
            List<DiscoveryEntry> log = rc.discoveryLog().get(10, TimeUnit.SECONDS);
            assertThat(log).hasSize(1);
            assertThat(log.get(0).subnqn()).isEqualTo(LoopbackTarget.NQN);
            assertThat(log.get(0).traddr()).isEqualTo("127.0.0.1");
            assertThat(log.get(0).trsvcid()).isEqualTo(Integer.toString(address.getPort()));
        }
    }

    @Test
    void refusedConnectCarriesTheStatus() {
        assertThatThrownBy(() -> RemoteController.connectNow(options().withSubsystem(LoopbackTarget.RESTRICTED),
                transport))
                .isInstanceOfSatisfying(NvmeCommandException.class, e -> assertThat(e.status())
                        .isEqualTo(NvmeStatus.withDnr(NvmeStatus.CONNECT_INVALID_HOST)));
        assertThatThrownBy(() -> RemoteController.connectNow(
                HostOptions.of("127.0.0.1", 1, LoopbackTarget.NQN), transport))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot connect to 127.0.0.1:1");
    }

    @Test
    void commandsFailWithHostPathErrorWhenTheTargetGoesAway() throws Exception {
        RemoteController rc = RemoteController.connectNow(options().withHost("nqn.2014-08.org.k200emu:h2",
                UUID.randomUUID()), transport);
        try {
            HostQueuePair q = rc.ioQueues().get(0);
            card.close();
            CompletableFuture<Integer> status = new CompletableFuture<>();
            ByteBuf back = Unpooled.buffer(512);
            q.eventLoop().execute(() -> {
                HostCommand c = q.acquire();
                c.read(1, 0, 1, back, 512).onCompletion(x -> status.complete(x.status()));
                q.submit(c);
            });
            assertThat(status.get(10, TimeUnit.SECONDS)).isEqualTo(NvmeStatus.HOST_PATH_ERROR);
            back.release();
            assertThat(q.isLive()).isFalse();
        } finally {
            rc.close();
            card = new LoopbackTarget(new TcpTransportSettings(16384, 8192, 8, 128, 4));
        }
    }
}
