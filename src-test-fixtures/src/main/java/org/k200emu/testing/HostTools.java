package org.k200emu.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
            Path log = Files.createTempFile("apt-get", ".log");
            try {
                Process p = new ProcessBuilder("apt-get", "install", "-y", "-q", debianPackage)
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                boolean finished = p.waitFor(600, TimeUnit.SECONDS);
                if (!finished) {
                    p.destroyForcibly().waitFor();
                }
                if (!finished || p.exitValue() != 0) {
                    throw new AssertionError("apt-get install " + debianPackage + " failed:\n" + Files.readString(log));
                }
            } finally {
                Files.deleteIfExists(log);
            }
        }
        if (!allFound(programs)) {
            throw new AssertionError(String.join(", ", programs) + " not found (Debian: apt-get install "
                    + debianPackage + ")");
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
