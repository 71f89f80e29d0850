package org.k200emu.cluster.timing;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.k200emu.cluster.accel.AccelKind;
import org.k200emu.cluster.accel.AcceleratorModel;

/**
 * The card's timing model: what the modelled K200-LP delivers for a workload, computed in
 * virtual time from {@link CardCosts} (nothing is measured on the host).
 *
 * <p><b>Method.</b> For one read and one write of the workload's block size the model adds up
 * what the I/O costs on every rate {@link Resource}: data-plane core cycles (transport, NVMe
 * controller, bdev, services done in software, accelerator submissions), bytes through each
 * accelerator, bytes on the wire in each Ethernet direction (headers, PDUs and ACKs included),
 * bytes over PCIe in each direction (payload, parity, read-modify-write reads, command overhead)
 * and bytes across DDR. The workload's mean cost is the mix of the two by its read share. Each
 * resource then allows {@code capacity / cost} IOPS; the lowest is the card's saturation
 * throughput and that resource the bottleneck.
 *
 * <p>An I/O alone in the card takes the unloaded latency: the transport's fixed pipeline latency
 * (host stack, NICs, switch), the core time of its cycles on one core at 1.2 GHz, the time on the
 * wire and over PCIe, each service's job on one accelerator engine (as the run-time accelerators
 * charge it, {@link AcceleratorModel#serviceNanos}), and the extra round trips (R2T, RDMA READ, an
 * erasure code's read-modify-write). With {@code N = iodepth x queuePairs} I/Os in flight the
 * throughput is {@code min(saturation, N / unloadedLatency)} and the mean latency
 * {@code N / throughput} (Little's law): the unloaded latency below saturation, growing linearly
 * with {@code N} above it. These are the asymptotic bounds of a closed queueing network: near the
 * knee a real card queues a little earlier.
 *
 * <p>One queue pair is served by one core (run to completion, as the card's NVMe-oF target does),
 * so a workload with fewer queue pairs than data-plane cores uses only as many cores, and as many
 * clusters' accelerators and ports as it has queue pairs. I/O buffers come from a pool in DDR;
 * when the I/Os in flight do not fit, the card works on as many as fit and the rest wait in the
 * submission queues.
 *
 * <p>Immutable and thread-safe.
 */
public final class TimingModel {

    /** The data-plane core counts of the standard sweep: one to four clusters. */
    public static final List<Integer> SWEEP_CORES = List.of(16, 32, 48, 64);

    private final CardCosts costs;

    /** A model with these costs. */
    public TimingModel(CardCosts costs) {
        this.costs = Objects.requireNonNull(costs, "costs");
    }

    /** The K200-LP's model: {@link CardCosts#k200()}. */
    public static TimingModel k200() {
        return new TimingModel(CardCosts.k200());
    }

    /** The costs this model uses. */
    public CardCosts costs() {
        return costs;
    }

