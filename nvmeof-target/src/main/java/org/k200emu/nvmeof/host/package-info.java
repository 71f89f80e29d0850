/**
 * The NVMe/TCP host (initiator): {@link org.k200emu.nvmeof.host.RemoteController} sets up a
 * controller association on any NVMe/TCP target, {@link org.k200emu.nvmeof.host.HostQueuePair}
 * runs one of its queues on a Netty event loop with preallocated command slots. Used by the
 * card's co-processor mode and by the {@code k200 bench} load generator.
 */
package org.k200emu.nvmeof.host;
