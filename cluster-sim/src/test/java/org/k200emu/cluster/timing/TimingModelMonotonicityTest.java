package org.k200emu.cluster.timing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Over a grid of workloads: more data-plane cores, deeper queues, faster accelerators or more DDR
 * never make the card slower; adding a service never makes it faster.
 */
class TimingModelMonotonicityTest {

    private static final TimingModel MODEL = TimingModel.k200();
    private static final CardProfile CARD = CardProfile.k200();
    /** Relative slack for floating-point rounding only. */
    private static final double EPS = 1e-9;

    private static List<Workload> grid() {
        List<Workload> grid = new ArrayList<>();
        for (IoPattern p : IoPattern.values()) {
            for (int bs : new int[] {512, 4096, 16 * 1024, 128 * 1024, 1 << 20}) {
                for (Transport t : Transport.values()) {
                    for (int[] load : new int[][] {{1, 1}, {4, 8}, {32, 64}, {128, 256}}) {
                        for (int paths = 1; paths <= 2; paths++) {
                            grid.add(Workload.of(p, bs, load[0], load[1], t).withPaths(paths)
                                    .withReadPercent(p.readPercent(70)));
                        }
                    }
                }
            }
        }
        return grid;
    }

    private static List<Services> serviceSets() {
        List<Services> sets = new ArrayList<>();
        for (boolean crypt : new boolean[] {false, true}) {
            for (ErasureCode ec : new ErasureCode[] {null, new ErasureCode(4, 2), new ErasureCode(8, 3)}) {
                for (boolean hash : new boolean[] {false, true}) {
                    sets.add(new Services(crypt, ec, hash));
                }
            }
        }
        return sets;
    }

    private static void assertNotSlower(ModelResult better, ModelResult worse, String what) {
        assertThat(better.iops()).as("IOPS, %s", what).isGreaterThanOrEqualTo(worse.iops() * (1 - EPS));
        assertThat(better.meanLatencyNanos()).as("latency, %s", what)
                .isLessThanOrEqualTo(worse.meanLatencyNanos() * (1 + EPS));
    }

    @Test
    void moreCoresAreNeverSlower() {
        for (Services s : List.of(Services.NONE, Services.parse("crypt,ec4+2,hash"))) {
            for (boolean offload : new boolean[] {true, false}) {
                CardProfile card = CARD.withServices(s).withOffload(offload);
                for (Workload w : grid()) {
                    ModelResult previous = null;
                    for (int cores = 16; cores <= 64; cores++) {
                        ModelResult r = MODEL.evaluate(card.withDataPlaneCores(cores), w);
                        if (previous != null) {
                            assertNotSlower(r, previous, cores + " cores, " + s + ", " + w);
                        }
                        previous = r;
                    }
                }
            }
        }
    }

    @Test
    void servicesAreNeverFaster() {
        List<Services> sets = serviceSets();
        for (boolean offload : new boolean[] {true, false}) {
            for (Workload w : grid()) {
                for (Services fewer : sets) {
                    ModelResult base = MODEL.evaluate(CARD.withServices(fewer).withOffload(offload), w);
                    for (Services more : sets) {
                        if (includes(more, fewer)) {
                            ModelResult r = MODEL.evaluate(CARD.withServices(more).withOffload(offload), w);
                            assertNotSlower(base, r, fewer + " vs " + more + ", " + w);
                        }
                    }
                }
            }
        }
    }

    /** True if {@code more} has every service of {@code fewer} (any erasure code counts over none). */
    private static boolean includes(Services more, Services fewer) {
        return (more.encryption() || !fewer.encryption()) && (more.hashing() || !fewer.hashing())
                && (fewer.erasureCode() == null || fewer.erasureCode().equals(more.erasureCode()));
    }

    @Test
    void widerErasureCodesAreNeverFasterForSmallWrites() {
        for (int bs : new int[] {4096, 16 * 1024}) {
            Workload w = Workload.of(IoPattern.RANDWRITE, bs, 32, 64, Transport.TCP);
            ModelResult ec42 = MODEL.evaluate(CARD.withServices(Services.parse("ec4+2")), w);
            ModelResult ec83 = MODEL.evaluate(CARD.withServices(Services.parse("ec8+3")), w);
            assertNotSlower(ec42, ec83, "ec4+2 vs ec8+3 at " + bs);
        }
    }

    @Test
    void deeperQueuesNeverLowerThroughput() {
        for (Workload w : grid()) {
            double previous = 0;
            for (int qd : new int[] {1, 2, 4, 8, 16, 32, 64, 128, 1024}) {
                ModelResult r = MODEL.evaluate(CARD, w.withIodepth(qd));
                assertThat(r.iops()).as("qd %d, %s", qd, w).isGreaterThanOrEqualTo(previous * (1 - EPS));
                previous = r.iops();
            }
        }
    }

    @Test
    void fasterAcceleratorsAndMoreDdrAreNeverSlower() {
        CardProfile card = CARD.withServices(Services.parse("crypt,ec4+2,hash"));
        for (Workload w : grid()) {
            ModelResult base = MODEL.evaluate(card, w);
            ModelResult faster = MODEL.evaluate(card.withAccelerators(2 * card.cryptoAccelBytesPerSecond(),
                    2 * card.hashAccelBytesPerSecond(), 2 * card.ecAccelBytesPerSecond()), w);
            ModelResult moreDdr = MODEL.evaluate(card.withDdrBytes(CardProfile.MAX_DDR_BYTES), w);
            assertNotSlower(faster, base, "faster accelerators, " + w);
            assertNotSlower(moreDdr, base, "32 GiB, " + w);
        }
    }

    @Test
    void offloadIsNeverSlowerThanSoftwareOnTheCores() {
        for (Services s : serviceSets()) {
            for (Workload w : grid()) {
                if (w.queuePairs() >= 64) {
                    ModelResult software = MODEL.evaluate(CARD.withServices(s).withOffload(false), w);
                    ModelResult offload = MODEL.evaluate(CARD.withServices(s), w);
                    assertThat(offload.iops()).as("%s, %s", s, w).isGreaterThanOrEqualTo(software.iops() * (1 - EPS));
                }
            }
        }
    }
}
