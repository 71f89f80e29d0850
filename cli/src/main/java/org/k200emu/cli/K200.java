package org.k200emu.cli;

import org.k200emu.cli.bench.BenchCommand;
import org.k200emu.cli.ctl.CtlCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code k200} command: the card simulator's front door. Git-style subcommands, each a small
 * class; errors are one line on stderr and a non-zero exit status (a stack trace only with -v).
 */
@Command(name = "k200",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Kalray K200-LP smart storage adapter emulator: an NVMe/TCP target with the card's"
                + " 80 simulated cores, in one process.",
        subcommands = {StartCommand.class, BenchCommand.class, CtlCommand.class, CommandLine.HelpCommand.class})
public final class K200 implements Runnable {

    private static final String RECYCLER_CHUNK = "io.netty.recycler.chunkSize";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'k200 start' or 'k200 --help'");
    }

    /** Builds the command line with the project's error handling; tests use it in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new K200());
        cl.setParameterExceptionHandler(Errors::onBadArguments);
        cl.setExecutionExceptionHandler(Errors::onFailure);
        return cl;
    }

    public static void main(String[] args) {
        if (System.getProperty(RECYCLER_CHUNK) == null) {
            // Before any Netty class loads: the recycler that pools buffer and command objects
            // keeps this many released ones per thread at hand. Netty's 32 overflows when a
            // connection at queue depth 128 completes in bursts, and the overflow queue then
            // allocates a new chunk every 32 releases (25 bytes per I/O at 4 x QD128; 0 with this).
            System.setProperty(RECYCLER_CHUNK, "1024");
        }
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Leak tracking samples buffers and records stack traces: for tests, not for a running card.
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        preloadSignatureClasses();
        if (System.getProperty("io.netty.machineId") == null) {
            // Netty looks for a MAC address for channel IDs and warns when a host has none (a VM).
            byte[] id = new byte[6];
            new java.security.SecureRandom().nextBytes(id);
            System.setProperty("io.netty.machineId", io.netty.buffer.ByteBufUtil.hexDump(id).replaceAll("(..)(?!$)", "$1:"));
        }
        // During a signal-driven shutdown this blocks until the hooks finish, which is harmless.
        System.exit(commandLine().execute(args));
    }

    /**
     * Loads, now, classes that HotSpot would otherwise load on an event loop seconds into the
     * I/O. When a hot method is queued for compilation, the thread that tipped it over loads the
     * classes of the method's signature (CompileBroker, Method::load_signature_classes), even ones
     * the code never instantiates: the buffer allocator's leak tracking returns a
     * DefaultResourceLeak, which is never made with leak detection off, yet loading it cost about
     * 27 KB of garbage inside a measured window (found with JDK 25's -XX:LogClassLoadingCauseFor).
     */
    private static void preloadSignatureClasses() {
        try {
            Class.forName("io.netty.util.ResourceLeakDetector$DefaultResourceLeak", false, K200.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            // A Netty without that class has nothing to load late either.
        }
    }
}
