/**
 * Runs simulated cores inside Netty 4.2 event loops, so the sockets of a core and the core itself
 * share one host thread (SPDK poll-group style): {@link org.k200emu.cluster.netty.CoreEventLoops}
 * builds the group, {@link org.k200emu.cluster.netty.CoreIoHandler} wraps the native epoll / NIO /
 * io_uring handler; {@link org.k200emu.cluster.netty.TcpCongestion} sets the TCP congestion
 * control of those transports' sockets.
 */
package org.k200emu.cluster.netty;
