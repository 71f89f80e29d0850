package org.k200emu.nvme.pcie;

import io.netty.buffer.ByteBufAllocator;

/**
 * A submission queue in host memory: a ring of 64-byte entries at a physically contiguous
 * {@link #base}, the host's tail (from its doorbell) and the controller's head, and the command
 * slots that bound how many of its commands run at once. Confined to the controller's core.
 */
final class SubmissionQueue {
    static final int ENTRY_SIZE = 64;

    final int id;
    final long base;
    final int size;
    final CompletionQueue cq;
    private final PcieCommand[] free;
    private int freeCount;
    int head;
    int tail;
    int inFlight;
    /** False once deleted or torn down by a reset: completions of its commands are dropped. */
    boolean live = true;
    /** Delete I/O Submission Queue arrived: fetch nothing more, finish when in-flight commands have. */
    boolean deleting;
    PcieCommand deleteCommand;
    boolean fetchScheduled;
    Runnable fetchTask;

    SubmissionQueue(int id, long base, int size, CompletionQueue cq, ByteBufAllocator allocator) {
        this.id = id;
        this.base = base;
        this.size = size;
        this.cq = cq;
        this.free = new PcieCommand[size];
        for (int i = 0; i < size; i++) {
            free[i] = new PcieCommand(i, this, allocator);
        }
        this.freeCount = size;
    }

    boolean empty() {
        return head == tail;
    }

    boolean hasFreeSlot() {
        return freeCount > 0;
    }

    PcieCommand takeSlot() {
        inFlight++;
        return free[--freeCount];
    }

    void returnSlot(PcieCommand cmd) {
        inFlight--;
        free[freeCount++] = cmd;
    }

    long entryAddress(int index) {
        return base + (long) index * ENTRY_SIZE;
    }

    int next(int index) {
        return index + 1 == size ? 0 : index + 1;
    }

    /** Entries from {@code from} to {@code to} going forward around the ring. */
    int distance(int from, int to) {
        return to >= from ? to - from : to + size - from;
    }

    @Override
    public String toString() {
        return "SQ" + id;
    }
}
