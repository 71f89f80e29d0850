package org.k200emu.cli.start;

/**
 * Command-line settings of {@code k200 start} that take precedence over the configuration file;
 * null means "as configured".
 *
 * @param listenAddress address for every port
 * @param port          NVMe/TCP port of the first listener
 * @param discoveryPort discovery-only listener port, -1 for none
 * @param hostThreads   host threads for the simulated cores
 */
public record StartOverrides(String listenAddress, Integer port, Integer discoveryPort, Integer hostThreads) {

    public static StartOverrides none() {
        return new StartOverrides(null, null, null, null);
    }
}
