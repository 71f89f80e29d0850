package org.k200emu.nvme.pcie;

import java.util.ArrayDeque;

/**
 * A completion queue in host memory: a ring of 16-byte entries at a physically contiguous
 * {@link #base}, the controller's tail and phase tag, the host's head (from its doorbell), the
 * interrupt vector it signals, and the completions waiting for room when the host has not
 * consumed entries fast enough. Confined to the controller's core.
 */
final class CompletionQueue {
    static final int ENTRY_SIZE = 16;

    final int id;
    final long base;
    final int size;
    final int vector;
    final boolean interruptsEnabled;
    int head;
    int tail;
    /** The phase tag written with the next entry: 1 on the first pass, inverted on each wrap. */
    boolean phase = true;
    int attachedSqs;
    boolean live = true;
    /** Entries were posted since the last interrupt pass. */
    boolean notify;
    final ArrayDeque<PcieCommand> waiting = new ArrayDeque<>();

    CompletionQueue(int id, long base, int size, int vector, boolean interruptsEnabled) {
        this.id = id;
        this.base = base;
        this.size = size;
        this.vector = vector;
        this.interruptsEnabled = interruptsEnabled;
    }

    /** Full when one more entry would make tail equal head (section 4.1.2). */
    boolean full() {
        return (tail + 1 == size ? 0 : tail + 1) == head;
    }

    /** Entries posted that the host has not released through the head doorbell. */
    int posted() {
        return tail >= head ? tail - head : tail + size - head;
    }

    long entryAddress(int index) {
        return base + (long) index * ENTRY_SIZE;
    }

    void advanceTail() {
        tail++;
        if (tail == size) {
            tail = 0;
            phase = !phase;
        }
    }

    @Override
    public String toString() {
        return "CQ" + id;
    }
}
