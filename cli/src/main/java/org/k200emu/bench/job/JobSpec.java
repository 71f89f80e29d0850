package org.k200emu.bench.job;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One job of {@code k200 bench}, in fio's terms, with every option resolved. Made by
 * {@link JobOptions#build} (directly, or through {@link JobFile}), which checks everything this
 * record states; the constructor itself only checks for nulls and copies {@code options}.
 *
 * <p>Jobs are time based: a job runs for {@code rampTime} (I/O issued but not measured) and then
 * for {@code runtime} (measured), so its wall time is {@code rampTime + runtime}, as in fio.
 * Sequential jobs wrap to the start of their region when they reach its end.
 *
 * @param name      the job's name: the section name, or the {@code name=} option
 * @param rw        the I/O pattern ({@code rw=}); default {@link ReadWrite#READ}, as fio
 * @param rwmixread percentage of reads, 0..100 ({@code rwmixread=}, or 100 minus {@code rwmixwrite=});
 *                  default 50. Only mixed patterns use it, but it is kept as given for the others:
 *                  see {@link #readPercent()} for the effective share
 * @param blockSize bytes per I/O ({@code bs=}), a multiple of 512, at most {@link JobOptions#MAX_BLOCK_SIZE};
 *                  default 4096. A remote namespace's LBA size and MDTS are only known once
 *                  connected: the runner must check them
 * @param iodepth   I/Os kept in flight per job instance, 1..65535; default 1
 * @param numjobs   identical instances of this job run in parallel, 1..256 (each with its own
 *                  queue and {@code iodepth}, each rate-limited to {@code rateIops}); default 1
 * @param runtime   measured duration, positive; default 10 s
 * @param rampTime  unmeasured warm-up before {@code runtime}, zero or more; default 0
 * @param size      length in bytes of the region the job works on, starting at {@code offset}, a
 *                  multiple of {@code blockSize}; <b>0 means the whole target from {@code offset} to
 *                  its end</b> (use {@link #regionBytes(long)} once the target's capacity is known)
 * @param offset    start of the region in bytes, a multiple of {@code blockSize}; default 0
 * @param rateIops  IOPS cap per job instance; 0 means unlimited
 * @param verify    data verification; default {@link Verify#NONE}
 * @param target    what the job runs against; default {@link TargetSpec#defaultTarget()}
 * @param options   the effective options as {@code key=value} strings (after {@code [global]} defaults
 *                  and overrides), for echoing into results: only options that were given (no
 *                  defaults), keys in canonical spelling ({@code readwrite} becomes {@code rw}),
 *                  values as written (a bare key is {@code 1}), in the fixed order of
 *                  {@link JobOptions#knownKeys()}. Accepted-but-ignored fio options ({@code direct},
 *                  {@code ioengine}, {@code stonewall}...) appear here only. Unmodifiable
 */
public record JobSpec(String name, ReadWrite rw, int rwmixread, int blockSize, int iodepth, int numjobs,
                      Duration runtime, Duration rampTime, long size, long offset,
                      long rateIops, Verify verify, TargetSpec target, Map<String, String> options) {

    public JobSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(rw, "rw");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(rampTime, "rampTime");
        Objects.requireNonNull(verify, "verify");
        Objects.requireNonNull(target, "target");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(options, "options")));
    }

    /** True if the job works on the whole target from {@code offset} on ({@code size == 0}). */
    public boolean wholeTarget() {
        return size == 0;
    }

    /**
     * The share of reads in percent: {@code rwmixread} for mixed patterns, 100 for read-only
     * ones, 0 for write-only ones.
     */
    public int readPercent() {
        if (rw.mixed()) {
            return rwmixread;
        }
        return rw.reads() ? 100 : 0;
    }

    /**
     * The length in bytes of the region the job works on, given the target's capacity: {@code size},
     * or for a whole-target job the capacity after {@code offset} rounded down to whole blocks.
     *
     * @throws IllegalArgumentException if the region does not fit or holds no block
     */
    public long regionBytes(long targetBytes) {
        if (offset >= targetBytes) {
            throw new IllegalArgumentException("job '" + name + "': offset " + offset
                    + " is beyond the end of the target (" + targetBytes + " bytes)");
        }
        if (size == 0) {
            long region = (targetBytes - offset) / blockSize * blockSize;
            if (region == 0) {
                throw new IllegalArgumentException("job '" + name + "': no whole block of " + blockSize
                        + " bytes between offset " + offset + " and the end of the target (" + targetBytes + " bytes)");
            }
            return region;
        }
        if (size > targetBytes - offset) {
            throw new IllegalArgumentException("job '" + name + "': offset " + offset + " + size " + size
                    + " is beyond the end of the target (" + targetBytes + " bytes)");
        }
        return size;
    }
}
