package org.k200emu.nvme.pcie;

import java.util.Arrays;

/**
 * Where one command's data lies in host memory: the ranges its PRPs or SGL describe, in
 * transfer order, with physically adjacent ranges merged. One per queue slot, reused; the arrays
 * grow to the largest command the slot has carried and stay that size.
 */
final class DmaList {

    private long[] addresses = new long[4];
    private int[] lengths = new int[4];
    private int count;

    void clear() {
        count = 0;
    }

    /** Appends a range; one that continues the previous range extends it. */
    void add(long address, int length) {
        if (length == 0) {
            return;
        }
        if (count > 0) {
            int last = count - 1;
            if (addresses[last] + lengths[last] == address && lengths[last] <= Integer.MAX_VALUE - length) {
                lengths[last] += length;
                return;
            }
        }
        if (count == addresses.length) {
            addresses = Arrays.copyOf(addresses, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
        }
        addresses[count] = address;
        lengths[count] = length;
        count++;
    }

    int count() {
        return count;
    }

    long address(int i) {
        return addresses[i];
    }

    int length(int i) {
        return lengths[i];
    }
}
