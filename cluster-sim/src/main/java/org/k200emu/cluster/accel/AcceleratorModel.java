package org.k200emu.cluster.accel;

import org.k200emu.cluster.MppaLayout;

/**
 * The throughput model of one cluster's co-processors, the single source of the accelerator
 * constants: the run-time {@link Accelerators} charge jobs with it, and the timing model
 * ({@code org.k200emu.cluster.timing}) takes its defaults from the same constants.
 *
 * <p>Each cluster has {@code engines} co-processors for each {@link AccelKind}; together they
 * process that kind's bytes per second, so one engine runs at {@code bytesPerSecond / engines}.
 * A job occupies one engine for {@link #serviceNanos} and costs the submitting core
 * {@code submitCycles} (build the descriptor, ring the engine, reap the completion) at the
 * core clock. Immutable.
 *
 * @param engines              co-processors per cluster for each kind, 1..1024
 * @param cryptoBytesPerSecond one cluster's AES-XTS throughput, bytes/s
 * @param hashBytesPerSecond   one cluster's hashing throughput, bytes/s
 * @param ecBytesPerSecond     one cluster's erasure-coding throughput, input bytes/s
 * @param submitCycles         core cycles to submit one job and reap it
 * @param coreHz               the submitting core's clock, Hz
 * @param pace                 true: an I/O's completion waits until the modelled engines finish its jobs
 */
public record AcceleratorModel(int engines, double cryptoBytesPerSecond, double hashBytesPerSecond,
                               double ecBytesPerSecond, double submitCycles, double coreHz, boolean pace) {

    /** Co-processors per cluster (and per kind) of the K200-LP. */
    public static final int DEFAULT_ENGINES = 16;
    /** Estimated: one cluster's AES-XTS engines together, 5 GB/s (4 clusters: more than the network carries). */
    public static final double DEFAULT_CRYPTO_BYTES_PER_SECOND = 5e9;
    /** Estimated: one cluster's SHA-256 engines together, 4 GB/s. */
    public static final double DEFAULT_HASH_BYTES_PER_SECOND = 4e9;
    /** Estimated: one cluster's Reed-Solomon engines together, 6 GB/s of input. */
    public static final double DEFAULT_EC_BYTES_PER_SECOND = 6e9;
    /** Estimated: building a descriptor, ringing the engine, reaping it. */
    public static final double DEFAULT_SUBMIT_CYCLES = 1_500;
    /** Most engines a configuration may give a cluster. */
    public static final int MAX_ENGINES = 1024;

    /** Checks the ranges. */
    public AcceleratorModel {
        if (engines < 1 || engines > MAX_ENGINES) {
            throw new IllegalArgumentException("engines must be 1.." + MAX_ENGINES + ": " + engines);
        }
        positive("cryptoBytesPerSecond", cryptoBytesPerSecond);
        positive("hashBytesPerSecond", hashBytesPerSecond);
        positive("ecBytesPerSecond", ecBytesPerSecond);
        positive("coreHz", coreHz);
        if (!(submitCycles >= 0) || Double.isInfinite(submitCycles)) {
            throw new IllegalArgumentException("submitCycles must be finite and not negative: " + submitCycles);
        }
    }

    /** The K200-LP: 16 engines per kind, 5 / 4 / 6 GB/s per cluster, 1,500 cycles per job at 1.2 GHz, not paced. */
    public static AcceleratorModel k200() {
        return new AcceleratorModel(DEFAULT_ENGINES, DEFAULT_CRYPTO_BYTES_PER_SECOND, DEFAULT_HASH_BYTES_PER_SECOND,
                DEFAULT_EC_BYTES_PER_SECOND, DEFAULT_SUBMIT_CYCLES, MppaLayout.CORE_HZ, false);
    }

    /** One cluster's throughput for {@code kind}, all its engines together, bytes/s. */
    public double clusterBytesPerSecond(AccelKind kind) {
        switch (kind) {
            case CRYPTO:
                return cryptoBytesPerSecond;
            case HASH:
                return hashBytesPerSecond;
            case ERASURE_CODE:
            default:
                return ecBytesPerSecond;
        }
    }

    /** One engine's throughput for {@code kind}, bytes/s. */
    public double engineBytesPerSecond(AccelKind kind) {
        return clusterBytesPerSecond(kind) / engines;
    }

    /** How long one engine is busy with a job of {@code bytes} of {@code kind}, ns (rounded up). */
    public long serviceNanos(AccelKind kind, long bytes) {
        if (bytes <= 0) {
            return 0;
        }
        return (long) Math.ceil(bytes * 1e9 / engineBytesPerSecond(kind));
    }

    /** The submitting core's time per job (submit and reap), ns, rounded to the nearest. */
    public long submitNanos() {
        return Math.round(submitCycles * 1e9 / coreHz);
    }

    /** The same model with pacing on or off. */
    public AcceleratorModel withPace(boolean on) {
        return new AcceleratorModel(engines, cryptoBytesPerSecond, hashBytesPerSecond, ecBytesPerSecond, submitCycles,
                coreHz, on);
    }

    /** The same model with these per-cluster throughputs, bytes/s. */
    public AcceleratorModel withThroughput(double crypto, double hash, double ec) {
        return new AcceleratorModel(engines, crypto, hash, ec, submitCycles, coreHz, pace);
    }

    private static void positive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be positive and finite: " + v);
        }
    }
}
