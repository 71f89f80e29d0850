package org.k200emu.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command inside {@code ../shared/tools/linux-guest}: a real Linux kernel under QEMU that
 * shares this machine's root read-only and the project directory read-write. Integration tests
 * use it to drive the emulator with the stock nvme CLI, the kernel initiator and fio.
 *
 * <p>The tool lives beside the project (CI clones the project with {@code shared/} next to it).
 * Each run gets its own state directory so that runs do not collide.
 */
public final class LinuxGuest {

    /** What a guest run returned: the command's exit status (124 timeout, 125 no boot) and output. */
    public record Result(int exitCode, String output) {
        public boolean passed() {
            return exitCode == 0;
        }
    }

    private final Path projectRoot;
    private final Path tool;

    private LinuxGuest(Path projectRoot, Path tool) {
        this.projectRoot = projectRoot;
        this.tool = tool;
    }

    /** A guest run by {@code tool} from {@code projectRoot} (tests of this class). */
    static LinuxGuest of(Path projectRoot, Path tool) {
        return new LinuxGuest(projectRoot, tool);
    }

    /**
     * Finds the project root (the directory holding the reactor pom and {@code .git} or
     * {@code .ci}) from the system property {@code k200.projectRoot} or the working directory,
     * and the tool in {@code <root>/../shared/tools/linux-guest}.
     */
    public static LinuxGuest locate() {
        Path start = Path.of(System.getProperty("k200.projectRoot", System.getProperty("user.dir")))
                .toAbsolutePath().normalize();
        Path root = start;
        while (root != null && !(Files.exists(root.resolve("pom.xml")) && Files.isDirectory(root.resolve(".ci")))) {
            root = root.getParent();
        }
        if (root == null) {
            throw new IllegalStateException("cannot find the project root above " + start);
        }
        Path tool = root.resolveSibling("shared").resolve("tools").resolve("linux-guest");
        if (!Files.isExecutable(tool)) {
            throw new IllegalStateException("linux-guest not found at " + tool
                    + " (the project expects ../shared beside it)");
        }
        return new LinuxGuest(root, tool);
    }

    public Path projectRoot() {
        return projectRoot;
    }

    /**
     * Copies a script of {@code ../shared/tools} into the project's {@code target/guest-tools}
     * and returns its path relative to the project root: the guest sees the project directory,
     * but not {@code ../shared} when that lies under the host's /tmp (a tmpfs in the guest).
     */
    public String stageTool(String name) throws java.io.IOException {
        Path source = tool.resolveSibling(name);
        Path dir = projectRoot.resolve("target").resolve("guest-tools");
        Files.createDirectories(dir);
        Path copy = dir.resolve(name);
        Files.copy(source, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        copy.toFile().setExecutable(true);
        return projectRoot.relativize(copy).toString();
    }

    /** The line of the tool's QEMU command line that extra arguments are put before. */
    static final String QEMU_ANCHOR = "  -nic none -nographic";

    /**
     * This guest with extra QEMU arguments (devices such as an NVMe controller over an NBD drive):
     * the tool is copied to {@code <root>/target/guest-tools/<copyName>} with one line of
     * arguments inserted into its QEMU command line, since the tool itself takes no device
     * options and {@code ../shared} is not ours to edit. The copy keeps the tool's modification
     * time, so its cached initramfs is not rebuilt. Fails if the tool no longer has the line
     * (starting with {@value #QEMU_ANCHOR}) the arguments go before.
     */
    public LinuxGuest withQemuArguments(String copyName, List<String> arguments) throws IOException {
        String text = Files.readString(tool, StandardCharsets.UTF_8);
        int at = text.indexOf("\n" + QEMU_ANCHOR);
        if (at < 0 || text.indexOf("\n" + QEMU_ANCHOR, at + 1) >= 0) {
            throw new IllegalStateException(tool + " no longer has exactly one line starting with '" + QEMU_ANCHOR
                    + "' in its QEMU command line: cannot add " + arguments);
        }
        StringBuilder line = new StringBuilder("\n ");
        for (String a : arguments) {
            line.append(" '").append(a.replace("'", "'\\''")).append('\'');
        }
        String patched = text.substring(0, at) + line + text.substring(at);
        Path dir = projectRoot.resolve("target").resolve("guest-tools");
        Files.createDirectories(dir);
        Path copy = dir.resolve(copyName);
        Files.writeString(copy, patched, StandardCharsets.UTF_8);
        copy.toFile().setExecutable(true);
        Files.setLastModifiedTime(copy, Files.getLastModifiedTime(tool));
        return new LinuxGuest(projectRoot, copy);
    }

    /** The tool this guest runs (the shared one, or a copy made by {@link #withQemuArguments}). */
    public Path tool() {
        return tool;
    }

    /**
     * Boots the guest and runs {@code command} there with bash in the project root; returns when
     * the guest powers off or {@code timeoutSeconds} pass (then the exit code is 124). Output is
     * echoed to this process's stdout as it comes, so a CI log shows progress.
     */
    public Result run(String stateName, int timeoutSeconds, String memory, String... command)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool.toString());
        cmd.add("--timeout");
        cmd.add(Integer.toString(timeoutSeconds));
        cmd.add("--mem");
        cmd.add(memory);
        cmd.add("--state");
        cmd.add(".linux-guest-" + stateName);
        cmd.add("--");
        cmd.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(projectRoot.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        Thread pump = new Thread(() -> {
            try (var in = p.getInputStream()) {
                byte[] buf = new byte[8192];
                int n;
                while ((n = in.read(buf)) > 0) {
                    String s = new String(buf, 0, n, StandardCharsets.UTF_8);
                    System.out.print(s);
                    synchronized (out) {
                        out.append(s);
                    }
                }
            } catch (IOException e) {
                // The process ended; what was read is kept.
            }
        }, "linux-guest-output");
        pump.setDaemon(true);
        pump.start();
        if (!p.waitFor(timeoutSeconds + 300L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            pump.join(5000);
            synchronized (out) {
                return new Result(124, out.toString());
            }
        }
        pump.join(10000);
        synchronized (out) {
            return new Result(p.exitValue(), out.toString());
        }
    }
}
