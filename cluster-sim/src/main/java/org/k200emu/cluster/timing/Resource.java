package org.k200emu.cluster.timing;

/**
 * What can limit the modelled card's throughput: each rate resource has a capacity per second
 * and a cost per I/O; {@link #IODEPTH} stands for the workload itself, when too few I/Os are in
 * flight to saturate any resource (the throughput is then latency-bound).
 */
public enum Resource {
    /** Data-plane core cycles (only the cores the queue pairs are spread over). */
    DP_CORES("dp-cores", "data-plane core cycles"),
    /** The clusters' AES-XTS accelerators. */
    CRYPTO_ACCEL("crypto-accel", "AES-XTS accelerators"),
    /** The clusters' hash accelerators. */
    HASH_ACCEL("hash-accel", "hash accelerators"),
    /** The clusters' erasure-coding accelerators. */
    EC_ACCEL("ec-accel", "erasure-coding accelerators"),
    /** Ethernet, host to card (write data, commands). */
    ETH_RX("eth-rx", "Ethernet, host to card"),
    /** Ethernet, card to host (read data, responses). */
    ETH_TX("eth-tx", "Ethernet, card to host"),
    /** PCIe, backend to card (read data). */
    PCIE_RX("pcie-rx", "PCIe, backend to card"),
    /** PCIe, card to backend (write data, parity). */
    PCIE_TX("pcie-tx", "PCIe, card to backend"),
    /** DDR bandwidth. */
    DDR_BW("ddr-bw", "DDR bandwidth"),
    /** Not a resource: too few I/Os in flight (iodepth x queue pairs) to saturate one. */
    IODEPTH("iodepth", "I/Os in flight (latency-bound)");

    private final String id;
    private final String description;

    Resource(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** The short name used in reports: {@code dp-cores}, {@code eth-tx}... */
    public String id() {
        return id;
    }

    /** One line for people. */
    public String description() {
        return description;
    }

    /** True for the Ethernet directions. */
    public boolean network() {
        return this == ETH_RX || this == ETH_TX;
    }

    /** True for the PCIe directions. */
    public boolean pcie() {
        return this == PCIE_RX || this == PCIE_TX;
    }

    /** True for the accelerators. */
    public boolean accelerator() {
        return this == CRYPTO_ACCEL || this == HASH_ACCEL || this == EC_ACCEL;
    }
}
