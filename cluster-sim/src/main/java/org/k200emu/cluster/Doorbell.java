package org.k200emu.cluster;

/**
 * How a {@link SimCore} wakes the host thread that runs it after a message arrives from another
 * thread. Installed by the runner that owns the host thread ({@link HostThreads}, the Netty
 * {@code CoreIoHandler}, {@link StepRunner}); implementations must be cheap when the host thread is
 * awake (check a parked flag before doing a system call).
 */
@FunctionalInterface
public interface Doorbell {

    /** A doorbell that does nothing: for cores whose host thread never blocks. */
    Doorbell NONE = () -> { };

    /** Called by a foreign producer after it published a message; wakes the host thread if it sleeps. */
    void ring();
}
