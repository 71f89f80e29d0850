package org.k200emu.cluster.timing;

import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.accel.AcceleratorModel;

/**
 * Every constant of the timing model, in one place: what each data-plane operation costs in core
 * cycles, what each link and memory can carry, the protocol overheads on the wire, and the fixed
 * latencies of the pipeline. {@link #k200()} gives the K200-LP's values; each of them is commented
 * there with what it stands for and where its value comes from. {@code docs/timing-model.md}
 * explains the calibration as a whole.
 *
 * <p>Values come in three kinds: <b>physical</b> (clock, link rates, protocol header sizes: from
 * the card's data sheet and the protocol specifications), <b>estimated</b> (efficiencies and
 * per-byte software costs: typical figures for this class of hardware), and <b>calibrated</b>
 * (the per-command cycle costs and the fixed latencies: solved so that the model reproduces the
 * card's published figures, see the calibration table in the documentation).
 *
 * @param coreHz                          data-plane core clock, Hz
 * @param coreUsableFraction              share of a data-plane core's cycles available to I/O work
 * @param tcpCyclesPerCommand             NVMe/TCP transport cycles per command
 * @param tcpCyclesPerByte                NVMe/TCP transport cycles per payload byte
 * @param tcpCyclesPerR2t                 extra cycles for an R2T exchange (writes beyond in-capsule data)
 * @param tcpHeaderDigestCyclesPerPdu     CRC32C of one PDU header (hdgst)
 * @param crc32cCyclesPerByte             CRC32C per payload byte (ddgst)
 * @param rdmaCyclesPerCommand            NVMe/RDMA transport cycles per command
 * @param rdmaCyclesPerRdmaRead           extra cycles to post and complete an RDMA READ
 * @param controllerCyclesPerCommand      NVMe controller model cycles per command
 * @param bdevCyclesPerCommand            bdev layer cycles per backend command
 * @param bdevCyclesPerByte               bdev layer cycles per payload byte
 * @param accelSubmitCycles               cycles to submit one job to an accelerator and reap it
 * @param aesXtsSoftwareCyclesPerByte     AES-XTS in software, cycles per byte
 * @param ecSoftwareCyclesPerBytePerParity Reed-Solomon in software, cycles per input byte per parity
 * @param hashSoftwareCyclesPerByte       SHA-256 in software, cycles per byte
 * @param cryptoAccelBytesPerSecond       one cluster's AES-XTS accelerator, bytes/s
 * @param hashAccelBytesPerSecond         one cluster's hash accelerator, bytes/s
 * @param ecAccelBytesPerSecond           one cluster's erasure-coding accelerator, input bytes/s
 * @param ecStripUnitBytes                erasure-coding strip unit (bytes per data strip)
 * @param ethernetPortBitsPerSecond       line rate of one Ethernet port, bits/s
 * @param ethernetPorts                   Ethernet ports on the card
 * @param tcpMssBytes                     TCP payload per packet
 * @param tcpPacketOverheadBytes          wire bytes per TCP packet besides its payload
 * @param tcpAckBytesPerSegment           wire bytes of pure ACKs per segment received
 * @param inCapsuleBytes                  largest write carried inside the command capsule (TCP and RDMA)
 * @param tcpCommandPduBytes              CapsuleCmd PDU: common header and SQE
 * @param tcpResponsePduBytes             CapsuleResp PDU: common header and CQE
 * @param tcpDataPduHeaderBytes           C2HData / H2CData PDU header
 * @param tcpR2tPduBytes                  R2T PDU
 * @param tcpDigestBytes                  one header or data digest
 * @param roceMtuBytes                    RoCE path MTU: payload per packet
 * @param rocePacketOverheadBytes         wire bytes per RoCE v2 packet besides its payload
 * @param roceAckBytesPerMessage          wire bytes of the RC acknowledgement of one message
 * @param rdmaExtendedHeaderBytes         RETH of an RDMA WRITE or READ request
 * @param nvmeCommandBytes                NVMe submission queue entry
 * @param nvmeCompletionBytes             NVMe completion queue entry
 * @param pcieRawBytesPerSecond           PCIe raw bandwidth per direction, bytes/s
 * @param pcieEfficiency                  share of the raw PCIe bandwidth left for payload
 * @param pcieBytesPerBackendCommand      PCIe bytes per backend command in each direction besides payload
 * @param ddrBytesPerSecond               DDR peak bandwidth, bytes/s
 * @param ddrEfficiency                   share of the DDR peak bandwidth that is usable
 * @param ddrCrossingsPerByte             DDR crossings per payload byte with no service (NIC and PCIe DMA)
 * @param tcpExtraDdrCrossingsPerByte     extra DDR crossings per payload byte of the TCP stack
 * @param ddrDefaultBytes                 DDR size of the default card
 * @param ddrBufferPoolFraction           share of the DDR set aside for I/O buffers
 * @param ddrBytesPerQueuePair            DDR per queue pair (socket buffers, rings)
 * @param tcpFixedLatencyNanos            fixed pipeline latency of an NVMe/TCP I/O, ns
 * @param roceFixedLatencyNanos           fixed pipeline latency of an NVMe/RoCE I/O, ns
 * @param tcpR2tLatencyNanos              extra latency of an R2T round trip, ns
 * @param rdmaReadLatencyNanos            extra latency of an RDMA READ round trip, ns
 */
