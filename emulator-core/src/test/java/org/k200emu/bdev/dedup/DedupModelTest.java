package org.k200emu.bdev.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.bdev.dedup.DedupTesting.B;
import static org.k200emu.bdev.dedup.DedupTesting.pattern;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;

/**
 * Random I/O (fixed seed) against a reference model of the volume: a content id per block. The
 * volume is reopened (cleanly and after a crash) along the way; after every phase the data and
 * the space accounting must match the model exactly.
 */
class DedupModelTest {

    private static final int BLOCKS = 256;
    private static final int CONTENTS = 24;

    /** -1 unwritten or zero, else a content id. */
    private final int[] model = new int[BLOCKS];

    @Test
    void randomIoMatchesTheModelAcrossReopens() {
        java.util.Arrays.fill(model, -1);
        Random random = new Random(20240611L);
        try (MallocBdev m = new MallocBdev("m0", 512, 32768)) {
            DedupBdev d = DedupBdev.create("dd0", m, BLOCKS, 48);
            for (int phase = 0; phase < 6; phase++) {
                for (int i = 0; i < 400; i++) {
                    step(d, random);
                }
                check(d);
                if (phase % 2 == 0) {
                    d.crash(); // no final checkpoint: the journal carries the tail
                } else {
                    d.close();
                }
                d = DedupBdev.create("dd0", m);
                assertThat(d.blockCount()).isEqualTo(BLOCKS);
                check(d);
            }
            d.close();
        }
    }

    private void step(DedupBdev d, Random random) {
        int lba = random.nextInt(BLOCKS);
        int n = 1 + random.nextInt(Math.min(8, BLOCKS - lba));
        int kind = random.nextInt(20);
        if (kind < 14) {
            byte[][] blocks = new byte[n][];
            for (int k = 0; k < n; k++) {
                int id = random.nextInt(CONTENTS + 2) - 2; // a few all-zero blocks too
                blocks[k] = id < 0 ? new byte[B] : pattern(id);
                model[lba + k] = Math.max(id, -1);
            }
            DedupTesting.write(d, lba, blocks);
        } else if (kind < 16) {
            DedupTesting.op(d, BdevOp.UNMAP, lba, n);
            java.util.Arrays.fill(model, lba, lba + n, -1);
        } else if (kind < 17) {
            DedupTesting.op(d, BdevOp.WRITE_ZEROES, lba, n);
            java.util.Arrays.fill(model, lba, lba + n, -1);
        } else {
            byte[] got = DedupTesting.read(d, lba, n);
            for (int k = 0; k < n; k++) {
                byte[] one = java.util.Arrays.copyOfRange(got, k * B, (k + 1) * B);
                TestIo.assertSameBytes(one, expected(lba + k), "block " + (lba + k));
            }
        }
    }

    private byte[] expected(int lba) {
        return model[lba] < 0 ? new byte[B] : pattern(model[lba]);
    }

    private void check(DedupBdev d) {
        Set<Integer> distinct = new HashSet<>();
        int data = 0;
        for (int lba = 0; lba < BLOCKS; lba++) {
            if (model[lba] >= 0) {
                distinct.add(model[lba]);
                data++;
            }
        }
        byte[] all = DedupTesting.read(d, 0, BLOCKS);
        for (int lba = 0; lba < BLOCKS; lba++) {
            byte[] one = java.util.Arrays.copyOfRange(all, lba * B, (lba + 1) * B);
            TestIo.assertSameBytes(one, expected(lba), "block " + lba);
        }
        DedupStats s = d.stats();
        assertThat(s.physicalBlocksUsed()).as("physical blocks = distinct contents").isEqualTo(distinct.size());
        assertThat(s.logicalBlocksWritten()).isEqualTo(data);
    }
}
