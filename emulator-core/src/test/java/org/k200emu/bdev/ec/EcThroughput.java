package org.k200emu.bdev.ec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Measures the erasure code on one core: MB/s of encode, and of decode with m shards missing,
 * for 4+2 and 8+3 over 64 KiB strips, next to a plain XOR parity of the same data (the cheapest
 * code there is) measured in the same run, and their ratio. MB/s counts data bytes (k strips) per
 * second of one thread's CPU time. Not a unit test: run it by hand, from emulator-core after test-compile:
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat cp.txt) org.k200emu.bdev.ec.EcThroughput
 * </pre>
 *
 * (cp.txt from {@code mvn -o dependency:build-classpath -Dmdep.outputFile=cp.txt}).
 */
public final class EcThroughput {

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int STRIP = 64 * 1024;
    /** Long enough for the JIT to settle and the figure to be stable to a few percent. */
    private static final long MEASURE_NANOS = 1_500_000_000L;

    private EcThroughput() {
    }

    public static void main(String[] args) {
        System.out.printf(Locale.ROOT, "%-6s %12s %12s %12s %10s %10s%n",
                "code", "xor MB/s", "encode MB/s", "decode MB/s", "enc/xor", "dec/xor");
        for (int[] km : new int[][] {{4, 2}, {8, 3}}) {
            run(km[0], km[1]);
        }
    }

    private static void run(int k, int m) {
        ReedSolomon rs = new ReedSolomon(k, m);
        int n = k + m;
        byte[][] shards = new byte[n][STRIP];
        SplittableRandom random = new SplittableRandom(k * 31L + m);
        for (int j = 0; j < k; j++) {
            random.nextBytes(shards[j]);
        }
        byte[] xor = new byte[STRIP];
        long dataBytes = (long) k * STRIP;

        // Decode the worst case: m data shards missing, rebuilt from the rest and the parity.
        boolean[] present = new boolean[n];
        Arrays.fill(present, true);
        for (int i = 0; i < m; i++) {
            present[i] = false;
        }
        byte[][] decodeShards = new byte[n][];
        for (int i = 0; i < n; i++) {
            decodeShards[i] = present[i] ? shards[i] : new byte[STRIP];
        }

        double xorRate = 0;
        double encRate = 0;
        double decRate = 0;
        // Three rounds, the best of each kept: the first rounds carry JIT warm-up.
        for (int round = 0; round < 3; round++) {
            xorRate = Math.max(xorRate, rate(dataBytes, () -> xorParity(shards, k, xor)));
            encRate = Math.max(encRate, rate(dataBytes, () -> rs.encode(shards, 0, STRIP)));
            decRate = Math.max(decRate, rate(dataBytes, () -> rs.reconstruct(decodeShards, present, 0, STRIP)));
        }
        for (int i = 0; i < m; i++) {
            if (!Arrays.equals(decodeShards[i], shards[i])) {
                throw new AssertionError("decode of shard " + i + " is wrong");
            }
        }
        System.out.printf(Locale.ROOT, "%-6s %12.0f %12.0f %12.0f %10.2f %10.2f%n",
                k + "+" + m, xorRate, encRate, decRate, encRate / xorRate, decRate / xorRate);
    }

    /**
     * MB/s (10^6 bytes) of {@code bytesPerCall} over repeated calls for about
     * {@link #MEASURE_NANOS} of this thread's CPU time: per core, and not skewed by other
     * processes taking the machine's cores meanwhile.
     */
    private static double rate(long bytesPerCall, Runnable call) {
        long calls = 0;
        long start = CPU.getCurrentThreadCpuTime();
        long elapsed;
        do {
            for (int i = 0; i < 16; i++) {
                call.run();
            }
            calls += 16;
            elapsed = CPU.getCurrentThreadCpuTime() - start;
        } while (elapsed < MEASURE_NANOS);
        return bytesPerCall * calls / (elapsed / 1e9) / 1e6;
    }

    /** The reference: one parity strip, the XOR of the k data strips, eight bytes at a time. */
    private static void xorParity(byte[][] shards, int k, byte[] out) {
        System.arraycopy(shards[0], 0, out, 0, STRIP);
        for (int j = 1; j < k; j++) {
            byte[] src = shards[j];
            for (int i = 0; i < STRIP; i += 8) {
                LONGS.set(out, i, (long) LONGS.get(out, i) ^ (long) LONGS.get(src, i));
            }
        }
    }
}
