package org.k200emu.cli.start;

/**
 * Command-line settings of {@code k200 start} that take precedence over the configuration file;
 * null means "as configured".
 *
 * @param listenAddress address for every fabric port
 * @param port          NVMe/TCP port of the first fabric listener
 * @param discoveryPort discovery-only listener port, -1 for none
 * @param hostThreads   host threads for the simulated cores
 * @param mode          standalone or coprocessor
 * @param hostPort      the host-facing NVMe/TCP port in co-processor mode (0 = any free port)
 * @param cpus          host CPUs to pin the host threads to, {@code taskset -c} syntax
 * @param nbdPort       the NBD server's port (0 = any free port); starts the NBD server even without
 *                      an {@code nbd} block (then every namespace's bdev is exported under its name)
 * @param tcpCongestion the TCP congestion control of the card's NVMe/TCP and NBD connections (null: the system's)
 */
public record StartOverrides(String listenAddress, Integer port, Integer discoveryPort, Integer hostThreads,
                             String mode, Integer hostPort, String cpus, Integer nbdPort, String tcpCongestion) {

    public StartOverrides(String listenAddress, Integer port, Integer discoveryPort, Integer hostThreads,
                          String mode, Integer hostPort, String cpus, Integer nbdPort) {
        this(listenAddress, port, discoveryPort, hostThreads, mode, hostPort, cpus, nbdPort, null);
    }

    public StartOverrides(String listenAddress, Integer port, Integer discoveryPort, Integer hostThreads) {
        this(listenAddress, port, discoveryPort, hostThreads, null, null, null, null, null);
    }

    public StartOverrides(String listenAddress, Integer port, Integer discoveryPort, Integer hostThreads,
                          String mode, Integer hostPort) {
        this(listenAddress, port, discoveryPort, hostThreads, mode, hostPort, null, null, null);
    }

    public static StartOverrides none() {
        return new StartOverrides(null, null, null, null, null, null, null, null, null);
    }
}
