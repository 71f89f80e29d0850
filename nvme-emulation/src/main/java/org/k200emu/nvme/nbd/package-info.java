/**
 * The card's NBD export: a bdev of the card (any stack: malloc, file, remote, storage services)
 * served over the Network Block Device protocol, so that QEMU's own emulated NVMe controller
 * ({@code -device nvme,drive=...} over {@code -drive driver=nbd,...}) can show it to a guest
 * kernel as a local PCIe NVMe drive. QEMU 7.2 has no vfio-user client, so it cannot reach the
 * card's own PCIe front end ({@link org.k200emu.nvme.pcie}); NBD is the block-level bridge.
 *
 * <p>It lives in nvme-emulation because this module holds the card's host-facing front ends
 * (what the card's host sees as its drives); it needs no NVMe/TCP code, only the bdev layer and
 * the card's event loops.
 *
 * <p>{@link org.k200emu.nvme.nbd.NbdServer} listens and owns the connections;
 * {@link org.k200emu.nvme.nbd.NbdConnection} runs one connection on the event loop that accepted
 * it: fixed-newstyle negotiation, then transmission with preallocated request slots submitting
 * to the bdev through reusable {@link org.k200emu.bdev.BdevIo}s, completions on a data-plane core
 * of the same host thread, pooled direct buffers, simple replies. Nothing locks on the I/O path.
 * Protocol reference: the NBD protocol document ({@code doc/proto.md} of the reference
 * implementation).
 */
package org.k200emu.nvme.nbd;
