package org.k200emu.cli.start;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.k200emu.bdev.Bdev;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;
import org.k200emu.nvmeof.host.HostOptions;
import org.k200emu.nvmeof.host.HostTransport;
import org.k200emu.nvmeof.host.RemoteBdev;
import org.k200emu.nvmeof.host.RemoteController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The card's initiator side in co-processor mode: one controller association per remote bdev of
 * the configuration, on the card's own event loops, each namespace a {@link RemoteBdev}. Owned by
 * the {@link CardProcess}; closing it shuts every association down.
 */
final class RemoteAttachments implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteAttachments.class);

    private final HostTransport transport;
    private final int defaultQueues;
    private final List<RemoteController> controllers = new ArrayList<>();
    private final List<RemoteBdev> bdevs = new ArrayList<>();

    RemoteAttachments(HostTransport transport, int defaultQueues) {
        this.transport = transport;
        this.defaultQueues = defaultQueues;
    }

    /** Connects to the remote namespace of {@code b} (a BdevRegistry factory for type remote). */
    Bdev attach(CardConfig.BdevConfig b, String path) {
        if (!"remote".equals(b.type())) {
            throw new ConfigException(path + ".type", "unknown bdev type '" + b.type() + "'");
        }
        CardConfig.RemoteConfig r = b.remote();
        int queues = r.ioQueues() > 0 ? r.ioQueues() : defaultQueues;
        HostOptions options = new HostOptions(r.address(), r.port(), r.subnqn(), r.hostNqn(),
                java.util.UUID.nameUUIDFromBytes((r.hostNqn() + "#" + b.name())
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                queues, r.queueSize(), 5000, r.headerDigest(), r.dataDigest(), 30_000, true);
        RemoteController controller;
        try {
            controller = RemoteController.connectNow(options, transport);
        } catch (IOException e) {
            throw new ConfigException(path, "cannot attach " + r.subnqn() + " at " + r.address() + ":" + r.port()
                    + ": " + e.getMessage());
        }
        controllers.add(controller);
        try {
            RemoteBdev bdev = new RemoteBdev(b.name(), controller, r.nsid(), r.holdMillis());
            bdevs.add(bdev);
            LOG.info("attached {} nsid {} at {}:{} as bdev {} ({} blocks of {} bytes, {} I/O queues)", r.subnqn(),
                    r.nsid(), r.address(), r.port(), b.name(), bdev.blockCount(), bdev.blockSize(),
                    controller.ioQueues().size());
            return bdev;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path + ".nsid", e.getMessage());
        }
    }

    /** The remote bdevs and their controllers' states (for status displays). */
    List<RemoteBdev> bdevs() {
        return List.copyOf(bdevs);
    }

    @Override
    public void close() {
        for (RemoteController c : controllers) {
            c.close();
        }
    }
}
