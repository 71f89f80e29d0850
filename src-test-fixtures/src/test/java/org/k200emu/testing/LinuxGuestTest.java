package org.k200emu.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link LinuxGuest#withQemuArguments}: the copy of the tool, its quoting, and the missing anchor. */
class LinuxGuestTest {

    private Path root;

    @BeforeEach
    void makeRoot() throws IOException {
        root = Files.createTempDirectory(Path.of("/tmp"), "nbd-linux-guest-test");
    }

    @AfterEach
    void removeRoot() throws IOException {
        try (var files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A stand-in tool whose "QEMU command line" is echoed, one argument per line. */
    private Path tool(String anchorLine) throws IOException {
        Path tool = root.resolve("linux-guest");
        Files.writeString(tool, String.join("\n",
                "#!/usr/bin/env bash",
                "qemu=(printf '%s\\n' -kernel vmlinuz",
                anchorLine,
                "  -monitor none)",
                "\"${qemu[@]}\"", ""));
        tool.toFile().setExecutable(true);
        Files.setLastModifiedTime(tool, FileTime.fromMillis(1_000_000_000_000L));
        return tool;
    }

    @Test
    void copyAddsTheArgumentsBeforeTheAnchorQuotedAndKeepsTheModificationTime() throws Exception {
        Path tool = tool("  -nic none -nographic -no-reboot");
        LinuxGuest guest = LinuxGuest.of(root, tool).withQemuArguments("copy", List.of(
                "-drive", "driver=nbd,host=127.0.0.1,port=1,export=it's $HOME", "-device", "nvme,drive=k200d0"));
        Path copy = guest.tool();
        assertThat(copy).isEqualTo(root.resolve("target/guest-tools/copy"));
        assertThat(Files.getLastModifiedTime(copy)).isEqualTo(Files.getLastModifiedTime(tool));
        assertThat(Files.readString(tool)).doesNotContain("nbd");
        Process p = new ProcessBuilder(copy.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(out.split("\n")).containsExactly("-kernel", "vmlinuz", "-drive",
                "driver=nbd,host=127.0.0.1,port=1,export=it's $HOME", "-device", "nvme,drive=k200d0",
                "-nic", "none", "-nographic", "-no-reboot", "-monitor", "none");
    }

    @Test
    void aToolWithoutTheAnchorFailsLoudly() throws Exception {
        Path tool = tool("  -netdev user,id=n0 -nographic");
        assertThatThrownBy(() -> LinuxGuest.of(root, tool).withQemuArguments("copy", List.of("-device", "nvme")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("-nic none -nographic")
                .hasMessageContaining("[-device, nvme]");
        assertThat(root.resolve("target/guest-tools/copy")).doesNotExist();
    }
}
