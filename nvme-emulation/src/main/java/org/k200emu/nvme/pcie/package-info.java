/**
 * The PCIe NVMe front end: the K200-LP's "NVMe emulation", where a namespace of the card appears
 * to the x86 host as a local NVMe drive (NVMe Base Specification 1.4, PCIe transport).
 *
 * <p>{@link org.k200emu.nvme.pcie.PcieController} is the function: BAR0 registers, doorbells,
 * queues and data movement in {@link org.k200emu.nvme.pcie.HostMemory}, interrupts through
 * {@link org.k200emu.nvme.pcie.HostInterrupts}. Commands other than queue management are run by
 * the shared controller model ({@link org.k200emu.nvme.controller.NvmeController}), exactly as
 * for the NVMe/TCP target: this package only moves SQEs, data and CQEs.
 *
 * <p>Threads: one core (an {@link java.util.concurrent.Executor}) runs each controller; register
 * writes are handed to it, register reads are not. Nothing here locks on the I/O path.
 */
package org.k200emu.nvme.pcie;
