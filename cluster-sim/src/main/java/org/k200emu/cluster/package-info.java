/**
 * The simulated MPPA Coolidge chip of the K200-LP: {@link org.k200emu.cluster.Mppa} (5 clusters x 16
 * {@link org.k200emu.cluster.SimCore}s, cluster 0 control plane), each core a run-to-completion
 * agent with a lock-free message ring, pollers and timers; {@link org.k200emu.cluster.CorePlacement}
 * onto host threads run by {@link org.k200emu.cluster.HostThreads} (or by Netty event loops, see
 * {@code org.k200emu.cluster.netty}), and {@link org.k200emu.cluster.StepRunner} for deterministic
 * tests on a {@link org.k200emu.cluster.VirtualClock}.
 */
package org.k200emu.cluster;
