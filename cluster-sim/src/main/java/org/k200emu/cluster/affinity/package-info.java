/**
 * Pinning host threads to host CPUs: the event loops that run the simulated cores (and the
 * initiator's loops in {@code k200 bench}) each stay on one CPU, as SPDK's reactors do, so a
 * benchmark measures a fixed set of cores and the scheduler does not move a polling loop between
 * them. {@link org.k200emu.cluster.affinity.CpuList} parses the {@code taskset -c} list syntax;
 * {@link org.k200emu.cluster.affinity.CpuAffinity} makes the Linux {@code sched_setaffinity}
 * call through jnr-ffi (the JDK has no API for it).
 */
package org.k200emu.cluster.affinity;
