package org.k200emu.cli.start;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.k200emu.bdev.Bdev;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;
import org.k200emu.nvmeof.host.HostOptions;
import org.k200emu.nvmeof.host.HostTransport;
import org.k200emu.nvmeof.host.MultipathBdev;
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
    private final List<MultipathBdev> multipaths = new ArrayList<>();

    RemoteAttachments(HostTransport transport, int defaultQueues) {
        this.transport = transport;
        this.defaultQueues = defaultQueues;
    }

    /**
     * Connects to the remote namespace of {@code b} (a BdevRegistry factory for type remote):
     * one controller, or one per path with a {@link MultipathBdev} over them.
     */
    Bdev attach(CardConfig.BdevConfig b, String path) {
        if (!"remote".equals(b.type())) {
            throw new ConfigException(path + ".type", "unknown bdev type '" + b.type() + "'");
        }
        CardConfig.RemoteConfig r = b.remote();
        if (r.morePaths().isEmpty()) {
            return connect(b.name(), r, r.address(), r.port(), r.holdMillis(), path);
        }
        List<RemoteBdev> paths = new ArrayList<>();
        paths.add(connect(b.name() + ".path0", r, r.address(), r.port(), 0, path));
        for (int i = 0; i < r.morePaths().size(); i++) {
            String p = r.morePaths().get(i);
            int colon = p.lastIndexOf(':');
            paths.add(connect(b.name() + ".path" + (i + 1), r, p.substring(0, colon).replace("[", "").replace("]", ""),
                    Integer.parseInt(p.substring(colon + 1)), 0, path));
        }
        try {
            MultipathBdev multipath = new MultipathBdev(b.name(), paths);
            multipaths.add(multipath);
            LOG.info("bdev {}: {} paths to {} nsid {}", b.name(), paths.size(), r.subnqn(), r.nsid());
            return multipath;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path + ".paths", e.getMessage());
        }
    }

    private RemoteBdev connect(String name, CardConfig.RemoteConfig r, String address, int port, int holdMillis,
                               String path) {
        int queues = r.ioQueues() > 0 ? r.ioQueues() : defaultQueues;
        // One host identity per card and remote subsystem, the same on every path, as a multipath host has.
        HostOptions options = new HostOptions(address, port, r.subnqn(), r.hostNqn(),
                java.util.UUID.nameUUIDFromBytes((r.hostNqn() + "#" + r.subnqn())
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                queues, r.queueSize(), 5000, r.headerDigest(), r.dataDigest(), 30_000, true);
        RemoteController controller;
        try {
            controller = RemoteController.connectNow(options, transport);
        } catch (IOException e) {
            throw new ConfigException(path, "cannot attach " + r.subnqn() + " at " + address + ":" + port + ": "
                    + e.getMessage());
        }
        controllers.add(controller);
        try {
            RemoteBdev bdev = new RemoteBdev(name, controller, r.nsid(), holdMillis);
            bdevs.add(bdev);
            LOG.info("attached {} nsid {} at {}:{} as bdev {} ({} blocks of {} bytes, {} I/O queues, ANA {})",
                    r.subnqn(), r.nsid(), address, port, name, bdev.blockCount(), bdev.blockSize(),
                    controller.ioQueues().size(), controller.anaState(r.nsid()).label());
            return bdev;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path + ".nsid", e.getMessage());
        }
    }

    /** The multipath bdevs (several paths to one namespace). */
    List<MultipathBdev> multipaths() {
        return List.copyOf(multipaths);
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