    /** What {@code card} delivers for {@code workload}. */
    public ModelResult evaluate(CardProfile card, Workload workload) {
        Objects.requireNonNull(card, "card");
        Objects.requireNonNull(workload, "workload");
        double p = workload.readFraction();
        Demand read = perIo(card, workload, true);
        Demand write = perIo(card, workload, false);
        Demand mean = Demand.mix(read, p, write);

        int usableCores = Math.min(card.dataPlaneCores(), workload.queuePairs());
        int usableClusters = Math.min(card.dataPlaneClusters(), workload.queuePairs());
        int usablePorts = Math.min(Math.min(workload.paths(), card.ethernetPorts()), workload.queuePairs());
        Map<Resource, Double> capacity = new EnumMap<>(Resource.class);
        capacity.put(Resource.DP_CORES, usableCores * costs.usableCyclesPerSecondPerCore());
        capacity.put(Resource.CRYPTO_ACCEL, usableClusters * card.cryptoAccelBytesPerSecond());
        capacity.put(Resource.HASH_ACCEL, usableClusters * card.hashAccelBytesPerSecond());
        capacity.put(Resource.EC_ACCEL, usableClusters * card.ecAccelBytesPerSecond());
        capacity.put(Resource.ETH_RX, usablePorts * costs.ethernetPortBytesPerSecond());
        capacity.put(Resource.ETH_TX, usablePorts * costs.ethernetPortBytesPerSecond());
        capacity.put(Resource.PCIE_RX, costs.pcieBytesPerSecond());
        capacity.put(Resource.PCIE_TX, costs.pcieBytesPerSecond());
        capacity.put(Resource.DDR_BW, costs.ddrUsableBytesPerSecond());

        Map<Resource, Double> limits = new EnumMap<>(Resource.class);
        Resource bottleneck = null;
        double saturation = Double.POSITIVE_INFINITY;
        for (Map.Entry<Resource, Double> e : capacity.entrySet()) {
            double cost = mean.of(e.getKey());
            if (cost > 0) {
                double limit = e.getValue() / cost;
                limits.put(e.getKey(), limit);
                if (limit < saturation) {
                    saturation = limit;
                    bottleneck = e.getKey();
                }
            }
        }
        if (bottleneck == null) {
            throw new IllegalStateException("no resource has a cost: " + workload);
        }

        long pool = (long) (card.ddrBytes() * costs.ddrBufferPoolFraction());
        long queueBytes = workload.queuePairs() * costs.ddrBytesPerQueuePair();
        double bufferPerIo = Math.max(p > 0 ? read.buffer : 0, p < 1 ? write.buffer : 0);
        long outstanding = workload.outstanding();
        long fit = (long) Math.max(1, Math.floor((pool - queueBytes) / bufferPerIo));
        long effective = Math.min(outstanding, fit);
        long bufferBytes = queueBytes + (long) Math.ceil(outstanding * bufferPerIo);

        double unloaded = mean.latencyNanos;
        double latencyBound = effective / (unloaded * 1e-9);
        double iops;
        if (latencyBound < saturation) {
            iops = latencyBound;
            bottleneck = Resource.IODEPTH;
        } else {
            iops = saturation;
        }
        double latency = outstanding / iops * 1e9;
        Map<Resource, Double> utilisation = new EnumMap<>(Resource.class);
        for (Map.Entry<Resource, Double> e : limits.entrySet()) {
            utilisation.put(e.getKey(), iops / e.getValue());
        }
        return new ModelResult(workload, card, iops, iops * workload.blockSize(), latency, unloaded, bottleneck,
                utilisation, limits, usableCores, usablePorts, outstanding, effective, bufferBytes, pool,
                mean.of(Resource.DP_CORES));
    }

    /** {@link #evaluate} for each of {@code dataPlaneCores}, in order. */
    public List<ModelResult> sweepCores(CardProfile card, Workload workload, List<Integer> dataPlaneCores) {
        List<ModelResult> results = new ArrayList<>(dataPlaneCores.size());
        for (int n : dataPlaneCores) {
            results.add(evaluate(card.withDataPlaneCores(n), workload));
        }
        return results;
    }

