package org.k200emu.nvme.pcie;

/**
 * The host's side of the interrupt wire: what a {@link PcieController} calls, in place of an
 * MSI-X message or an INTx assertion, after it posted completion entries to a completion queue
 * whose interrupts are enabled. Implemented by whoever models the host (a test driver waits on
 * it). Called on the controller's core; an implementation should hand the event to the host's
 * thread rather than do the host's work inline, though register writes made from it are safe
 * (they are queued behind the current work).
 */
@FunctionalInterface
public interface HostInterrupts {

    /** No interrupts: a host that only polls. */
    HostInterrupts NONE = vector -> { };

    /** Vector {@code vector} (the completion queue's IV) fired. */
    void raise(int vector);
}
