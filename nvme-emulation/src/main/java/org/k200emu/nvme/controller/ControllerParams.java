package org.k200emu.nvme.controller;

import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.k200emu.nvme.AnaState;

/**
 * What a new controller association is made of: the host, its keep-alive timeout, the
 * transport's limits, the core that runs its admin queue (where asynchronous event completions
 * must be delivered), and the ANA state of the port the host came through (read on every I/O,
 * so a port's state may change at run time).
 */
public record ControllerParams(String hostNqn, UUID hostId, int kato, TransportParams transport,
                               Executor adminCore, Supplier<AnaState> anaState) {

    /** A controller whose port is always optimized. */
    public ControllerParams(String hostNqn, UUID hostId, int kato, TransportParams transport, Executor adminCore) {
        this(hostNqn, hostId, kato, transport, adminCore, () -> AnaState.OPTIMIZED);
    }
}
