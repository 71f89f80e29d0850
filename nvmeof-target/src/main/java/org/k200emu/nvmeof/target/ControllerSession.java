package org.k200emu.nvmeof.target;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.k200emu.cluster.SimCore;
import org.k200emu.cluster.Timer;
import org.k200emu.nvme.controller.NvmeController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One controller association over NVMe/TCP: the controller, its admin queue pair and the I/O
 * queue pairs that joined it by CNTLID, and the keep-alive watchdog that runs on the admin
 * queue's core. Created by an admin Connect; ends when the admin connection closes or the
 * keep-alive timeout expires, and then takes every queue of the association down with it.
 */
final class ControllerSession {

    private static final Logger LOG = LoggerFactory.getLogger(ControllerSession.class);
    private static final long WATCHDOG_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final NvmeofTarget target;
    private final NvmeController controller;
    private final SimCore adminCore;
    private final TcpQueuePair adminQueue;
    private final AtomicReferenceArray<TcpQueuePair> ioQueues;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final int portId;
    private Timer watchdog;

    ControllerSession(NvmeofTarget target, NvmeController controller, SimCore adminCore, TcpQueuePair adminQueue,
                      int maxIoQueues, int portId) {
        this.portId = portId;
        this.target = target;
        this.controller = controller;
        this.adminCore = adminCore;
        this.adminQueue = adminQueue;
        this.ioQueues = new AtomicReferenceArray<>(maxIoQueues + 1);
    }

    NvmeController controller() {
        return controller;
    }

    /** The target port the association was made through (its ANA state applies). */
    int portId() {
        return portId;
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Starts the keep-alive watchdog; on the admin core's thread (the admin connection's loop). */
    void startWatchdog() {
        watchdog = adminCore.schedulePeriodic(WATCHDOG_PERIOD_NANOS, this::checkKeepAlive);
    }

    private void checkKeepAlive() {
        if (controller.keepAliveExpired(System.nanoTime())) {
            LOG.warn("{}: keep-alive timeout ({} ms) expired, ending the association", controller, controller.kato());
            close();
        }
    }

    /** Joins an I/O queue; false if that queue ID is taken. */
    boolean attach(int qid, TcpQueuePair queue) {
        return !closed.get() && ioQueues.compareAndSet(qid, null, queue);
    }

    /** A queue's connection closed: an I/O queue leaves, the admin queue ends the session. */
    void queueClosed(int qid, TcpQueuePair queue) {
        if (qid == 0) {
            close();
        } else {
            ioQueues.compareAndSet(qid, queue, null);
        }
    }

    /** Ends the association: the controller leaves its subsystem and every connection closes. Any thread. */
    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.debug("{}: association ends", controller);
        adminCore.execute(() -> {
            if (watchdog != null) {
                watchdog.cancel();
            }
        });
        controller.subsystem().removeController(controller);
        adminQueue.close();
        for (int i = 1; i < ioQueues.length(); i++) {
            TcpQueuePair q = ioQueues.get(i);
            if (q != null) {
                q.close();
            }
        }
        target.sessionClosed(this);
    }
}
