package org.k200emu.bdev.dedup;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The physical block allocator of a {@link DedupBdev}: a free list of released blocks and, below
 * it, a high-water mark for blocks never used. Lock-free: the free list is a Treiber stack threaded
 * through an int array, its head tagged with a counter so a pop that raced a pop-and-push of the
 * same block (ABA) fails its compare-and-set instead of corrupting the list. Owned by its bdev.
 */
final class BlockAllocator {

    private static final int NONE = -1;

    private final int capacity;
    private final AtomicIntegerArray next;
    /** High 32 bits: tag; low 32 bits: top block or NONE. */
    private final AtomicLong head = new AtomicLong(pack(0, NONE));
    private final AtomicLong highWater = new AtomicLong();

    BlockAllocator(long capacity) {
        this.capacity = (int) capacity;
        this.next = new AtomicIntegerArray(this.capacity);
    }

    private static long pack(long tag, int block) {
        return (tag << 32) | (block & 0xFFFFFFFFL);
    }

    /** A free block, or -1 if the member is full. */
    int allocate() {
        while (true) {
            long h = head.get();
            int top = (int) h;
            if (top == NONE) {
                break;
            }
            if (head.compareAndSet(h, pack((h >>> 32) + 1, next.get(top)))) {
                return top;
            }
        }
        while (true) {
            long hw = highWater.get();
            if (hw >= capacity) {
                // A block freed meanwhile may be on the list again.
                long h = head.get();
                return (int) h == NONE ? -1 : allocate();
            }
            if (highWater.compareAndSet(hw, hw + 1)) {
                return (int) hw;
            }
        }
    }

    void free(int block) {
        while (true) {
            long h = head.get();
            next.set(block, (int) h);
            if (head.compareAndSet(h, pack((h >>> 32) + 1, block))) {
                return;
            }
        }
    }

    /** At open, before any I/O: blocks {@code [0, mark)} are accounted for by the caller. */
    void setHighWater(long mark) {
        highWater.set(mark);
    }
}
