package org.k200emu.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * This machine's programs that interop tests run as peers (qemu-img, a C compiler...): found on
 * the PATH, and installed from Debian's packages where they are missing and the test can (root,
 * apt-get), as the linux-guest tool installs its own. Where a program can be neither found nor
 * installed the test fails rather than skips: a skipped interop test proves nothing.
 */
public final class HostTools {

    private HostTools() {
    }

    /** The program's path on the PATH, or null. */
    public static Path find(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Makes sure every one of {@code programs} is on the PATH, installing {@code debianPackage}
     * with apt-get when one is missing and this process runs as root.
     *
     * @throws AssertionError when a program is still missing afterwards (with how to install it)
     */
    public static void require(String debianPackage, String... programs) throws IOException, InterruptedException {
        if (allFound(programs)) {
            return;
        }
        if (find("apt-get") != null && "root".equals(System.getProperty("user.name"))) {
            Result r = run(List.of("apt-get", "install", "-y", "-q", debianPackage), 600);
            if (r.exitCode() != 0) {
                throw new AssertionError("apt-get install " + debianPackage + " failed:\n" + r.output());
            }
        }
        if (!allFound(programs)) {
            throw new AssertionError(String.join(", ", programs) + " not found (Debian: apt-get install "
                    + debianPackage + ")");
        }
    }

    /** A finished program's exit status and its output (standard output and error together). */
    public record Result(int exitCode, String output) {
    }

    /**
     * Runs a program to its end, its output kept in a file so that a program that hangs is
     * ended at the timeout rather than blocking the test on its output.
     *
     * @throws AssertionError when it is still running after {@code timeoutSeconds} (with its output so far)
     */
    public static Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("host-tool", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(command.get(0) + " still running after " + timeoutSeconds + " s:\n"
                        + Files.readString(log));
            }
            return new Result(p.exitValue(), Files.readString(log));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static boolean allFound(String... programs) {
        for (String program : programs) {
            if (find(program) == null) {
                return false;
            }
        }
        return true;
    }
}
