package org.k200emu.nvme.controller;

import java.util.UUID;
import java.util.concurrent.Executor;

/**
 * What a new controller association is made of: the host, its keep-alive timeout, the
 * transport's limits, and the core that runs its admin queue (where asynchronous event
 * completions must be delivered).
 */
public record ControllerParams(String hostNqn, UUID hostId, int kato, TransportParams transport,
                               Executor adminCore) {
}
