package org.k200emu.cluster;

import java.util.Arrays;

/**
 * The timers of one core: a binary min-heap ordered by (deadline, schedule order). Core thread
 * only, so no synchronisation; it grows by doubling and never shrinks, so a core in steady state
 * does not allocate here.
 */
final class TimerQueue {

    private final SimCore core;
    private Timer[] heap = new Timer[16];
    private int size;
    private long nextSequence;

    TimerQueue(SimCore core) {
        this.core = core;
    }

    void checkThread() {
        core.checkOwnerThread("timers");
    }

    int size() {
        return size;
    }

    long nextDeadline() {
        return size == 0 ? Long.MAX_VALUE : heap[0].deadlineNanos;
    }

    Timer peek() {
        return size == 0 ? null : heap[0];
    }

    void add(Timer timer) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        timer.sequence = nextSequence++;
        timer.heapIndex = size;
        heap[size] = timer;
        size++;
        siftUp(timer.heapIndex);
    }

    /** Removes and returns the earliest timer (callers check it is due first). */
    Timer poll() {
        Timer first = heap[0];
        removeAt(0);
        return first;
    }

    boolean remove(Timer timer) {
        int i = timer.heapIndex;
        if (i < 0 || i >= size || heap[i] != timer) {
            return false;
        }
        removeAt(i);
        return true;
    }

    private void removeAt(int i) {
        Timer removed = heap[i];
        removed.heapIndex = -1;
        size--;
        if (i == size) {
            heap[size] = null;
            return;
        }
        Timer last = heap[size];
        heap[size] = null;
        heap[i] = last;
        last.heapIndex = i;
        siftDown(i);
        if (heap[i] == last) {
            siftUp(i);
        }
    }

    private static boolean before(Timer a, Timer b) {
        if (a.deadlineNanos != b.deadlineNanos) {
            return a.deadlineNanos < b.deadlineNanos;
        }
        return a.sequence < b.sequence;
    }

    private void siftUp(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Timer p = heap[parent];
            if (!before(t, p)) {
                break;
            }
            heap[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        heap[i] = t;
        t.heapIndex = i;
    }

    private void siftDown(int i) {
        Timer t = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && before(heap[right], heap[child])) {
                child = right;
            }
            if (!before(heap[child], t)) {
                break;
            }
            heap[i] = heap[child];
            heap[i].heapIndex = i;
            i = child;
        }
        heap[i] = t;
        t.heapIndex = i;
    }
}
