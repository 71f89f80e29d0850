package org.k200emu.cluster.affinity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.k200emu.cluster.CorePlacement;
import org.k200emu.cluster.Mppa;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.netty.CoreEventLoops;

class CpuAffinityTest {

    /** The kernel's own account of a thread's CPUs, independent of the jnr-ffi binding. */
    private static String kernelView() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        throw new AssertionError("no Cpus_allowed_list in /proc/thread-self/status");
    }

    @Test
    void pinsTheCallingThreadToEachAllowedCpu() throws Exception {
        assumeThat(CpuAffinity.available()).as("Linux").isTrue();
        BitSet allowed = CpuAffinity.currentThreadCpus();
        assertThat(CpuAffinity.format(allowed)).isEqualTo(kernelView());
        for (int cpu = allowed.nextSetBit(0); cpu >= 0; cpu = allowed.nextSetBit(cpu + 1)) {
            int target = cpu;
            AtomicReference<Object> seen = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    CpuAffinity.pinCurrentThread(target);
                    seen.set(kernelView() + "|" + CpuAffinity.format(CpuAffinity.currentThreadCpus()));
                } catch (Exception | AssertionError e) {
                    seen.set(e);
                }
            });
            t.start();
            t.join();
            assertThat(seen.get()).as("CPU %d", cpu).isEqualTo(cpu + "|" + cpu);
        }
        assertThat(CpuAffinity.currentThreadCpus()).as("other threads keep their CPUs").isEqualTo(allowed);
    }

    @Test
    void aCpuOutsideTheAllowedSetIsRefusedAndChangesNothing() throws Exception {
        assumeThat(CpuAffinity.available()).as("Linux").isTrue();
        BitSet before = CpuAffinity.currentThreadCpus();
        int absent = before.length() + 64;
        assertThatThrownBy(() -> CpuAffinity.pinCurrentThread(absent))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("CPU " + absent + " is not one this process may run on (allowed: " + kernelView() + ")");
        assertThat(CpuAffinity.currentThreadCpus()).isEqualTo(before);
    }

    @Test
    void eventLoopsPinTheirHostThreads() throws Exception {
        assumeThat(CpuAffinity.available()).as("Linux").isTrue();
        BitSet allowed = CpuAffinity.currentThreadCpus();
        int last = allowed.length() - 1;
        Mppa mppa = Mppa.create(MppaLayout.DEFAULT);
        try (CoreEventLoops loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, 2))) {
            loops.pin(CpuList.parse(Integer.toString(last)));
            for (int host = 0; host < 2; host++) {
                String view = loops.eventLoops().get(host).submit(CpuAffinityTest::kernelView).get();
                assertThat(view).as("host thread %d", host).isEqualTo(Integer.toString(last));
            }
            assertThatThrownBy(() -> loops.pin(CpuList.parse(Integer.toString(last + 64))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not one this process");
        }
    }
}
