/**
 * The co-processors of each MPPA cluster as a service the storage services submit work to:
 * {@link org.k200emu.cluster.accel.Accelerators} (the card's, one
 * {@link org.k200emu.cluster.accel.ClusterAccelerator} per cluster), jobs
 * ({@link org.k200emu.cluster.accel.AccelJob}, {@link org.k200emu.cluster.accel.AccelWork}) of each
 * {@link org.k200emu.cluster.accel.AccelKind}, charged with the throughput model
 * {@link org.k200emu.cluster.accel.AcceleratorModel} whose constants the timing model shares.
 */
package org.k200emu.cluster.accel;
