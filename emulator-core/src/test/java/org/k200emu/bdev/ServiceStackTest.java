package org.k200emu.bdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;
import org.k200emu.testing.Bytes;

/** Storage services made from the configuration: stacked on their members, key read from its file. */
class ServiceStackTest {

    private static int io(Bdev bdev, BdevOp op, long lba, long blocks, ByteBuf buf) {
        AtomicInteger status = new AtomicInteger(-1);
        bdev.submit(new BdevIo().prepare(op, lba, blocks, buf, Runnable::run, x -> status.set(x.status()), null));
        assertThat(status.get()).as("completed inline on malloc").isNotNegative();
        return status.get();
    }

    @Test
    void cryptAndIntegrityOverMallocFromTheConfiguration(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("volume.key");
        Files.writeString(key, ByteBufUtil.hexDump(Bytes.random(7, 64)) + "\n");
        CardConfig config = CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 1MiB}",
                "  - {name: sealed, type: crypt, member: m0, keyFile: '" + key + "'}",
                "  - {name: m1, type: malloc, size: 1MiB}",
                "  - {name: checked, type: integrity, member: m1}",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML);
        try (BdevRegistry registry = BdevRegistry.create(config)) {
            Bdev sealed = registry.get("sealed");
            assertThat(sealed.module()).isEqualTo("crypt");
            assertThat(registry.get("checked").module()).isEqualTo("integrity");
            ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(8, 4096));
            ByteBuf back = Unpooled.buffer(4096);
            ByteBuf raw = Unpooled.buffer(4096);
            try {
                assertThat(io(sealed, BdevOp.WRITE, 16, 8, data)).isZero();
                assertThat(io(sealed, BdevOp.READ, 16, 8, back)).isZero();
                assertThat(ByteBufUtil.equals(data, back)).isTrue();
                assertThat(io(registry.get("m0"), BdevOp.READ, 16, 8, raw)).isZero();
                assertThat(ByteBufUtil.equals(data, raw)).as("the member holds ciphertext").isFalse();
            } finally {
                data.release();
                back.release();
                raw.release();
            }
        }
    }

    @Test
    void aBadKeyFileIsAConfigurationError(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("short.key");
        Files.writeString(key, "00112233");
        CardConfig config = CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 1MiB}",
                "  - {name: sealed, type: crypt, member: m0, keyFile: '" + key + "'}",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML);
        assertThatThrownBy(() -> BdevRegistry.create(config))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.path()).isEqualTo("bdevs[1].keyFile");
                    assertThat(e.getMessage()).doesNotContain("00112233");
                });
    }
    @Test
    void erasureCodedVolumeFromTheConfiguration() {
        CardConfig config = CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: d0, type: malloc, size: 8MiB}",
                "  - {name: d1, type: malloc, size: 8MiB}",
                "  - {name: d2, type: malloc, size: 8MiB}",
                "  - {name: d3, type: malloc, size: 8MiB}",
                "  - {name: p0, type: malloc, size: 8MiB}",
                "  - {name: p1, type: malloc, size: 8MiB}",
                "  - {name: vol, type: ec, k: 4, m: 2, members: [d0, d1, d2, d3, p0, p1], stripSize: 16KiB}",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML);
        try (BdevRegistry registry = BdevRegistry.create(config)) {
            Bdev vol = registry.get("vol");
            assertThat(vol.module()).isEqualTo("ec");
            assertThat(vol.blockCount() * vol.blockSize()).as("about 4 members' worth").isGreaterThan(30L << 20);
            ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(9, 65536));
            ByteBuf back = Unpooled.buffer(65536);
            try {
                assertThat(io(vol, BdevOp.WRITE, 40, 128, data)).isZero();
                assertThat(io(vol, BdevOp.READ, 40, 128, back)).isZero();
                assertThat(ByteBufUtil.equals(data, back)).isTrue();
            } finally {
                data.release();
                back.release();
            }
        }
    }
    @Test
    void qosOverMallocFromTheConfiguration() {
        CardConfig config = CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 1MiB}",
                "  - {name: limited, type: qos, member: m0, iops: 1000, bandwidth: 64MiB}",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML);
        try (BdevRegistry registry = BdevRegistry.create(config)) {
            org.k200emu.bdev.qos.QosBdev qos = (org.k200emu.bdev.qos.QosBdev) registry.get("limited");
            assertThat(qos.module()).isEqualTo("qos");
            assertThat(qos.snapshot().toString()).contains("1000");
            ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(10, 4096));
            try {
                assertThat(io(qos, BdevOp.WRITE, 0, 8, data)).isZero();
            } finally {
                data.release();
            }
        }
    }
    @Test
    void raidAndDedupFromTheConfiguration() {
        CardConfig config = CardConfig.parse(String.join("\n",
                "bdevs:",
                "  - {name: a, type: malloc, size: 4MiB}",
                "  - {name: b, type: malloc, size: 4MiB}",
                "  - {name: c, type: malloc, size: 4MiB}",
                "  - {name: r5, type: raid, level: 5, members: [a, b, c], stripSize: 16KiB}",
                "  - {name: d, type: malloc, size: 4MiB}",
                "  - {name: dd, type: dedup, member: d}",
                "ports: [{port: 4420}]"), CardConfig.Format.YAML);
        try (BdevRegistry registry = BdevRegistry.create(config)) {
            for (String name : new String[] {"r5", "dd"}) {
                Bdev bdev = registry.get(name);
                ByteBuf data = Unpooled.wrappedBuffer(Bytes.random(name.hashCode(), 8192));
                ByteBuf back = Unpooled.buffer(8192);
                try {
                    long blocks = 8192 / bdev.blockSize();
                    assertThat(io(bdev, BdevOp.WRITE, 0, blocks, data)).as(name).isZero();
                    assertThat(io(bdev, BdevOp.READ, 0, blocks, back)).as(name).isZero();
                    assertThat(ByteBufUtil.equals(data, back)).as(name).isTrue();
                } finally {
                    data.release();
                    back.release();
                }
            }
            assertThat(registry.get("r5").module()).isEqualTo("raid");
            assertThat(registry.get("dd").module()).isEqualTo("dedup");
        }
    }
    @Test
    void logicalVolumesFromTheConfiguration() {
        String yaml = String.join("\n",
                "bdevs:",
                "  - {name: m0, type: malloc, size: 16MiB}",
                "  - {name: vg, type: lvstore, member: m0, clusterSize: 1MiB,",
                "     volumes: [{name: data, size: 4MiB}, {name: logs, size: 2MiB, thin: false}]}",
                "subsystems: [{nqn: 'nqn.2014-08.org.k200emu:s', namespaces: [{bdev: vg/data}, {bdev: vg/logs}]}]",
                "ports: [{port: 4420}]");
        CardConfig config = CardConfig.parse(yaml, CardConfig.Format.YAML);
        try (BdevRegistry registry = BdevRegistry.create(config)) {
            Bdev data = registry.get("vg/data");
            assertThat(data.module()).isEqualTo("lvol");
            assertThat(data.blockCount() * data.blockSize()).isEqualTo(4L << 20);
            assertThat(registry.get("vg/logs").blockCount() * registry.get("vg/logs").blockSize()).isEqualTo(2L << 20);
            ByteBuf buf = Unpooled.wrappedBuffer(Bytes.random(11, 4096));
            ByteBuf back = Unpooled.buffer(4096);
            try {
                long blocks = 4096 / data.blockSize();
                assertThat(io(data, BdevOp.WRITE, 100, blocks, buf)).isZero();
                assertThat(io(data, BdevOp.READ, 100, blocks, back)).isZero();
                assertThat(ByteBufUtil.equals(buf, back)).isTrue();
            } finally {
                buf.release();
                back.release();
            }
        }
    }
}
