package org.k200emu.nvme.controller;

import java.util.TreeSet;
import java.util.concurrent.Executor;
import org.k200emu.nvme.NvmeStatus;

/**
 * Asynchronous Event Requests held by the controller and the events that complete them. All
 * state lives on the admin queue's core: events raised elsewhere (a namespace added by the
 * control plane) are handed to that core first.
 *
 * <p>Only Namespace Attribute Notices are generated. As the specification requires, once such a
 * notice is reported, further ones are masked until the host reads the Changed Namespace List
 * log page without Retain Asynchronous Event.
 */
final class AsyncEvents {
    /** AERL + 1: outstanding requests the controller holds. */
    static final int LIMIT = 4;
    static final int CHANGED_LIST_CAPACITY = 1024;
    private static final int TYPE_NOTICE = 2;
    private static final int NOTICE_NS_ATTRIBUTE = 0x00;
    private static final int LOG_CHANGED_NS = 0x04;
    private static final int NOTICE_ANA_CHANGE = 0x03;
    private static final int LOG_ANA = 0x0C;

    private final NvmeController controller;
    private final Executor adminCore;
    private final NvmeRequest[] outstanding = new NvmeRequest[LIMIT];
    private int count;
    private boolean noticePending;
    private boolean noticeMasked;
    private boolean anaPending;
    private boolean anaMasked;
    private final TreeSet<Integer> changed = new TreeSet<>();
    private boolean changedOverflow;

    AsyncEvents(NvmeController controller) {
        this.controller = controller;
        this.adminCore = controller.params().adminCore();
    }

    /** An Asynchronous Event Request arrives (admin core). */
    void submit(NvmeRequest req) {
        if (count == LIMIT) {
            controller.complete(req, NvmeStatus.withDnr(NvmeStatus.AER_LIMIT_EXCEEDED));
            return;
        }
        outstanding[count++] = req;
        deliver();
    }

    int outstanding() {
        return count;
    }

    /** A namespace changed; callable from any thread. */
    void namespaceChanged(int nsid) {
        adminCore.execute(() -> {
            if (changed.size() < CHANGED_LIST_CAPACITY) {
                changed.add(nsid);
            } else {
                changedOverflow = true;
            }
            if ((controller.features().asyncEventConfig & Features.NS_ATTRIBUTE_AEN) != 0) {
                noticePending = true;
                deliver();
            }
        });
    }

    /** The ANA state of the controller's port changed; callable from any thread. */
    void anaChanged() {
        adminCore.execute(() -> {
            if ((controller.features().asyncEventConfig & Features.ANA_CHANGE_AEN) != 0) {
                anaPending = true;
                deliver();
            }
        });
    }

    /** The ANA log was read without RAE: ANA change notices flow again (admin core). */
    void anaLogRead() {
        anaMasked = false;
        deliver();
    }

    private void deliver() {
        if (anaPending && !anaMasked && count > 0) {
            NvmeRequest req = outstanding[--count];
            outstanding[count] = null;
            anaPending = false;
            anaMasked = true;
            req.dw0(TYPE_NOTICE | NOTICE_ANA_CHANGE << 8 | LOG_ANA << 16);
            controller.complete(req, NvmeStatus.SUCCESS);
        }
        if (!noticePending || noticeMasked || count == 0) {
            return;
        }
        NvmeRequest req = outstanding[--count];
        outstanding[count] = null;
        noticePending = false;
        noticeMasked = true;
        req.dw0(TYPE_NOTICE | NOTICE_NS_ATTRIBUTE << 8 | LOG_CHANGED_NS << 16);
        controller.complete(req, NvmeStatus.SUCCESS);
    }

    /**
     * The Changed Namespace List (log 0x04): up to 1024 NSIDs, or 0xFFFFFFFF first if more
     * changed. Reading it without RAE clears it and unmasks the notice.
     */
    int[] changedNamespaces(boolean retain) {
        int[] list;
        if (changedOverflow) {
            list = new int[] {0xFFFFFFFF};
        } else {
            list = changed.stream().mapToInt(Integer::intValue).toArray();
        }
        if (!retain) {
            changed.clear();
            changedOverflow = false;
            noticeMasked = false;
            deliver();
        }
        return list;
    }

    /** Controller reset or shutdown: outstanding requests end with Aborted - SQ Deletion. */
    void abortAll() {
        adminCore.execute(() -> {
            while (count > 0) {
                NvmeRequest req = outstanding[--count];
                outstanding[count] = null;
                controller.complete(req, NvmeStatus.ABORTED_SQ_DELETION);
            }
        });
    }
}
