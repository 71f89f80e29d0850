package org.k200emu.cluster.accel;

import java.util.Arrays;
import org.k200emu.cluster.SimCore;
import org.k200emu.cluster.Timer;

/**
 * The paced jobs of one core waiting for their modelled engines, ordered by ready time (a binary
 * min-heap), with one re-armed timer for the earliest. Core thread only; grows by doubling and never
 * shrinks, so a core in steady state allocates nothing here.
 */
final class PaceQueue implements Runnable {

    private final SimCore core;
    private AccelJob[] heap = new AccelJob[16];
    private int size;
    private Timer timer;
    /** The deadline the timer is armed for, {@link Long#MAX_VALUE} when it is not. */
    private long armedFor = Long.MAX_VALUE;

    PaceQueue(SimCore core) {
        this.core = core;
    }

    /** Holds {@code job} until its ready time. */
    void add(AccelJob job) {
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = job;
        job.heapIndex = size;
        size++;
        siftUp(size - 1);
        if (job.readyAtNanos() < armedFor) {
            arm(job.readyAtNanos());
        }
    }

    int size() {
        return size;
    }

    private void arm(long deadline) {
        long delay = Math.max(0, deadline - core.now());
        if (timer == null) {
            timer = core.schedule(delay, this);
        } else {
            core.rearm(timer, delay);
        }
        armedFor = deadline;
    }

    /** The timer fired: every job whose time has come continues, in ready order. */
    @Override
    public void run() {
        armedFor = Long.MAX_VALUE;
        long now = core.now();
        while (size > 0 && heap[0].readyAtNanos() <= now) {
            AccelJob job = heap[0];
            removeFirst();
            job.work().accelDone(job);
        }
        if (size > 0 && heap[0].readyAtNanos() < armedFor) {
            arm(heap[0].readyAtNanos());
        }
    }

    private void removeFirst() {
        AccelJob first = heap[0];
        first.heapIndex = -1;
        size--;
        if (size > 0) {
            heap[0] = heap[size];
            heap[0].heapIndex = 0;
            heap[size] = null;
            siftDown(0);
        } else {
            heap[0] = null;
        }
    }

    private void siftUp(int i) {
        AccelJob j = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent].readyAtNanos() <= j.readyAtNanos()) {
                break;
            }
            heap[i] = heap[parent];
            heap[i].heapIndex = i;
            i = parent;
        }
        heap[i] = j;
        j.heapIndex = i;
    }

    private void siftDown(int i) {
        AccelJob j = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && heap[child + 1].readyAtNanos() < heap[child].readyAtNanos()) {
                child++;
            }
            if (heap[child].readyAtNanos() >= j.readyAtNanos()) {
                break;
            }
            heap[i] = heap[child];
            heap[i].heapIndex = i;
            i = child;
        }
        heap[i] = j;
        j.heapIndex = i;
    }
}
