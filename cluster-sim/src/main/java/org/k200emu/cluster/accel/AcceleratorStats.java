package org.k200emu.cluster.accel;

/**
 * What one cluster's engines of one kind did since the card started (a snapshot for status).
 *
 * @param cluster      the cluster; -1 for work submitted from outside the simulated cores
 * @param kind         the engines' kind
 * @param engines      engines of this kind in the cluster
 * @param jobs         jobs run
 * @param bytes        bytes processed
 * @param busyNanos    modelled engine time spent on them, summed over the engines
 * @param waitNanos    modelled time the jobs waited for a free engine, summed
 * @param utilisation  busy time / (engines x time since start): the modelled engines' mean load, 0..1
 *                     (above 1 only while jobs are queued beyond now)
 * @param backlogNanos how long from now until the busiest engine is free (0: an idle engine now)
 */
public record AcceleratorStats(int cluster, AccelKind kind, int engines, long jobs, long bytes, long busyNanos,
                               long waitNanos, double utilisation, long backlogNanos) {
}
