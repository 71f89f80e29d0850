package org.k200emu.cluster.affinity;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.BitSet;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;

/**
 * The calling thread's CPU affinity, through Linux {@code sched_setaffinity(2)} and
 * {@code sched_getaffinity(2)} with pid 0 (the calling thread). Not available elsewhere than
 * Linux: {@link #available()} says so, and {@link #pinCurrentThread} then fails clearly.
 */
public final class CpuAffinity {

    /** The libc calls used, as jnr-ffi binds them. */
    public interface LibC {
        int sched_setaffinity(int pid, long cpusetsize, byte[] mask);

        int sched_getaffinity(int pid, long cpusetsize, byte[] mask);
    }

    /** Bytes of the CPU mask passed to the kernel: room for {@link CpuList#MAX_CPU}. */
    private static final int MASK_BYTES = (CpuList.MAX_CPU + 1) / 8;

    private static final LibC LIBC = load();

    private CpuAffinity() {
    }

    private static LibC load() {
        if (Platform.getNativePlatform().getOS() != Platform.OS.LINUX) {
            return null;
        }
        try {
            return LibraryLoader.create(LibC.class).load("c");
        } catch (LinkageError | RuntimeException e) {
            return null;
        }
    }

    /** Whether threads can be pinned here (Linux, libc loaded). */
    public static boolean available() {
        return LIBC != null;
    }

    /**
     * Restricts the calling thread to {@code cpu}.
     *
     * @throws IllegalArgumentException when {@code cpu} is not one this thread may run on (offline,
     *     absent, or outside the process's cgroup or taskset); the message names the allowed CPUs
     * @throws UnsupportedOperationException when pinning is not available on this system
     */
    public static void pinCurrentThread(int cpu) {
        if (LIBC == null) {
            throw new UnsupportedOperationException("pinning threads to CPUs needs Linux (sched_setaffinity)");
        }
        BitSet allowed = currentThreadCpus();
        if (cpu < 0 || cpu > CpuList.MAX_CPU || !allowed.get(cpu)) {
            throw new IllegalArgumentException("CPU " + cpu + " is not one this process may run on (allowed: "
                    + format(allowed) + ")");
        }
        byte[] mask = new byte[MASK_BYTES];
        mask[cpu >>> 3] |= (byte) (1 << (cpu & 7));
        if (LIBC.sched_setaffinity(0, mask.length, mask) != 0) {
            throw new IllegalArgumentException("sched_setaffinity to CPU " + cpu + " failed (errno "
                    + jnr.ffi.Runtime.getSystemRuntime().getLastError() + ")");
        }
    }

    /**
     * Pins the {@code i}-th event loop's thread to {@code cpus.forThread(i)}: each loop pins itself
     * (affinity is set from the thread it applies to), and this returns once all have.
     *
     * @throws IllegalArgumentException when a CPU is not one this process may run on; loops pinned
     *     before the bad one stay pinned
     */
    public static void pinEach(Iterable<? extends EventExecutor> loops, CpuList cpus) {
        int i = 0;
        for (EventExecutor loop : loops) {
            int cpu = cpus.forThread(i++);
            Future<?> done = loop.submit(() -> pinCurrentThread(cpu));
            done.awaitUninterruptibly();
            if (!done.isSuccess()) {
                Throwable cause = done.cause();
                throw cause instanceof RuntimeException ? (RuntimeException) cause
                        : new IllegalStateException("cannot pin event loop " + (i - 1) + " to CPU " + cpu, cause);
            }
        }
    }

    /** The CPUs the calling thread may run on now. */
    public static BitSet currentThreadCpus() {
        if (LIBC == null) {
            throw new UnsupportedOperationException("reading CPU affinity needs Linux (sched_getaffinity)");
        }
        byte[] mask = new byte[MASK_BYTES];
        if (LIBC.sched_getaffinity(0, mask.length, mask) < 0) {
            throw new IllegalStateException("sched_getaffinity failed (errno "
                    + jnr.ffi.Runtime.getSystemRuntime().getLastError() + ")");
        }
        return BitSet.valueOf(mask);
    }

    /** {@code allowed} in {@code taskset -c} syntax. */
    static String format(BitSet allowed) {
        if (allowed.isEmpty()) {
            return "none";
        }
        return CpuList.parse(allowed.stream().mapToObj(Integer::toString)
                .reduce((a, b) -> a + "," + b).orElseThrow()).toString();
    }
}
