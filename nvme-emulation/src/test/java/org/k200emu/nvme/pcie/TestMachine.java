package org.k200emu.nvme.pcie;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;

/**
 * A host and the card for tests: host memory at 4 GiB (so addresses need 64 bits), an NVM
 * subsystem with malloc namespaces, the PCIe function on a given core, and the test driver
 * wired to its interrupts. Closing it releases all of them.
 */
final class TestMachine implements AutoCloseable {

    static final String NQN = "nqn.2024-01.org.k200emu:pcie-test";
    static final String SERIAL = "PCIE0123";
    static final String MODEL = "K200-LP PCIe test";
    static final long MEMORY_BASE = 0x1_0000_0000L;
    static final int BLOCK = 512;
    /** Blocks of the default namespace: 16 MiB. */
    static final long BLOCKS = 32768;

    final Subsystem subsystem = Subsystem.nvm(NQN, SERIAL, MODEL, true, List.of());
    final List<Bdev> bdevs = new ArrayList<>();
    final HostMemory memory;
    final TestNvmeDriver driver;
    final PcieController device;

    TestMachine(PcieParams params, Executor core, int memoryBytes, Bdev... namespaces) {
        for (Bdev bdev : namespaces) {
            bdevs.add(bdev);
            subsystem.addNamespace(new Namespace(0, bdev, null, null));
        }
        memory = new HostMemory(MEMORY_BASE, memoryBytes);
        driver = new TestNvmeDriver(memory);
        device = new PcieController(subsystem, memory, params, core, driver);
        driver.attach(device);
    }

    /** Default parameters, inline core, 16 MiB of host memory, one 16 MiB namespace. */
    static TestMachine start() {
        return new TestMachine(PcieParams.defaults(), Runnable::run, 16 << 20, new MallocBdev("malloc0", BLOCK, BLOCKS));
    }

    static TestMachine start(PcieParams params) {
        return new TestMachine(params, Runnable::run, 16 << 20, new MallocBdev("malloc0", BLOCK, BLOCKS));
    }

    /** Started and enabled, admin queues of 32 entries. */
    static TestMachine ready() {
        TestMachine m = start();
        m.driver.enable();
        return m;
    }

    int csts() {
        return driver.csts();
    }

    @Override
    public void close() {
        device.close();
        for (Bdev b : bdevs) {
            b.close();
        }
        memory.close();
    }
}
