package org.k200emu.cluster;

/**
 * An active poller registered on a {@link SimCore} (SPDK style): called once per duty cycle on the
 * core's thread, it checks its source (a socket queue, a qpair, a device model) and returns how
 * much work it did, 0 when idle. Owned by the component that registered it.
 */
@FunctionalInterface
public interface Poller {

    /**
     * Polls once.
     *
     * @param nowNanos the duty cycle's time, from the core's clock
     * @return the amount of work done (0 = nothing to do)
     */
    int poll(long nowNanos);
}