    /** What one read ({@code read}) or one write of the workload's block size costs. */
    private Demand perIo(CardProfile card, Workload w, boolean read) {
        CardCosts c = costs;
        Demand d = new Demand();
        double b = w.blockSize();
        Services s = card.services();
        double pcieRate = c.pcieBytesPerSecond();

        if (w.transport() == Transport.TCP) {
            tcp(d, w, read, b);
        } else {
            rdma(d, read, b);
        }
        d.cycles(c.controllerCyclesPerCommand());
        d.buffer += b;
        d.add(Resource.DDR_BW, c.ddrCrossingsPerByte() * b);

        // Services on the payload: decrypt / verify after a read, encrypt / hash before a write.
        if (s.encryption()) {
            service(d, card, Resource.CRYPTO_ACCEL, AccelKind.CRYPTO, b, c.aesXtsSoftwareCyclesPerByte());
            d.add(Resource.DDR_BW, 2 * b);
            d.buffer += b;
        }
        if (s.hashing()) {
            service(d, card, Resource.HASH_ACCEL, AccelKind.HASH, b, c.hashSoftwareCyclesPerByte());
            d.add(Resource.DDR_BW, b);
        }

        // The backend, over PCIe: one command, or the strips of an erasure-coded volume.
        double strip = c.ecStripUnitBytes();
        double commands;
        double toCard;
        double fromCard;
        if (read) {
            commands = s.hasErasureCode() ? Math.ceil(b / strip) : 1;
            toCard = b;
            fromCard = 0;
            d.latencyNanos += b / pcieRate * 1e9;
        } else if (!s.hasErasureCode()) {
            commands = 1;
            toCard = 0;
            fromCard = b;
            d.latencyNanos += b / pcieRate * 1e9;
        } else {
            int k = s.erasureCode().k();
            int m = s.erasureCode().m();
            double strips = Math.ceil(b / strip);
            double stripe = k * strip;
            double parity;
            double rmwRead;
            double ecInput;
            if (b >= stripe) {
                // Full stripes: parity computed from the new data alone.
                parity = b * m / k;
                rmwRead = 0;
                ecInput = b;
                commands = strips + m * Math.ceil(b / stripe);
            } else {
                // Partial stripe: read the old data and parity, write the new ones (read-modify-write).
                double range = Math.min(b, strip);
                parity = m * range;
                rmwRead = b + parity;
                ecInput = rmwRead + b;
                commands = 2 * (strips + m);
            }
            service(d, card, Resource.EC_ACCEL, AccelKind.ERASURE_CODE, ecInput,
                    c.ecSoftwareCyclesPerBytePerParity() * m);
            toCard = rmwRead;
            fromCard = b + parity;
            d.add(Resource.DDR_BW, ecInput + 2 * parity + rmwRead);
            d.buffer += parity + rmwRead;
            d.latencyNanos += (rmwRead + fromCard) / pcieRate * 1e9;
        }
        d.cycles(commands * c.bdevCyclesPerCommand() + c.bdevCyclesPerByte() * b);
        d.add(Resource.PCIE_RX, toCard + commands * c.pcieBytesPerBackendCommand());
        d.add(Resource.PCIE_TX, fromCard + commands * c.pcieBytesPerBackendCommand());

        // The whole I/O runs to completion on its queue pair's core.
        d.latencyNanos += d.of(Resource.DP_CORES) / c.coreHz() * 1e9;
        return d;
    }

    /** NVMe/TCP: PDUs, TCP/IP packets and ACKs, the stack's cycles and its pass over the payload. */
    private void tcp(Demand d, Workload w, boolean read, double b) {
        CardCosts c = costs;
        double hd = w.headerDigest() ? c.tcpDigestBytes() : 0;
        double dd = w.dataDigest() ? c.tcpDigestBytes() : 0;
        double rx;
        double tx;
        int pdus;
        if (read) {
            rx = c.tcpCommandPduBytes() + hd;
            tx = c.tcpDataPduHeaderBytes() + hd + b + dd + c.tcpResponsePduBytes() + hd;
            pdus = 3;
        } else if (b <= c.inCapsuleBytes()) {
            rx = c.tcpCommandPduBytes() + hd + b + dd;
            tx = c.tcpResponsePduBytes() + hd;
            pdus = 2;
        } else {
            rx = c.tcpCommandPduBytes() + hd + c.tcpDataPduHeaderBytes() + hd + b + dd;
            tx = c.tcpR2tPduBytes() + hd + c.tcpResponsePduBytes() + hd;
            pdus = 4;
            d.cycles(c.tcpCyclesPerR2t());
            d.latencyNanos += c.tcpR2tLatencyNanos();
        }
        d.cycles(c.tcpCyclesPerCommand() + c.tcpCyclesPerByte() * b
                + (w.headerDigest() ? pdus * c.tcpHeaderDigestCyclesPerPdu() : 0)
                + (w.dataDigest() ? c.crc32cCyclesPerByte() * b : 0));
        double wireRx = tcpWire(rx) + tcpAcks(tx);
        double wireTx = tcpWire(tx) + tcpAcks(rx);
        d.add(Resource.ETH_RX, wireRx);
        d.add(Resource.ETH_TX, wireTx);
        d.add(Resource.DDR_BW, c.tcpExtraDdrCrossingsPerByte() * b);
        d.latencyNanos += c.tcpFixedLatencyNanos() + (wireRx + wireTx) / c.ethernetPortBytesPerSecond() * 1e9;
    }

