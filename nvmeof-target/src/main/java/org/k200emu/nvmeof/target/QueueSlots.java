package org.k200emu.nvmeof.target;

/**
 * The preallocated command slots of one queue pair, with a stack of free slot indexes. Confined
 * to the queue pair's event loop: no locks, no allocation after construction.
 */
final class QueueSlots {

    private final TcpCommand[] commands;
    private final int[] free;
    private int freeCount;

    QueueSlots(int size) {
        commands = new TcpCommand[size];
        free = new int[size];
        for (int i = 0; i < size; i++) {
            commands[i] = new TcpCommand(i);
            free[i] = size - 1 - i;
        }
        freeCount = size;
    }

    int size() {
        return commands.length;
    }

    int inUse() {
        return commands.length - freeCount;
    }

    /** A free slot, reset, or null when the host has more commands outstanding than its queue holds. */
    TcpCommand acquire() {
        if (freeCount == 0) {
            return null;
        }
        TcpCommand c = commands[free[--freeCount]];
        c.reset();
        return c;
    }

    void release(TcpCommand c) {
        free[freeCount++] = c.slot;
    }

    /** The slot with this index (an R2T transfer tag), or null if out of range. */
    TcpCommand get(int slot) {
        return slot >= 0 && slot < commands.length ? commands[slot] : null;
    }
}
