package org.k200emu.nvme.controller;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters behind the SMART / Health Information log: updated by I/O queues on several
 * threads through striped adders (no lock, no contention), summed when the log is read.
 */
final class HealthCounters {
    final LongAdder bytesRead = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();
    final LongAdder readCommands = new LongAdder();
    final LongAdder writeCommands = new LongAdder();
    final LongAdder mediaErrors = new LongAdder();

    /** Data units as the log counts them: thousands of 512-byte units, rounded up. */
    static long dataUnits(long bytes) {
        long units512 = (bytes + 511) / 512;
        return (units512 + 999) / 1000;
    }
}
