package org.k200emu.bdev;

/** The operations of the bdev layer: what an NVMe I/O command becomes below the namespace. */
public enum BdevOp {
    READ,
    WRITE,
    FLUSH,
    WRITE_ZEROES,
    /** Deallocate (trim): later reads of the range return zeroes. */
    UNMAP
}
