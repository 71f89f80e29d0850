import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long one cache line takes to go from one CPU to the other and back: two threads bounce a
 * counter, each waiting for the other's increment. Run it pinned to two CPUs, for example
 * {@code taskset -c 0,1 java benchmarks/CoreToCore.java}: with two threads spinning the scheduler
 * keeps one on each. Prints the median of 7 batches in nanoseconds per round trip.
 *
 * <p>On a VM the figure says where the host put the two virtual CPUs: on this project's machine
 * kind it is about 50 ns when they share a cache and about 300 ns when they do not, and every
 * figure that moves data between the two CPUs (a target on one, its initiator on the other)
 * changes with it.
 */
public final class CoreToCore {

    private static final int ROUND_TRIPS = 400_000;

    public static void main(String[] args) throws InterruptedException {
        AtomicLong line = new AtomicLong();
        Thread pong = new Thread(() -> {
            for (long expect = 1; ; expect += 2) {
                while (line.get() != expect) {
                    // Spin without a pause instruction: the figure is the line's trip, not the pause.
                }
                line.set(expect + 1);
            }
        });
        pong.setDaemon(true);
        pong.start();
        long next = 0;
        double[] batches = new double[7];
        // Two batches more than reported: the first ones run while the JIT compiles the loops.
        for (int b = -2; b < batches.length; b++) {
            long start = System.nanoTime();
            for (int i = 0; i < ROUND_TRIPS; i++) {
                line.set(next + 1);
                while (line.get() != next + 2) {
                    // As above.
                }
                next += 2;
            }
            double ns = (System.nanoTime() - start) / (double) ROUND_TRIPS;
            if (b >= 0) {
                batches[b] = ns;
            }
        }
        Arrays.sort(batches);
        System.out.printf("%.0f%n", batches[batches.length / 2]);
    }
}
