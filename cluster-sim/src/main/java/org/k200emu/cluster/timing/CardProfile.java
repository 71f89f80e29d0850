package org.k200emu.cluster.timing;

import java.util.Objects;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.accel.AcceleratorModel;

/**
 * The configuration of the modelled card: how many data-plane cores serve I/O, the ports, the
 * DDR, each cluster's accelerators (their throughput model, shared with the run-time
 * accelerators), whether services run on the accelerators or in software on the cores, and which
 * services are on for the volume.
 *
 * @param dataPlaneCores data-plane cores in use, 16..64: 1 to 4 of the MPPA's data-plane
 *                       clusters (cluster 0 is the control plane)
 * @param ethernetPorts  Ethernet ports on the card, 1..2
 * @param ddrBytes       DDR size, 8..32 GiB
 * @param accelerators   each cluster's co-processors: engines, throughput per kind, submit cost
 * @param offload        true: services run on the accelerators; false: in software on the cores
 * @param services       the volume's services
 */
public record CardProfile(int dataPlaneCores, int ethernetPorts, long ddrBytes, AcceleratorModel accelerators,
                          boolean offload, Services services) {

    /** Fewest data-plane cores: one cluster. */
    public static final int MIN_DATA_PLANE_CORES = MppaLayout.DEFAULT.coresPerCluster();
    /** Most data-plane cores: every cluster but the control plane's. */
    public static final int MAX_DATA_PLANE_CORES = (MppaLayout.DEFAULT.clusters()
            - MppaLayout.DEFAULT.controlPlaneClusters()) * MppaLayout.DEFAULT.coresPerCluster();
    /** Smallest DDR the card comes with. */
    public static final long MIN_DDR_BYTES = 8L << 30;
    /** Largest DDR the card comes with. */
    public static final long MAX_DDR_BYTES = 32L << 30;

    /** Checks the ranges. */
    public CardProfile {
        Objects.requireNonNull(services, "services");
        Objects.requireNonNull(accelerators, "accelerators");
        if (dataPlaneCores < MIN_DATA_PLANE_CORES || dataPlaneCores > MAX_DATA_PLANE_CORES) {
            throw new IllegalArgumentException("data-plane cores must be " + MIN_DATA_PLANE_CORES + ".."
                    + MAX_DATA_PLANE_CORES + ": " + dataPlaneCores);
        }
        if (ethernetPorts < 1 || ethernetPorts > 2) {
            throw new IllegalArgumentException("Ethernet ports must be 1..2: " + ethernetPorts);
        }
        if (ddrBytes < MIN_DDR_BYTES || ddrBytes > MAX_DDR_BYTES) {
            throw new IllegalArgumentException("DDR must be 8..32 GiB: " + ddrBytes + " bytes");
        }
    }

    /**
     * The K200-LP as {@code costs} describe it: 64 data-plane cores, both ports, offload on, no
     * service, {@link AcceleratorModel#DEFAULT_ENGINES} engines per kind at the costs' throughputs.
     */
    public static CardProfile k200(CardCosts costs) {
        return new CardProfile(MAX_DATA_PLANE_CORES, costs.ethernetPorts(), costs.ddrDefaultBytes(),
                new AcceleratorModel(AcceleratorModel.DEFAULT_ENGINES, costs.cryptoAccelBytesPerSecond(),
                        costs.hashAccelBytesPerSecond(), costs.ecAccelBytesPerSecond(), costs.accelSubmitCycles(),
                        costs.coreHz(), false),
                true, Services.NONE);
    }

    /** The K200-LP with {@link CardCosts#k200()}. */
    public static CardProfile k200() {
        return k200(CardCosts.k200());
    }

    /** One cluster's AES-XTS accelerator throughput, bytes/s. */
    public double cryptoAccelBytesPerSecond() {
        return accelerators.cryptoBytesPerSecond();
    }

    /** One cluster's hash accelerator throughput, bytes/s. */
    public double hashAccelBytesPerSecond() {
        return accelerators.hashBytesPerSecond();
    }

    /** One cluster's erasure-coding accelerator throughput, input bytes/s. */
    public double ecAccelBytesPerSecond() {
        return accelerators.ecBytesPerSecond();
    }

    /** Data-plane clusters the cores are in: the cores fill whole clusters first. */
    public int dataPlaneClusters() {
        int per = MppaLayout.DEFAULT.coresPerCluster();
        return (dataPlaneCores + per - 1) / per;
    }

    /** The same card with {@code n} data-plane cores. */
    public CardProfile withDataPlaneCores(int n) {
        return new CardProfile(n, ethernetPorts, ddrBytes, accelerators, offload, services);
    }

    /** The same card with these services. */
    public CardProfile withServices(Services s) {
        return new CardProfile(dataPlaneCores, ethernetPorts, ddrBytes, accelerators, offload, s);
    }

    /** The same card with services on the accelerators ({@code true}) or in software. */
    public CardProfile withOffload(boolean on) {
        return new CardProfile(dataPlaneCores, ethernetPorts, ddrBytes, accelerators, on, services);
    }

    /** The same card with this much DDR. */
    public CardProfile withDdrBytes(long bytes) {
        return new CardProfile(dataPlaneCores, ethernetPorts, bytes, accelerators, offload, services);
    }

    /** The same card with these accelerator throughputs per cluster, bytes/s. */
    public CardProfile withAccelerators(double crypto, double hash, double ec) {
        return withAccelerators(accelerators.withThroughput(crypto, hash, ec));
    }

    /** The same card with this accelerator model (a configured card's). */
    public CardProfile withAccelerators(AcceleratorModel model) {
        return new CardProfile(dataPlaneCores, ethernetPorts, ddrBytes, model, offload, services);
    }

    /** One line for people, e.g. {@code 64 data-plane cores (4 clusters), services none, offload}. */
    public String describe() {
        return dataPlaneCores + " data-plane cores (" + dataPlaneClusters() + " cluster"
                + (dataPlaneClusters() > 1 ? "s" : "") + "), services " + services
                + (services.none() ? "" : offload ? String.format(java.util.Locale.ROOT,
                        " on the accelerators (%d engines per kind per cluster; crypto %.1f, hash %.1f, ec %.1f GB/s"
                        + " per cluster)", accelerators.engines(), accelerators.cryptoBytesPerSecond() / 1e9,
                        accelerators.hashBytesPerSecond() / 1e9, accelerators.ecBytesPerSecond() / 1e9)
                        : " in software")
                + ", " + ethernetPorts + " x 100GbE, DDR " + (ddrBytes >> 30) + " GiB";
    }
}
