package org.k200emu.cluster;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * Bounded lock-free ring of messages: many producers (any thread), one consumer (the thread that
 * runs the owning {@link SimCore}). Array of slots, each with a sequence number, after Dmitry
 * Vyukov's bounded queue: a producer claims a position by CAS on the tail, writes the slot, then
 * publishes it by setting the slot's sequence; the consumer takes a slot once its sequence says it
 * is published and hands it back by moving the sequence one lap ahead. No allocation after
 * construction, no locks.
 *
 * <p>Ordering: the messages of one producer thread come out in the order it offered them.
 *
 * @param <E> message type
 */
public final class MessageRing<E> {

    private static final VarHandle TAIL;
    private static final VarHandle HEAD;
    private static final VarHandle SEQUENCE = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(MessageRing.class, "tail", long.class);
            HEAD = lookup.findVarHandle(MessageRing.class, "head", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int mask;
    private final long[] sequences;
    private final Object[] slots;

    // Padding keeps the producers' hot tail and the consumer's head on different cache lines.
    @SuppressWarnings("unused")
    private long p0, p1, p2, p3, p4, p5, p6;
    private volatile long tail;
    @SuppressWarnings("unused")
    private long q0, q1, q2, q3, q4, q5, q6;
    /** Written only by the consumer (opaque), read by anyone for {@link #size()}. */
    private long head;

    /**
     * A ring of at least {@code capacity} slots (rounded up to a power of two).
     *
     * @param capacity 2 .. 2^30
     */
    public MessageRing(int capacity) {
        if (capacity < 2 || capacity > (1 << 30)) {
            throw new IllegalArgumentException("ring capacity must be in [2, 2^30]: " + capacity);
        }
        int size = Integer.highestOneBit(capacity - 1) << 1;
        this.mask = size - 1;
        this.sequences = new long[size];
        this.slots = new Object[size];
        for (int i = 0; i < size; i++) {
            sequences[i] = i;
        }
        VarHandle.releaseFence();
    }

    /** Number of slots. */
    public int capacity() {
        return mask + 1;
    }

    /**
     * Adds a message; safe from any thread.
     *
     * @return false if the ring is full (the message was not added)
     */
    public boolean offer(E message) {
        Objects.requireNonNull(message, "message");
        long position = tail;
        for (;;) {
            int index = (int) position & mask;
            long sequence = (long) SEQUENCE.getAcquire(sequences, index);
            long lag = sequence - position;
            if (lag == 0) {
                if (TAIL.compareAndSet(this, position, position + 1)) {
                    SLOT.setRelease(slots, index, message);
                    SEQUENCE.setRelease(sequences, index, position + 1);
                    return true;
                }
                position = tail;
            } else if (lag < 0) {
                // The slot still holds a message from the previous lap: the ring is full.
                return false;
            } else {
                position = tail;
            }
        }
    }

    /**
     * Takes the oldest published message; consumer thread only.
     *
     * @return the message, or null if none is published yet
     */
    @SuppressWarnings("unchecked")
    public E poll() {
        long position = head;
        int index = (int) position & mask;
        long sequence = (long) SEQUENCE.getAcquire(sequences, index);
        if (sequence != position + 1) {
            return null;
        }
        E message = (E) SLOT.getAcquire(slots, index);
        SLOT.setOpaque(slots, index, null);
        SEQUENCE.setRelease(sequences, index, position + mask + 1);
        HEAD.setOpaque(this, position + 1);
        return message;
    }

    /**
     * True if a producer has claimed a slot the consumer has not taken yet (the message may still be
     * in the middle of being written). A volatile read of the tail: host threads use it after raising
     * their parked flag, so a producer either sees the flag or this sees the message.
     */
    public boolean hasPending() {
        return tail != (long) HEAD.getOpaque(this);
    }

    /** Approximate number of messages in the ring; any thread. */
    public int size() {
        long h = (long) HEAD.getOpaque(this);
        long t = tail;
        long n = t - h;
        return (int) Math.max(0, Math.min(n, capacity()));
    }
}
