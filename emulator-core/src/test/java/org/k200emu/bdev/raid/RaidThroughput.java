package org.k200emu.bdev.raid;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.bdev.nullbdev.NullBdev;
import org.k200emu.testing.Bytes;

/**
 * Throughput of RAID parity generation on one core (this thread), next to a plain XOR of the
 * same bytes measured in the same run as the reference. A stripe is 4 data strips of 64 KiB;
 * MB/s counts data bytes (256 KiB per stripe), MB = 10^6 bytes.
 *
 * <p>Kernels: the plain XOR is the simplest loop ({@code p[i] = d0[i] ^ d1[i] ^ d2[i] ^ d3[i]});
 * RAID 5 is {@link ParityMath#syndromes} computing P; RAID 6 computes P and Q. End to end: full
 * stripe writes through a {@link RaidBdev} over null bdevs (so the members cost nothing), one at a
 * time on this thread.
 *
 * <p>Not a unit test. Run from the repository root after {@code mvn -o -q install -DskipTests}:
 * <pre>
 * mvn -o -q -pl emulator-core test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/cp.txt
 * java -cp emulator-core/target/test-classes:emulator-core/target/classes:$(cat /tmp/cp.txt) \
 *     org.k200emu.bdev.raid.RaidThroughput 4
 * </pre>
 * Argument: seconds of this thread's CPU time per measurement (default 2),
 * spread over {@value #ROUNDS} interleaved rounds; each figure is the best round.
 */
public final class RaidThroughput {

    private static final int DATA = 4;
    private static final int STRIP = 64 * 1024;
    private static final int ROUNDS = 8;
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private RaidThroughput() {
    }

    public static void main(String[] args) {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        byte[][] data = new byte[DATA][];
        for (int d = 0; d < DATA; d++) {
            data[d] = Bytes.random(d, STRIP);
        }
        int[] offs = new int[DATA];
        byte[] p = new byte[STRIP];
        byte[] q = new byte[STRIP];

        Runnable plainXor = () -> {
            byte[] d0 = data[0];
            byte[] d1 = data[1];
            byte[] d2 = data[2];
            byte[] d3 = data[3];
            for (int i = 0; i < STRIP; i++) {
                p[i] = (byte) (d0[i] ^ d1[i] ^ d2[i] ^ d3[i]);
            }
        };
        Runnable raid5 = () -> ParityMath.syndromes(data, offs, DATA, 0, STRIP, p, 0, null, 0);
        Runnable raid6 = () -> ParityMath.syndromes(data, offs, DATA, 0, STRIP, p, 0, q, 0);

        System.out.printf(Locale.ROOT, "RAID parity generation, 1 thread, %d data strips x %d KiB, %s, %d CPUs%n",
                DATA, STRIP / 1024, System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        // Warm every kernel up, then measure them in turn over several short rounds, keeping each
        // one's best round: the machine is shared, and interleaving exposes every kernel to the
        // same background load, so the ratios hold better than the absolute figures.
        List<Runnable> kernels = List.of(plainXor, raid5, raid6);
        for (Runnable r : kernels) {
            measure(r, seconds / 2);
        }
        double[] best = new double[kernels.size()];
        for (int round = 0; round < ROUNDS; round++) {
            for (int i = 0; i < kernels.size(); i++) {
                best[i] = Math.max(best[i], measure(kernels.get(i), seconds / ROUNDS));
            }
        }
        double xor = best[0];
        print("plain XOR (reference)", xor, xor);
        print("RAID 5 P", best[1], xor);
        print("RAID 6 P+Q", best[2], xor);

        double e5 = endToEnd(5, seconds);
        double e6 = endToEnd(6, seconds);
        print("RaidBdev RAID 5 full-stripe writes", e5, xor);
        print("RaidBdev RAID 6 full-stripe writes", e6, xor);
    }

    private static void print(String what, double mbps, double reference) {
        System.out.printf(Locale.ROOT, "%-36s %9.0f MB/s   %5.2f x plain XOR%n", what, mbps, mbps / reference);
    }

    /**
     * MB/s of data bytes for {@code stripe}, run for about {@code seconds} of this thread's CPU
     * time: per core, and not skewed by other processes taking the CPU meanwhile.
     */
    private static double measure(Runnable stripe, double seconds) {
        long budget = (long) (seconds * 1e9);
        long stripes = 0;
        long start = CPU.getCurrentThreadCpuTime();
        long elapsed;
        do {
            for (int i = 0; i < 64; i++) {
                stripe.run();
            }
            stripes += 64;
            elapsed = CPU.getCurrentThreadCpuTime() - start;
        } while (elapsed < budget);
        return stripes * (double) DATA * STRIP / (elapsed / 1e3);
    }

    /** Full-stripe writes through a RaidBdev over null members, one at a time, inline. */
    private static double endToEnd(int level, double seconds) {
        int members = DATA + (level == 6 ? 2 : 1);
        List<Bdev> nulls = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            nulls.add(new NullBdev("null" + i, 4096, 16 + 64L * 16)); // metadata + 64 rows
        }
        RaidBdev raid = RaidBdev.create("bench", level, nulls, STRIP);
        int rowBlocks = raid.layout().rowBlocks();
        byte[] bytes = Bytes.random(7, DATA * STRIP);
        ByteBuf src = Unpooled.wrappedBuffer(bytes);
        BdevIo io = new BdevIo();
        AtomicInteger failures = new AtomicInteger();
        long[] row = {0};
        Runnable write = () -> {
            io.prepare(BdevOp.WRITE, (row[0]++ % 64) * rowBlocks, rowBlocks, src, Runnable::run, d -> {
                if (d.status() != BdevStatus.SUCCESS) {
                    failures.incrementAndGet();
                }
            }, null);
            raid.submit(io);
        };
        try {
            measure(write, seconds / 2);
            double mbps = 0;
            for (int round = 0; round < ROUNDS; round++) {
                mbps = Math.max(mbps, measure(write, seconds / ROUNDS));
            }
            if (failures.get() > 0) {
                throw new IllegalStateException(failures.get() + " writes failed");
            }
            return mbps;
        } finally {
            raid.close();
            src.release();
            nulls.forEach(Bdev::close);
        }
    }
}
