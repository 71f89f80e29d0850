package org.k200emu.bdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.k200emu.bdev.TestIo.assertSameBytes;
import static org.k200emu.bdev.TestIo.bytes;
import static org.k200emu.bdev.TestIo.inline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.nullbdev.NullBdev;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.CardConfig.BdevConfig;
import org.k200emu.card.config.CardConfig.Format;
import org.k200emu.card.config.ConfigException;
import org.k200emu.testing.Bytes;

class BdevRegistryTest {

    @TempDir
    Path dir;

    private CardConfig config(String bdevs) {
        return CardConfig.parse("bdevs:\n" + bdevs + "ports: [{}]\n", Format.YAML);
    }

    /** A valid card whose bdevs are replaced by these, which the parser would not have let through. */
    private static CardConfig withBdevs(BdevConfig... bdevs) {
        CardConfig base = CardConfig.parse("ports: [{}]", Format.YAML);
        return new CardConfig(base.ddrBytes(), base.clusters(), List.of(bdevs), base.subsystems(), base.ports(),
                base.discoveryPort());
    }

    private String threeBdevs(Path disk) {
        return "  - {name: m0, type: malloc, size: 4MiB}\n"
                + "  - {name: n0, type: 'null', size: 1GiB, blockSize: 4096}\n"
                + "  - {name: f0, type: file, path: '" + disk + "', size: 2MiB, blockSize: 4096, create: true}\n";
    }

    @Test
    void createsEveryBdevOfTheConfigurationInOrder() throws IOException {
        Path disk = dir.resolve("f0.img");
        try (BdevRegistry registry = BdevRegistry.create(config(threeBdevs(disk)))) {
            assertThat(registry.all()).extracting(Bdev::name).containsExactly("m0", "n0", "f0");
            assertThat(registry.all()).extracting(Bdev::module).containsExactly("malloc", "null", "file");
            assertThat(registry.all()).extracting(Bdev::blockSize).containsExactly(512, 4096, 4096);
            assertThat(registry.all()).extracting(Bdev::blockCount).containsExactly(8192L, 262_144L, 512L);

            assertThat(registry.get("m0")).isInstanceOf(MallocBdev.class);
            assertThat(registry.get("n0")).isInstanceOf(NullBdev.class);
            assertThat(registry.get("f0")).isInstanceOfSatisfying(FileBdev.class,
                    f -> assertThat(f.path()).isEqualTo(disk));
            assertThat(Files.size(disk)).isEqualTo(2L << 20);
            assertThat(registry.all()).containsExactly(registry.get("m0"), registry.get("n0"), registry.get("f0"));
        }
    }

    @Test
    void embeddedDefaultGivesOneLazyGibibyteMallocBdev() {
        try (BdevRegistry registry = BdevRegistry.create(CardConfig.embeddedDefault())) {
            assertThat(registry.all()).hasSize(1);
            Bdev b = registry.get("malloc0");
            assertThat(b).isInstanceOf(MallocBdev.class);
            assertThat(b.blockSize()).isEqualTo(512);
            assertThat(b.blockCount()).isEqualTo(2_097_152);
            assertThat(((MallocBdev) b).allocatedBytes()).isZero();
        }
    }

    @Test
    void bdevsFromTheRegistryDoIo() throws Exception {
        Path disk = dir.resolve("f0.img");
        try (BdevRegistry registry = BdevRegistry.create(config(threeBdevs(disk)))) {
            byte[] data = Bytes.random(1, 4096);
            ByteBuf src = Unpooled.wrappedBuffer(data);
            ByteBuf dst = Unpooled.buffer(4096);
            try {
                assertThat(inline(registry.get("m0"), BdevOp.WRITE, 8, 8, src)).isEqualTo(BdevStatus.SUCCESS);
                assertThat(inline(registry.get("m0"), BdevOp.READ, 8, 8, dst)).isEqualTo(BdevStatus.SUCCESS);
                assertSameBytes(bytes(dst), data, "malloc read back");
                assertThat(TestIo.await(registry.get("f0"), new BdevIo(), BdevOp.WRITE, 511, 1, src, Runnable::run)
                        .status()).isEqualTo(BdevStatus.SUCCESS);
            } finally {
                src.release();
                dst.release();
            }
        }
        // Closing the registry synced the file bdev.
        byte[] file = Files.readAllBytes(disk);
        assertSameBytes(Arrays.copyOfRange(file, 511 * 4096, 512 * 4096), Bytes.random(1, 4096), "file block 511");
    }

