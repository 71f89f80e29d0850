package org.k200emu.cli.start;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.k200emu.card.config.CardConfig;
import org.k200emu.testing.Bytes;
import org.k200emu.testing.HostTools;

/**
 * QEMU's own NBD client (qemu-img and qemu-io from qemu-utils, the same block layer that
 * {@code -drive driver=nbd} uses) against the card's NBD export: negotiation, size, a whole
 * image copied in and compared, pattern writes and reads, write-zeroes, discard, FUA and flush;
 * the bytes are then checked from the card's side through a second NBD connection.
 */
class NbdQemuInteropIT {

    private static String run(String... command) throws IOException, InterruptedException {
        HostTools.Result r = HostTools.run(List.of(command), 120);
        System.out.println("$ " + String.join(" ", command) + "\n" + r.output());
        assertThat(r.exitCode()).as("exit status of %s; output:%n%s", String.join(" ", command), r.output())
                .isZero();
        return r.output();
    }

    @Test
    void qemuImgAndQemuIoReadAndWriteTheExport() throws Exception {
        HostTools.require("qemu-utils", "qemu-io", "qemu-img");
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "nbd-interop");
        try (CardProcess card = CardProcess.start(CardConfig.embeddedDefault(),
                new StartOverrides("127.0.0.1", 0, -1, 2, null, null, null, 0))) {
            String url = "nbd://127.0.0.1:" + card.nbdServer().boundAddress().getPort() + "/malloc0";

            assertThat(run("qemu-img", "info", "-f", "raw", url)).contains("virtual size: 1 GiB (1073741824 bytes)");

            // A whole image in, then compared byte for byte (the rest of the export reads as zeroes).
            Path image = dir.resolve("random.img");
            Files.write(image, Bytes.random(2026, 8 << 20));
            run("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", image.toString(), url);
            assertThat(run("qemu-img", "compare", "-f", "raw", "-F", "raw", image.toString(), url))
                    .contains("Images are identical");

            List<String> io = new ArrayList<>(List.of("qemu-io", "-f", "raw", url));
            for (String c : new String[] {
                "write -P 0xab 16M 1M", "read -P 0xab 16M 1M",
                "write -z 16M 64k", "read -P 0 16M 64k", "read -P 0xab 16448k 960k",
                "discard 20M 1M", "read -P 0 20M 1M",
                "write -f -P 0xcd 24M 64k", "flush", "read -P 0xcd 24M 64k",
                "aio_write -P 0x5a 32M 128k", "aio_write -P 0x5b 33M 128k", "aio_flush",
                "read -P 0x5a 32M 128k", "read -P 0x5b 33M 128k"}) {
                io.add("-c");
                io.add(c);
            }
            String out = run(io.toArray(new String[0]));
            assertThat(out).doesNotContainIgnoringCase("fail").doesNotContainIgnoringCase("error")
                    .contains("wrote 1048576/1048576 bytes at offset 16777216",
                            "read 983040/983040 bytes at offset 16842752",
                            "discard 1048576/1048576 bytes at offset 20971520");

            // From the card's side: the bytes qemu-io wrote are in the bdev.
            try (CardNbdTest.Client direct = new CardNbdTest.Client(card.nbdServer().boundAddress(), "malloc0")) {
                byte[] ab = direct.read((16L << 20) + (64 << 10), 960 << 10);
                assertThat(ab).containsOnly((byte) 0xab);
                assertThat(direct.read(16L << 20, 64 << 10)).containsOnly((byte) 0);
                assertThat(direct.read(24L << 20, 64 << 10)).containsOnly((byte) 0xcd);
                assertThat(direct.read(0, 8 << 20)).isEqualTo(Files.readAllBytes(image));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
