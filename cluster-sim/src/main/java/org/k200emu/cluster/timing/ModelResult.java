package org.k200emu.cluster.timing;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What the timing model predicts for one workload on one card: throughput, mean latency, the
 * resource that bounds the throughput and how busy every resource is. Little's law holds by
 * construction: {@code iops x meanLatency = outstanding}.
 *
 * @param workload              the workload
 * @param card                  the card
 * @param iops                  I/Os per second
 * @param bytesPerSecond        payload bytes per second ({@code iops x blockSize})
 * @param meanLatencyNanos      mean latency of an I/O as the host sees it, ns
 * @param unloadedLatencyNanos  the latency of an I/O alone in the card (no queueing), ns
 * @param bottleneck            the resource that bounds {@code iops}; {@link Resource#IODEPTH} when too few
 *                              I/Os are in flight to saturate any
 * @param utilisation           every rate resource the workload uses, with its busy fraction at {@code iops}
 *                              (1.0 for the bottleneck); unmodifiable
 * @param iopsLimits            every rate resource the workload uses, with the IOPS it alone would allow;
 *                              unmodifiable
 * @param usableCores           data-plane cores that can work: one queue pair runs on one core, so at most
 *                              the number of queue pairs
 * @param usablePorts           Ethernet ports in use
 * @param outstanding           I/Os in flight ({@code iodepth x queuePairs})
 * @param effectiveOutstanding  I/Os the card's buffer pool lets it work on at once (the others wait in
 *                              the submission queues)
 * @param bufferBytes           DDR the outstanding I/Os and queue pairs need for buffers
 * @param bufferPoolBytes       DDR set aside for I/O buffers
 * @param cyclesPerIo           mean data-plane cycles per I/O
 */
public record ModelResult(Workload workload, CardProfile card, double iops, double bytesPerSecond,
                          double meanLatencyNanos, double unloadedLatencyNanos, Resource bottleneck,
                          Map<Resource, Double> utilisation, Map<Resource, Double> iopsLimits, int usableCores,
                          int usablePorts, long outstanding, long effectiveOutstanding, long bufferBytes,
                          long bufferPoolBytes, double cyclesPerIo) {

    /** Copies the maps. */
    public ModelResult {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(card, "card");
        Objects.requireNonNull(bottleneck, "bottleneck");
        utilisation = Collections.unmodifiableMap(new EnumMap<>(utilisation));
        iopsLimits = Collections.unmodifiableMap(new EnumMap<>(iopsLimits));
    }

    /** Payload megabytes (10^6 bytes) per second, as {@code k200 bench} reports them. */
    public double mbPerSecond() {
        return bytesPerSecond / 1e6;
    }

    /** Mean latency in microseconds. */
    public double meanLatencyMicros() {
        return meanLatencyNanos / 1e3;
    }

    /** Unloaded latency in microseconds. */
    public double unloadedLatencyMicros() {
        return unloadedLatencyNanos / 1e3;
    }

    /** True if a resource, not the number of I/Os in flight, bounds the throughput. */
    public boolean saturated() {
        return bottleneck != Resource.IODEPTH;
    }

    /** True if the buffer pool caps the I/Os the card works on at once. */
    public boolean bufferLimited() {
        return effectiveOutstanding < outstanding;
    }

    /** The busy fraction of {@code r} (0 for a resource the workload does not use). */
    public double utilisation(Resource r) {
        return utilisation.getOrDefault(r, 0.0);
    }
}