    @Test
    void unknownNameIsAnError() {
        try (BdevRegistry registry = BdevRegistry.create(CardConfig.embeddedDefault())) {
            assertThatThrownBy(() -> registry.get("malloc1")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("no bdev named 'malloc1'");
            assertThatThrownBy(() -> registry.get("MALLOC0")).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void addRegistersANewNameAndRefusesATakenOne() {
        try (BdevRegistry registry = BdevRegistry.create(CardConfig.embeddedDefault())) {
            NullBdev extra = new NullBdev("null9", 512, 8);
            registry.add(extra);
            assertThat(registry.get("null9")).isSameAs(extra);
            assertThat(registry.all()).extracting(Bdev::name).containsExactly("malloc0", "null9");

            MallocBdev clash = new MallocBdev("malloc0", 512, 8);
            try {
                assertThatThrownBy(() -> registry.add(clash)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("a bdev named 'malloc0' exists already");
                assertThat(registry.get("malloc0")).isNotSameAs(clash);
            } finally {
                clash.close();
            }
        }
    }

    @Test
    void allIsAnUnmodifiableSnapshot() {
        try (BdevRegistry registry = BdevRegistry.create(CardConfig.embeddedDefault())) {
            var before = registry.all();
            assertThatThrownBy(before::clear).isInstanceOf(UnsupportedOperationException.class);
            registry.add(new NullBdev("null9", 512, 8));
            assertThat(before).extracting(Bdev::name).containsExactly("malloc0");
        }
    }

    @Test
    void closeClosesEveryBdevAndEmptiesTheRegistry() throws Exception {
        Path disk = dir.resolve("f0.img");
        BdevRegistry registry = BdevRegistry.create(config(threeBdevs(disk)));
        MallocBdev malloc = (MallocBdev) registry.get("m0");
        Bdev file = registry.get("f0");
        ByteBuf block = Unpooled.wrappedBuffer(Bytes.random(2, 4096));
        try {
            assertThat(inline(malloc, BdevOp.WRITE, 0, 8, block)).isEqualTo(BdevStatus.SUCCESS);
            assertThat(malloc.allocatedBytes()).isEqualTo(1 << 20);

            registry.close();

            assertThat(registry.all()).isEmpty();
            assertThatThrownBy(() -> registry.get("m0")).isInstanceOf(IllegalArgumentException.class);
            assertThat(malloc.allocatedBytes()).as("malloc memory freed").isZero();
            assertThat(inline(malloc, BdevOp.WRITE, 0, 8, block)).isEqualTo(BdevStatus.ABORTED);
            assertThat(inline(file, BdevOp.WRITE, 0, 1, block)).isEqualTo(BdevStatus.ABORTED);
            if (TestIo.canCountDescriptors()) {
                assertThat(TestIo.openDescriptors(disk)).as("file closed").isZero();
            }
        } finally {
            block.release();
        }
    }

    @Test
    void aFileThatCannotBeOpenedIsAConfigErrorAndEarlierBdevsAreClosed() throws IOException {
        assumeThat(TestIo.canCountDescriptors()).as("/proc/self/fd").isTrue();
        Path first = dir.resolve("first.img");
        Path missing = dir.resolve("missing.img");
        CardConfig config = config(
                "  - {name: f0, type: file, path: '" + first + "', size: 1MiB, create: true}\n"
                + "  - {name: f1, type: file, path: '" + missing + "'}\n");
        assertThatThrownBy(() -> BdevRegistry.create(config))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("bdevs[1].path");
                    assertThat(e.reason()).startsWith("cannot open " + missing + ": ");
                });
        assertThat(first).exists();
        assertThat(TestIo.openDescriptors(first)).as("bdevs[0] closed").isZero();
        assertThat(missing).doesNotExist();
    }

    @Test
    void aTooSmallFileIsAConfigError() throws IOException {
        Path small = dir.resolve("small.img");
        Files.write(small, new byte[4096]);
        CardConfig config = config("  - {name: f0, type: file, path: '" + small + "', size: 8KiB}\n");
        assertThatThrownBy(() -> BdevRegistry.create(config))
                .isInstanceOf(ConfigException.class)
                .hasMessage("bdevs[0].path: cannot open " + small + ": " + small
                        + " holds 4096 bytes, less than the configured 8192");
    }

    @Test
    void unknownTypeInAHandBuiltConfigIsAConfigErrorAndEarlierBdevsAreClosed() throws IOException {
        Path first = dir.resolve("first.img");
        CardConfig config = withBdevs(
                new BdevConfig("f0", "file", 1 << 20, 512, first, true),
                new BdevConfig("x0", "nvme", 1 << 20, 512, null, false));
        assertThatThrownBy(() -> BdevRegistry.create(config))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("bdevs[1].type");
                    assertThat(e.reason()).isEqualTo("unknown bdev type 'nvme'");
                });
        if (TestIo.canCountDescriptors()) {
            assertThat(TestIo.openDescriptors(first)).as("bdevs[0] closed").isZero();
        }
    }

    @Test
    void duplicateNamesInAHandBuiltConfigCloseBothBdevs() throws IOException {
        assumeThat(TestIo.canCountDescriptors()).as("/proc/self/fd").isTrue();
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        CardConfig config = withBdevs(
                new BdevConfig("f0", "file", 1 << 20, 512, a, true),
                new BdevConfig("f0", "file", 1 << 20, 512, b, true));
        assertThatThrownBy(() -> BdevRegistry.create(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a bdev named 'f0' exists already");
        assertThat(TestIo.openDescriptors(a)).as("the registered one").isZero();
        assertThat(TestIo.openDescriptors(b)).as("the one made but refused").isZero();
    }

    @Test
    void anEmptyConfigurationMakesAnEmptyRegistry() {
        try (BdevRegistry registry = BdevRegistry.create(CardConfig.parse("ports: [{}]", Format.YAML))) {
            assertThat(registry.all()).isEmpty();
        }
    }

    @Test
    void closeWaitsForFileIoInFlight() throws Exception {
        Path disk = dir.resolve("f0.img");
        BdevRegistry registry = BdevRegistry.create(config(threeBdevs(disk)));
        Bdev file = registry.get("f0");
        byte[] data = Bytes.random(3, 512 * 4096);
        ByteBuf src = Unpooled.wrappedBuffer(data);
        CompletableFuture<Integer> done = new CompletableFuture<>();
        try {
            file.submit(new BdevIo().prepare(BdevOp.WRITE, 0, 512, src, Runnable::run,
                    io -> done.complete(io.status()), null));
            registry.close();
            assertThat(done.get(5, TimeUnit.SECONDS)).isEqualTo(BdevStatus.SUCCESS);
        } finally {
            src.release();
        }
        assertSameBytes(Files.readAllBytes(disk), data, "whole file after close");
    }
}
