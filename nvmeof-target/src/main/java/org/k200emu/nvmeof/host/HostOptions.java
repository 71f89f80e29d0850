package org.k200emu.nvmeof.host;

import java.util.Objects;
import java.util.UUID;

/**
 * How a {@link RemoteController} connects: where, to which subsystem, as which host, and with
 * what queues and digests.
 *
 * @param address      target IP address
 * @param port         target TCP port
 * @param subnqn       subsystem NQN (the discovery NQN for a discovery controller)
 * @param hostNqn      this host's NQN
 * @param hostId       this host's identifier
 * @param ioQueues     I/O queues wanted (the controller may grant fewer); 0 for admin only
 * @param queueSize    entries per I/O queue (commands in flight: one less)
 * @param katoMillis   keep-alive timeout asked for; 0 for none
 * @param headerDigest header digests on every queue
 * @param dataDigest   data digests on every queue
 * @param commandTimeoutMillis a command outstanding this long ends its connection (which then
 *                     fails or, with reconnect, retries it); 0 for none
 * @param reconnect    after a connection fails, set the association up again with back-off
 */
public record HostOptions(String address, int port, String subnqn, String hostNqn, UUID hostId, int ioQueues,
                          int queueSize, int katoMillis, boolean headerDigest, boolean dataDigest,
                          int commandTimeoutMillis, boolean reconnect) {

    public static final String DEFAULT_HOST_NQN = "nqn.2014-08.org.k200emu:host";

    public HostOptions {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(subnqn, "subnqn");
        Objects.requireNonNull(hostNqn, "hostNqn");
        Objects.requireNonNull(hostId, "hostId");
        if (port < 1 || port > 0xFFFF) {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        if (ioQueues < 0 || ioQueues > 0xFFFE) {
            throw new IllegalArgumentException("ioQueues must be 0..65534: " + ioQueues);
        }
        if (queueSize < 2 || queueSize > 0x10000) {
            throw new IllegalArgumentException("queueSize must be 2..65536: " + queueSize);
        }
        if (katoMillis < 0) {
            throw new IllegalArgumentException("katoMillis must not be negative: " + katoMillis);
        }
        if (commandTimeoutMillis < 0) {
            throw new IllegalArgumentException("commandTimeoutMillis must not be negative: " + commandTimeoutMillis);
        }
    }

    /**
     * One I/O queue of 128 entries, 5 s keep-alive, no digests, a host ID derived from the host
     * NQN, a 30 s command timeout (as Linux's), no reconnect.
     */
    public static HostOptions of(String address, int port, String subnqn) {
        return new HostOptions(address, port, subnqn, DEFAULT_HOST_NQN,
                UUID.nameUUIDFromBytes(DEFAULT_HOST_NQN.getBytes(java.nio.charset.StandardCharsets.UTF_8)), 1, 128,
                5000, false, false, 30_000, false);
    }

    public HostOptions withReconnect(boolean on, int commandTimeout) {
        return new HostOptions(address, port, subnqn, hostNqn, hostId, ioQueues, queueSize, katoMillis, headerDigest,
                dataDigest, commandTimeout, on);
    }

    public HostOptions withIoQueues(int n, int size) {
        return new HostOptions(address, port, subnqn, hostNqn, hostId, n, size, katoMillis, headerDigest, dataDigest,
                commandTimeoutMillis, reconnect);
    }

    public HostOptions withDigests(boolean header, boolean data) {
        return new HostOptions(address, port, subnqn, hostNqn, hostId, ioQueues, queueSize, katoMillis, header, data,
                commandTimeoutMillis, reconnect);
    }

    public HostOptions withSubsystem(String nqn) {
        return new HostOptions(address, port, nqn, hostNqn, hostId, ioQueues, queueSize, katoMillis, headerDigest,
                dataDigest, commandTimeoutMillis, reconnect);
    }

    public HostOptions withHost(String nqn, UUID id) {
        return new HostOptions(address, port, subnqn, nqn, id, ioQueues, queueSize, katoMillis, headerDigest,
                dataDigest, commandTimeoutMillis, reconnect);
    }

    public HostOptions withKato(int millis) {
        return new HostOptions(address, port, subnqn, hostNqn, hostId, ioQueues, queueSize, millis, headerDigest,
                dataDigest, commandTimeoutMillis, reconnect);
    }
}
