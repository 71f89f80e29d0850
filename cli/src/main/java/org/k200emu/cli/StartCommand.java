package org.k200emu.cli;

import ch.qos.logback.classic.Level;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.k200emu.card.config.CardConfig;
import org.k200emu.cli.start.CardProcess;
import org.k200emu.cli.start.ManagementServer;
import org.k200emu.cli.start.StartOverrides;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code k200 start}: boots the card (simulated cores, bdevs, subsystems, NVMe/TCP ports and
 * discovery) in this process and serves until SIGINT or SIGTERM, then shuts down cleanly.
 */
@Command(name = "start",
        mixinStandardHelpOptions = true,
        description = {"Start the emulated K200-LP card and serve NVMe/TCP until interrupted.",
            "Without --config the embedded default is used: subsystem nqn.2014-08.org.k200emu:default with one"
                + " 1 GiB malloc namespace, NVMe/TCP on 127.0.0.1:4420 and discovery on 127.0.0.1:8009."})
final class StartCommand implements java.util.concurrent.Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(StartCommand.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Card configuration, JSON (.json) or YAML (.yaml/.yml). Default: the embedded one.")
    Path config;

    @Option(names = {"-l", "--listen"}, paramLabel = "ADDRESS",
            description = "Listen on this address instead of the configured one (every port).")
    String listen;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT",
            description = "NVMe/TCP port of the first listener instead of the configured one (0 = any free port).")
    Integer port;

    @Option(names = "--discovery-port", paramLabel = "PORT",
            description = "Discovery-only listener port instead of the configured one (-1 = none).")
    Integer discoveryPort;

    @Option(names = "--mode", paramLabel = "MODE",
            description = "standalone (serve the card's drives on the fabric) or coprocessor (also attach the"
                    + " configured remote namespaces and show the host-side drives on the host port)."
                    + " Default: as configured, else standalone.")
    String mode;

    @Option(names = "--host-port", paramLabel = "PORT",
            description = "Host-side NVMe/TCP port in co-processor mode instead of the configured one (default 4430).")
    Integer hostPort;

    @Option(names = "--nbd-port", paramLabel = "PORT",
            description = "Serve NBD on this port (0 = any free port) instead of the configured one; without an nbd"
                    + " block in the configuration, every namespace's bdev is exported under its own name on 127.0.0.1.")
    Integer nbdPort;

    @Option(names = "--management-port", paramLabel = "PORT", defaultValue = "4480",
            description = "Port of the management endpoint that k200 ctl talks to, on 127.0.0.1 (-1: none;"
                    + " default: ${DEFAULT-VALUE}; if it is taken the card runs without one).")
    int managementPort;

    @Option(names = "--host-threads", paramLabel = "N",
            description = "Host threads that run the 80 simulated cores (default: configured, else all processors).")
    Integer hostThreads;

    @Option(names = "--cpus", paramLabel = "LIST",
            description = "Pin host thread i to the i-th CPU of LIST, in taskset -c syntax such as 0 or 2-5"
                    + " (default: as configured in clusters.cpus, else not pinned).")
    String cpus;

    @Option(names = "--tcp-congestion", paramLabel = "NAME",
            description = "TCP congestion control of the card's NVMe/TCP and NBD connections, such as cubic or bbr"
                    + " (default: as configured in clusters.tcpCongestion, else the system's). On loopback bbr's pacing"
                    + " costs a third of the bandwidth.")
    String tcpCongestion;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(names = {"-v", "--verbose"}, description = "Stack traces on errors, and debug logging.")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Level level = Level.toLevel(logLevel, null);
        if (level == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown log level '" + logLevel
                    + "' (use error, warn, info, debug or trace)");
        }
        checkRange("--port", port, 0, 65535);
        checkRange("--discovery-port", discoveryPort, -1, 65535);
        checkRange("--host-threads", hostThreads, 1, Integer.MAX_VALUE);
        checkRange("--host-port", hostPort, 0, 65535);
        checkRange("--management-port", managementPort, -1, 65535);
        if (cpus != null) {
            try {
                org.k200emu.cluster.affinity.CpuList.parse(cpus);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "invalid value for --cpus: "
                        + e.getMessage());
            }
        }
        checkRange("--nbd-port", nbdPort, 0, 65535);
        if (tcpCongestion != null) {
            try {
                org.k200emu.cluster.netty.TcpCongestion.check(tcpCongestion);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "invalid value for --tcp-congestion: "
                        + e.getMessage());
            }
        }
        if (mode != null && !mode.equals(CardConfig.STANDALONE) && !mode.equals(CardConfig.COPROCESSOR)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "invalid value for --mode: " + mode
                    + " (use standalone or coprocessor)");
        }
        setLogLevel(verbose ? Level.DEBUG : level);
        CardConfig card = config == null ? CardConfig.embeddedDefault() : CardConfig.load(config);
        StartOverrides overrides = new StartOverrides(listen, port, discoveryPort, hostThreads, mode, hostPort,
                cpus, nbdPort, tcpCongestion);

        CountDownLatch stopRequested = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                // Let the main thread finish the shutdown; the JVM halts when this hook returns.
                stopped.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "k200-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        boolean started = false;
        try (CardProcess process = CardProcess.start(card, overrides)) {
            started = true;
            LOG.info("card started: {}", process.summary());
            ManagementServer management = management(process);
            try {
                stopRequested.await();
                LOG.info("stopping the card");
            } finally {
                if (management != null) {
                    management.close();
                }
            }
        } finally {
            if (started) {
                LOG.info("card stopped");
            } else {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // The JVM is already exiting; the hook returns at once.
                }
            }
            stopped.countDown();
        }
        return 0;
    }

    /** The management endpoint for k200 ctl, or null when disabled or its port is taken. */
    private ManagementServer management(CardProcess process) {
        if (managementPort < 0) {
            return null;
        }
        try {
            ManagementServer m = ManagementServer.start(process, "127.0.0.1", managementPort);
            LOG.info("management endpoint (k200 ctl) on {}", m.address());
            return m;
        } catch (java.io.IOException e) {
            LOG.warn("no management endpoint: cannot listen on 127.0.0.1:{} ({})", managementPort, e.getMessage());
            return null;
        }
    }

    /** Command-line values are checked like the configuration file's: out of range is a bad argument. */
    private void checkRange(String option, Integer value, int min, int max) {
        if (value != null && (value < min || value > max)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "invalid value for " + option + ": " + value
                    + (max == Integer.MAX_VALUE ? " (must be at least " + min + ")"
                    : " (must be " + min + ".." + max + ")"));
        }
    }

    private static void setLogLevel(Level parsed) {
        org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger) {
            ((ch.qos.logback.classic.Logger) root).setLevel(parsed);
        }
    }
}
