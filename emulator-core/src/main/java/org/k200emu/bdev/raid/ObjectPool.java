package org.k200emu.bdev.raid;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * A small lock-free pool of per-I/O context objects of one {@link RaidBdev}. Each slot holds an
 * idle object or null; taking and giving are a compare-and-set on a slot, so an object is never
 * handed out twice (taking an object that was returned to the same slot in between is fine: it
 * is idle). Scans start at a per-thread position so that cores mostly touch their own slots. When
 * the pool is empty a new object is made; when it is full a returned object is left to the GC.
 */
final class ObjectPool<T> {

    private final AtomicReferenceArray<T> slots;
    private final int mask;
    private final Supplier<T> factory;

    ObjectPool(int size, Supplier<T> factory) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("pool size must be a power of two: " + size);
        }
        this.slots = new AtomicReferenceArray<>(size);
        this.mask = size - 1;
        this.factory = factory;
    }

    private int start() {
        return (int) (Thread.currentThread().getId() * 7) & mask;
    }

    T take() {
        int start = start();
        for (int i = 0; i <= mask; i++) {
            int at = (start + i) & mask;
            T o = slots.get(at);
            if (o != null && slots.compareAndSet(at, o, null)) {
                return o;
            }
        }
        return factory.get();
    }

    void give(T o) {
        int start = start();
        for (int i = 0; i <= mask; i++) {
            int at = (start + i) & mask;
            if (slots.get(at) == null && slots.compareAndSet(at, null, o)) {
                return;
            }
        }
    }
}