    /** Line bytes of a TCP stream of {@code bytes}: packets of an MSS each, with their headers and framing. */
    private double tcpWire(double bytes) {
        return bytes * (1 + (double) costs.tcpPacketOverheadBytes() / costs.tcpMssBytes());
    }

    /** Line bytes of the pure ACKs the receiver of a stream of {@code bytes} sends back. */
    private double tcpAcks(double bytes) {
        return bytes / costs.tcpMssBytes() * costs.tcpAckBytesPerSegment();
    }

    /** NVMe/RoCE: SENDs for capsules, RDMA WRITE (reads) or READ (large writes) for data, RC ACKs. */
    private void rdma(Demand d, boolean read, double b) {
        CardCosts c = costs;
        double ack = c.roceAckBytesPerMessage();
        double command = roceMessage(c.nvmeCommandBytes());
        double response = roceMessage(c.nvmeCompletionBytes());
        double rx;
        double tx;
        if (read) {
            rx = command + 2 * ack;
            tx = roceMessage(c.rdmaExtendedHeaderBytes() + b) + response + ack;
        } else if (b <= c.inCapsuleBytes()) {
            rx = roceMessage(c.nvmeCommandBytes() + b) + ack;
            tx = response + ack;
        } else {
            rx = command + roceMessage(b) + ack;
            tx = roceMessage(c.rdmaExtendedHeaderBytes()) + response + ack;
            d.cycles(c.rdmaCyclesPerRdmaRead());
            d.latencyNanos += c.rdmaReadLatencyNanos();
        }
        d.cycles(c.rdmaCyclesPerCommand());
        d.add(Resource.ETH_RX, rx);
        d.add(Resource.ETH_TX, tx);
        d.latencyNanos += c.roceFixedLatencyNanos() + (rx + tx) / c.ethernetPortBytesPerSecond() * 1e9;
    }

    /** Line bytes of one RDMA message of {@code bytes}: packets of the path MTU with their headers. */
    private double roceMessage(double bytes) {
        return bytes + Math.max(1, Math.ceil(bytes / costs.roceMtuBytes())) * costs.rocePacketOverheadBytes();
    }

    /**
     * A service over {@code bytes}: one job on one of the cluster's engines of {@code kind}, charged
     * as the run-time accelerators charge it ({@link AcceleratorModel}), or in software on the core.
     */
    private void service(Demand d, CardProfile card, Resource accelerator, AccelKind kind, double bytes,
                         double softwareCyclesPerByte) {
        if (card.offload()) {
            AcceleratorModel a = card.accelerators();
            d.cycles(a.submitCycles());
            d.add(accelerator, bytes);
            d.latencyNanos += a.serviceNanos(kind, (long) Math.ceil(bytes));
        } else {
            d.cycles(softwareCyclesPerByte * bytes);
        }
    }

    /** What one I/O costs on each rate resource, plus its buffer and its unloaded latency. */
    private static final class Demand {
        private final double[] perResource = new double[Resource.values().length];
        /** DDR buffer bytes the I/O holds while in flight. */
        double buffer;
        /** The I/O's latency alone in the card, ns. */
        double latencyNanos;

        void add(Resource r, double amount) {
            perResource[r.ordinal()] += amount;
        }

        void cycles(double amount) {
            add(Resource.DP_CORES, amount);
        }

        double of(Resource r) {
            return perResource[r.ordinal()];
        }

        /** The mean of {@code read} (share {@code p}) and {@code write}. */
        static Demand mix(Demand read, double p, Demand write) {
            Demand m = new Demand();
            for (int i = 0; i < m.perResource.length; i++) {
                m.perResource[i] = p * read.perResource[i] + (1 - p) * write.perResource[i];
            }
            m.buffer = p * read.buffer + (1 - p) * write.buffer;
            m.latencyNanos = p * read.latencyNanos + (1 - p) * write.latencyNanos;
            return m;
        }
    }
}
