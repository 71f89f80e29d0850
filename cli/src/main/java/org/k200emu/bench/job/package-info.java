/**
 * The job model of {@code k200 bench}: fio's vocabulary ({@code rw}, {@code bs}, {@code iodepth},
 * {@code numjobs}, {@code runtime}...) plus k200's target keys ({@code target}, {@code subnqn},
 * {@code bdev}...), read from fio-style job files ({@link org.k200emu.bench.job.JobFile}) or built
 * from key/value options ({@link org.k200emu.bench.job.JobOptions}) into
 * {@link org.k200emu.bench.job.JobSpec}s. Nothing here does I/O beyond reading the job file.
 */
package org.k200emu.bench.job;
