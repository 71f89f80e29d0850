package org.k200emu.nvme.subsystem;

import java.util.List;

/**
 * What the discovery controller reports: implemented by the fabric target, which knows its ports
 * and which subsystems each host may reach.
 */
public interface DiscoveryLogSource {

    /** The entries a host with this NQN may see. */
    List<DiscoveryEntry> entries(String hostNqn);

    /** Discovery log generation counter (GENCTR); changes whenever the entries may have changed. */
    long generation();
}