public record CardCosts(
        double coreHz,
        double coreUsableFraction,
        double tcpCyclesPerCommand,
        double tcpCyclesPerByte,
        double tcpCyclesPerR2t,
        double tcpHeaderDigestCyclesPerPdu,
        double crc32cCyclesPerByte,
        double rdmaCyclesPerCommand,
        double rdmaCyclesPerRdmaRead,
        double controllerCyclesPerCommand,
        double bdevCyclesPerCommand,
        double bdevCyclesPerByte,
        double accelSubmitCycles,
        double aesXtsSoftwareCyclesPerByte,
        double ecSoftwareCyclesPerBytePerParity,
        double hashSoftwareCyclesPerByte,
        double cryptoAccelBytesPerSecond,
        double hashAccelBytesPerSecond,
        double ecAccelBytesPerSecond,
        int ecStripUnitBytes,
        double ethernetPortBitsPerSecond,
        int ethernetPorts,
        int tcpMssBytes,
        int tcpPacketOverheadBytes,
        double tcpAckBytesPerSegment,
        int inCapsuleBytes,
        int tcpCommandPduBytes,
        int tcpResponsePduBytes,
        int tcpDataPduHeaderBytes,
        int tcpR2tPduBytes,
        int tcpDigestBytes,
        int roceMtuBytes,
        int rocePacketOverheadBytes,
        int roceAckBytesPerMessage,
        int rdmaExtendedHeaderBytes,
        int nvmeCommandBytes,
        int nvmeCompletionBytes,
        double pcieRawBytesPerSecond,
        double pcieEfficiency,
        int pcieBytesPerBackendCommand,
        double ddrBytesPerSecond,
        double ddrEfficiency,
        double ddrCrossingsPerByte,
        double tcpExtraDdrCrossingsPerByte,
        long ddrDefaultBytes,
        double ddrBufferPoolFraction,
        long ddrBytesPerQueuePair,
        double tcpFixedLatencyNanos,
        double roceFixedLatencyNanos,
        double tcpR2tLatencyNanos,
        double rdmaReadLatencyNanos) {

    /** Checks that rates, sizes and fractions are in range. */
    public CardCosts {
        positive("coreHz", coreHz);
        fraction("coreUsableFraction", coreUsableFraction);
        positive("cryptoAccelBytesPerSecond", cryptoAccelBytesPerSecond);
        positive("hashAccelBytesPerSecond", hashAccelBytesPerSecond);
        positive("ecAccelBytesPerSecond", ecAccelBytesPerSecond);
        positive("ecStripUnitBytes", ecStripUnitBytes);
        positive("ethernetPortBitsPerSecond", ethernetPortBitsPerSecond);
        positive("ethernetPorts", ethernetPorts);
        positive("tcpMssBytes", tcpMssBytes);
        positive("roceMtuBytes", roceMtuBytes);
        positive("pcieRawBytesPerSecond", pcieRawBytesPerSecond);
        fraction("pcieEfficiency", pcieEfficiency);
        positive("ddrBytesPerSecond", ddrBytesPerSecond);
        fraction("ddrEfficiency", ddrEfficiency);
        positive("ddrDefaultBytes", ddrDefaultBytes);
        fraction("ddrBufferPoolFraction", ddrBufferPoolFraction);
        double[] nonNegative = {tcpCyclesPerCommand, tcpCyclesPerByte, tcpCyclesPerR2t, tcpHeaderDigestCyclesPerPdu,
            crc32cCyclesPerByte, rdmaCyclesPerCommand, rdmaCyclesPerRdmaRead, controllerCyclesPerCommand,
            bdevCyclesPerCommand, bdevCyclesPerByte, accelSubmitCycles, aesXtsSoftwareCyclesPerByte,
            ecSoftwareCyclesPerBytePerParity, hashSoftwareCyclesPerByte, tcpPacketOverheadBytes, tcpAckBytesPerSegment,
            inCapsuleBytes, tcpCommandPduBytes, tcpResponsePduBytes, tcpDataPduHeaderBytes, tcpR2tPduBytes,
            tcpDigestBytes, rocePacketOverheadBytes, roceAckBytesPerMessage, rdmaExtendedHeaderBytes,
            nvmeCommandBytes, nvmeCompletionBytes, pcieBytesPerBackendCommand, ddrCrossingsPerByte,
            tcpExtraDdrCrossingsPerByte, ddrBytesPerQueuePair, tcpFixedLatencyNanos, roceFixedLatencyNanos,
            tcpR2tLatencyNanos, rdmaReadLatencyNanos};
        for (double v : nonNegative) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("card costs must be finite and non-negative: " + v);
            }
        }
    }

    /**
     * The K200-LP: the constants the model is calibrated with. Each argument is commented with
     * what it stands for and how its value was chosen (physical, estimated or calibrated).
     */
    public static CardCosts k200() {
        return new CardCosts(
                // coreHz - physical: the MPPA3-80 "Coolidge" cores run at 1.2 GHz.
                MppaLayout.CORE_HZ,
                // coreUsableFraction - estimated: a data-plane core spends ~10% of its cycles on pollers that
                // find nothing, timers, control-plane messages and cache misses outside the I/O path.
                0.90,
                // tcpCyclesPerCommand - CALIBRATED: TCP/IP receive and send for one command (capsule parse, the
                // C2H/R2T/response PDUs built, socket bookkeeping, ACK processing, poll-group scheduling).
                // Solved with the four per-command terms below so that 4K random read and write over NVMe/TCP
                // on 64 cores reach 1.5 MIOPS: 64 x 1.2 GHz x 0.90 / 1.5 M = 46,080 cycles per I/O, of which
                // controller 6,000 + bdev 4,000 + 4,096 x (1.0 + 0.25) per-byte = 15,120; the rest is TCP.
                31_000,
                // tcpCyclesPerByte - estimated: payload moved between socket buffers and I/O buffers by the
                // cluster DMA engine under core control, plus checksum fix-ups (the NIC offloads checksums).
                1.0,
                // tcpCyclesPerR2t - estimated: one more PDU sent (R2T) and one more received (H2CData).
                5_000,
                // tcpHeaderDigestCyclesPerPdu - estimated: CRC32C of a 24..72-byte header plus the call.
                150,
                // crc32cCyclesPerByte - estimated: table-driven CRC32C, slicing by 8, about a cycle a byte.
                1.0,
                // rdmaCyclesPerCommand - estimated: the NIC runs the RoCE transport; the core posts a receive,
                // polls the completion queue and posts an RDMA WRITE and a SEND (SPDK nvmf/rdma: ~1/8 of TCP).
                4_000,
                // rdmaCyclesPerRdmaRead - estimated: posting an RDMA READ and reaping its completion.
                1_000,
                // controllerCyclesPerCommand - estimated: the NVMe controller model (SQE decode, namespace and
                // queue bookkeeping, CQE build). Split of the calibrated per-command total with bdev below.
                6_000,
                // bdevCyclesPerCommand - estimated: the bdev layer, per command sent to the backend (one per
                // I/O; several when erasure coding splits it into strips).
                4_000,
                // bdevCyclesPerByte - estimated: DMA descriptors and cache maintenance per payload byte.
                0.25,
                // accelSubmitCycles - estimated: building a descriptor, ringing the engine, reaping it (shared
                // with the run-time accelerators: AcceleratorModel).
                AcceleratorModel.DEFAULT_SUBMIT_CYCLES,
                // aesXtsSoftwareCyclesPerByte - estimated: table-based AES-128-XTS on a VLIW core without AES
                // instructions (~20 cycles/byte, as AES without AES-NI on general-purpose cores).
                20.0,
                // ecSoftwareCyclesPerBytePerParity - estimated: GF(2^8) multiply-accumulate by table lookups.
                1.5,
                // hashSoftwareCyclesPerByte - estimated: SHA-256 in software, ~15 cycles/byte.
                15.0,
                // cryptoAccelBytesPerSecond - estimated: one cluster's AES-XTS engines together, 5 GB/s (4 clusters:
                // 20 GB/s, more than the network carries, so encryption with offload costs cores little). This
                // and the next two are AcceleratorModel's constants, which the run-time accelerators use too.
                AcceleratorModel.DEFAULT_CRYPTO_BYTES_PER_SECOND,
                // hashAccelBytesPerSecond - estimated: one cluster's SHA-256 engines, 4 GB/s.
                AcceleratorModel.DEFAULT_HASH_BYTES_PER_SECOND,
                // ecAccelBytesPerSecond - estimated: one cluster's Reed-Solomon engines, 6 GB/s of input.
                AcceleratorModel.DEFAULT_EC_BYTES_PER_SECOND,
                // ecStripUnitBytes - chosen: 32 KiB strips; a 4+2 stripe holds 128 KiB of data, so 128K writes
                // are full-stripe and smaller ones read-modify-write.
                32 * 1024,
                // ethernetPortBitsPerSecond - physical: 100GbE.
                100e9,
                // ethernetPorts - physical: 2 QSFP28 ports.
                2,
                // tcpMssBytes - physical: MTU 1500 minus IPv4 (20), TCP (20) and the timestamp option (12).
                1448,
                // tcpPacketOverheadBytes - physical: 52 bytes of IP/TCP headers, Ethernet header (14) and FCS (4),
                // preamble (8) and inter-frame gap (12): a 1500-byte packet takes 1538 bytes of line time.
                90,
                // tcpAckBytesPerSegment - physical: delayed ACKs, one 84-byte minimum frame per two segments.
                42,
                // inCapsuleBytes - chosen: SPDK's default in-capsule data size (TCP and RDMA); larger writes need an R2T
                // (TCP) or an RDMA READ (RoCE).
                4096,
                // tcpCommandPduBytes - physical (NVMe/TCP): 8-byte common header + 64-byte SQE.
                72,
                // tcpResponsePduBytes - physical: 8-byte common header + 16-byte CQE.
                24,
                // tcpDataPduHeaderBytes - physical: C2HData / H2CData header.
                24,
                // tcpR2tPduBytes - physical: R2T PDU.
                24,
                // tcpDigestBytes - physical: a CRC32C digest.
                4,
                // roceMtuBytes - chosen: RoCE path MTU 4096 (Ethernet MTU above 4200).
                4096,
                // rocePacketOverheadBytes - physical: Ethernet 14 + IPv4 20 + UDP 8 + BTH 12 + ICRC 4 + FCS 4,
                // preamble 8 and inter-frame gap 12.
                82,
                // roceAckBytesPerMessage - physical: an ACK packet (with AETH) plus preamble and gap.
                86,
                // rdmaExtendedHeaderBytes - physical: RETH (virtual address, rkey, length).
                16,
                // nvmeCommandBytes - physical: NVMe SQE.
                64,
                // nvmeCompletionBytes - physical: NVMe CQE.
                16,
                // pcieRawBytesPerSecond - physical: Gen4 x16, 16 GT/s x 16 lanes x 128/130 / 8 = 31.5 GB/s per direction.
                31.5e9,
                // pcieEfficiency - estimated: TLP headers (~24 bytes per 256-byte MPS payload: 91%), DLLPs and flow
                // control (~5%), descriptor fetches and completions (~4%): 0.80, about what Gen4 x16 NICs measure.
                0.80,
                // pcieBytesPerBackendCommand - physical, rounded: SQE fetch and CQE write, doorbells, TLP headers.
                96,
                // ddrBytesPerSecond - physical: DDR4-3200 on two 64-bit channels, 51.2 GB/s peak (assumed
                // to be how the card's 8..32 GB are wired; see the limits in the documentation).
                51.2e9,
                // ddrEfficiency - estimated: mixed reads and writes, bank conflicts, refresh: 75% of peak.
                0.75,
                // ddrCrossingsPerByte - physical path: every payload byte is written to DDR by one DMA (NIC or
                // PCIe) and read back by the other.
                2.0,
                // tcpExtraDdrCrossingsPerByte - estimated: the TCP stack's pass over the payload (gathered between
                // socket buffers in DDR and the NIC's buffers in cluster memory); RoCE is zero-copy.
                1.0,
                // ddrDefaultBytes - the card's default configuration: 16 GiB (8..32 GiB available).
                16L << 30,
                // ddrBufferPoolFraction - chosen: a quarter of the DDR for I/O buffers; the rest holds the OS,
                // the volumes' metadata and the malloc bdevs.
                0.25,
                // ddrBytesPerQueuePair - estimated: socket send and receive buffers plus rings, 512 KiB.
                512L * 1024,
                // tcpFixedLatencyNanos - CALIBRATED: host kernel NVMe/TCP stack both ways, both NICs and the
                // switch; solved so that 4K random read at QD1 over NVMe/TCP takes 50 us (the core service
                // time is 46,120 cycles = 38.4 us, wire and PCIe ~0.5 us).
                11_000,
                // roceFixedLatencyNanos - CALIBRATED: host RDMA stack, both NICs and the switch; solved so that
                // 4K random read at QD1 over RoCE takes 20 us (core time 15,024 cycles = 12.5 us, wire and
                // PCIe ~0.5 us).
                7_000,
                // tcpR2tLatencyNanos - estimated: the R2T crosses to the host's kernel and its H2CData back.
                8_000,
                // rdmaReadLatencyNanos - estimated: a network round trip served by the host NIC alone.
                3_000);
    }

    /** Payload bytes per second of one Ethernet port in each direction (line rate / 8). */
    public double ethernetPortBytesPerSecond() {
        return ethernetPortBitsPerSecond / 8;
    }

    /** Usable PCIe bytes per second in each direction. */
    public double pcieBytesPerSecond() {
        return pcieRawBytesPerSecond * pcieEfficiency;
    }

    /** Usable DDR bytes per second, both directions together. */
    public double ddrUsableBytesPerSecond() {
        return ddrBytesPerSecond * ddrEfficiency;
    }

    /** Usable cycles per second of one data-plane core. */
    public double usableCyclesPerSecondPerCore() {
        return coreHz * coreUsableFraction;
    }

    private static void positive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be positive and finite: " + v);
        }
    }

    private static void fraction(String name, double v) {
        if (!(v > 0 && v <= 1)) {
            throw new IllegalArgumentException(name + " must be in (0, 1]: " + v);
        }
    }
}
