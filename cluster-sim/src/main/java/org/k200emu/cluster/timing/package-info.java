/**
 * The card's timing model: what the modelled K200-LP delivers for a workload, in virtual time.
 * {@link org.k200emu.cluster.timing.TimingModel} evaluates a
 * {@link org.k200emu.cluster.timing.Workload} on a {@link org.k200emu.cluster.timing.CardProfile}
 * (data-plane cores, accelerators, the volume's {@link org.k200emu.cluster.timing.Services}) into a
 * {@link org.k200emu.cluster.timing.ModelResult}: IOPS, bandwidth, mean latency, the bottleneck
 * {@link org.k200emu.cluster.timing.Resource} and every resource's utilisation. Every constant is in
 * {@link org.k200emu.cluster.timing.CardCosts}, calibrated to the card's published figures
 * (see {@code docs/timing-model.md}).
 */
package org.k200emu.cluster.timing;
