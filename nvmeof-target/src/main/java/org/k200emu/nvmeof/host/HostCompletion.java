package org.k200emu.nvmeof.host;

/**
 * Where a {@link HostQueuePair} hands back a finished {@link HostCommand}: on the queue's event
 * loop, exactly once per submission. The command may be filled and submitted again from inside
 * the callback (a closed-loop load generator does); otherwise it returns to the queue's free
 * slots when the callback returns.
 */
@FunctionalInterface
public interface HostCompletion {
    void completed(HostCommand command);
}
