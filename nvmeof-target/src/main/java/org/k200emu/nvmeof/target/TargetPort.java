package org.k200emu.nvmeof.target;

import java.util.Objects;
import org.k200emu.nvme.AnaState;

/**
 * One TCP listener of the target. Every port serves every subsystem and the discovery controller;
 * {@code listedInDiscovery} says whether discovery log entries name this port (a dedicated
 * discovery port such as 8009 is not an I/O port and is not listed).
 *
 * @param portId            NVMe-oF port identifier (PORTID in discovery log entries)
 * @param address           IP address to bind, and to advertise in discovery entries
 * @param port              TCP port; 0 binds an ephemeral port (tests)
 * @param listedInDiscovery whether discovery log entries point hosts at this port
 * @param ana               the port's initial ANA state (hosts with several paths prefer optimized ports)
 */
public record TargetPort(int portId, String address, int port, boolean listedInDiscovery, AnaState ana) {

    /** An optimized port. */
    public TargetPort(int portId, String address, int port, boolean listedInDiscovery) {
        this(portId, address, port, listedInDiscovery, AnaState.OPTIMIZED);
    }

    public TargetPort {
        Objects.requireNonNull(ana, "ana");
        Objects.requireNonNull(address, "address");
        if (portId < 0 || portId > 0xFFFF) {
            throw new IllegalArgumentException("port ID must be 0..65535: " + portId);
        }
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("TCP port must be 0..65535: " + port);
        }
    }
}
