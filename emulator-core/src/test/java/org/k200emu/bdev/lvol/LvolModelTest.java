package org.k200emu.bdev.lvol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.k200emu.bdev.lvol.LvolTesting.KIB;
import static org.k200emu.bdev.lvol.LvolTesting.mustWrite;
import static org.k200emu.bdev.lvol.LvolTesting.pattern;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.k200emu.bdev.TestIo;
import org.k200emu.bdev.malloc.MallocBdev;

/**
 * Random control and data operations against a byte-array model of every volume, with crashes
 * and reopens in between; at the end every cluster must be free again once all is deleted.
 */
class LvolModelTest {

    static final int CLUSTER = 16 * KIB;
    static final int BPC = CLUSTER / 512;
    static final int VOLUME = 8 * CLUSTER;

    @Test
    void randomOperationsMatchTheModelAcrossCrashes() throws Exception {
        MallocBdev member = new MallocBdev("m0", 512, 16 * 1024);
        LvolStore store = LvolStore.create("lvs0", member, CLUSTER, 32);
        try {
            Random rnd = new Random(77);
            Map<String, byte[]> model = new HashMap<>();
            Map<String, Boolean> snapshot = new HashMap<>();
            int made = 0;
            for (int step = 0; step < 300; step++) {
                checkAgainstModel(store, model, "step " + step);
                List<String> names = new ArrayList<>(model.keySet());
                names.sort(null);
                int what = rnd.nextInt(100);
                if (names.isEmpty() || what < 8) {
                    String n = "v" + made++;
                    store.createVolume(n, VOLUME, rnd.nextBoolean());
                    model.put(n, new byte[VOLUME]);
                    snapshot.put(n, false);
                } else if (what < 70) {
                    String n = names.get(rnd.nextInt(names.size()));
                    if (snapshot.get(n)) {
                        continue;
                    }
                    int blocks = 1 + rnd.nextInt(2 * BPC);
                    int lba = rnd.nextInt(VOLUME / 512 - blocks + 1);
                    byte[] data = pattern(step, blocks * 512);
                    mustWrite(store.volume(n), lba, data);
                    System.arraycopy(data, 0, model.get(n), lba * 512, data.length);
                } else if (what < 78) {
                    String n = names.get(rnd.nextInt(names.size()));
                    if (snapshot.get(n)) {
                        continue;
                    }
                    String s = "s" + made++;
                    store.snapshot(n, s);
                    model.put(s, model.get(n).clone());
                    snapshot.put(s, true);
                } else if (what < 86) {
                    String n = names.get(rnd.nextInt(names.size()));
                    if (!snapshot.get(n)) {
                        continue;
                    }
                    String c = "c" + made++;
                    store.clone(n, c);
                    model.put(c, model.get(n).clone());
                    snapshot.put(c, false);
                } else if (what < 93 && names.size() > 2) {
                    String n = names.get(rnd.nextInt(names.size()));
                    store.delete(n);
                    model.remove(n);
                    snapshot.remove(n);
                } else {
                    if (rnd.nextBoolean()) {
                        store.crash();
                    } else {
                        store.close();
                    }
                    store = LvolStore.create("lvs0", member, CLUSTER);
                }
            }
            store.crash();
            store = LvolStore.create("lvs0", member, CLUSTER);
            checkAgainstModel(store, model, "end");
            for (String n : model.keySet()) {
                store.delete(n);
            }
            assertThat(store.freeClusters()).as("no cluster leaked").isEqualTo(store.clusterCount());
        } finally {
            store.close();
            member.close();
        }
    }

    /** Every volume reads as its model, and each cluster's count equals the map entries naming it. */
    private static void checkAgainstModel(LvolStore store, Map<String, byte[]> model, String when) throws Exception {
        int[] entries = new int[store.clusterCount()];
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            Lvol v = store.volume(e.getKey());
            TestIo.assertSameBytes(LvolTesting.read(v, 0, VOLUME / 512), e.getValue(), when + " " + e.getKey());
            AtomicIntegerArray map = v.map();
            for (int i = 0; i < map.length(); i++) {
                if (map.get(i) != 0) {
                    entries[map.get(i) - 1]++;
                }
            }
        }
        long free = 0;
        for (int p = 0; p < entries.length; p++) {
            assertThat(store.refCount(p)).as("%s: references of cluster %d", when, p).isEqualTo(entries[p]);
            if (entries[p] == 0) {
                free++;
            }
        }
        assertThat(store.freeClusters()).as("%s: free clusters", when).isEqualTo(free);
    }
}
