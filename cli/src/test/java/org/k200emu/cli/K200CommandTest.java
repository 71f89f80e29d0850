package org.k200emu.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code k200} command line, in-process: help, version, and how bad arguments and run-time
 * failures are reported (one line, a hint for bad arguments, exit status 2 or 1, no stack trace).
 * A successful {@code start} is never run here: it serves until the JVM is signalled.
 */
class K200CommandTest {

    /** What one run printed and returned. */
    private record Run(int exitCode, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = K200.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /**
     * Runs a {@code start} that must fail before serving; should it serve instead, the timeout
     * interrupts it (which stops the card) and fails the test rather than hanging the build.
     */
    private static Run runStartThatMustNotServe(String... options) {
        String[] args = new String[options.length + 1];
        args[0] = "start";
        System.arraycopy(options, 0, args, 1, options.length);
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> run(args));
    }

    /** Bad arguments: exactly the error line and the hint, nothing else (no stack trace). */
    private static void assertBadArguments(Run r, String command, String errorFragment) {
        assertThat(r.exitCode()).as("exit status; stderr: %s", r.err()).isEqualTo(2);
        assertThat(r.errLines()).as("stderr lines").hasSize(2);
        assertThat(r.errLines().get(0)).startsWith("k200: ").contains(errorFragment);
        assertThat(r.errLines().get(1)).isEqualTo("Try '" + command + " --help' for usage.");
        assertThat(r.err()).doesNotContain("\tat ", "Exception");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void helpExitsZeroAndListsStart() {
        Run r = run("--help");

        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("Usage: k200", "Commands:", "--version");
        assertThat(r.out().lines()).anySatisfy(l -> assertThat(l.strip()).startsWith("start "));
    }

    @Test
    void startHelpDocumentsEveryOption() {
        Run r = run("start", "--help");

        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("Usage: k200 start",
                "-c, --config=FILE",
                "-l, --listen=ADDRESS",
                "-p, --port=PORT",
                "--discovery-port=PORT",
                "--host-threads=N",
                "--log-level=LEVEL",
                "-v, --verbose",
                "default: info");
        // picocli wraps the description at 80 columns, which may break inside the NQN.
        assertThat(r.out().replace(System.lineSeparator(), "")).contains("nqn.2014-08.org.k200emu:default");
    }

    @Test
    void helpSubcommandShowsStartUsage() {
        Run r = run("help", "start");

        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("Usage: k200 start", "--discovery-port=PORT");
    }

    @Test
    void versionExitsZero() {
        Run r = run("--version");

        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("k200-emu ").contains("Java " + System.getProperty("java.version"));
    }

    @Test
    void noSubcommandIsMissingCommand() {
        Run r = run();

        assertBadArguments(r, "k200", "missing command");
        assertThat(r.errLines().get(0)).startsWith("k200: missing command");
    }

    @Test
    void unknownOptionIsOneLineAndHint() {
        Run r = run("start", "--bogus");

        assertBadArguments(r, "k200 start", "--bogus");
    }

    @Test
    void unknownSubcommandIsBadArguments() {
        Run r = run("stop");

        assertBadArguments(r, "k200", "stop");
    }

    @Test
    void nonNumericPortIsBadArguments() {
        Run r = run("start", "--port", "eighty");

        assertBadArguments(r, "k200 start", "eighty");
        assertThat(r.errLines().get(0)).contains("--port");
    }

    @Test
    void missingOptionValueIsBadArguments() {
        Run r = run("start", "--port");

        assertBadArguments(r, "k200 start", "--port");
    }

    @Test
    void unknownLogLevelIsBadArguments() {
        Run r = runStartThatMustNotServe("--log-level", "loud");

        assertBadArguments(r, "k200 start", "loud");
        assertThat(r.errLines().get(0)).contains("unknown log level");
    }

    @Test
    void missingConfigFileFailsWithOneLine() {
        Run r = runStartThatMustNotServe("-c", "/nonexistent.yaml", "--port", "0", "--discovery-port", "-1");

        assertThat(r.exitCode()).as("exit status; stderr: %s", r.err()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("k200: ").contains("/nonexistent.yaml", "no such file");
        assertThat(r.err()).doesNotContain("\tat ", "Exception", "Try '");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void missingConfigFileWithVerboseShowsStackTrace() {
        Run r = runStartThatMustNotServe("-v", "-c", "/nonexistent.yaml", "--port", "0", "--discovery-port", "-1");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.errLines().get(0)).startsWith("k200: ").contains("/nonexistent.yaml");
        assertThat(r.err()).contains("ConfigException", "\tat ");
    }

    @Test
    void invalidConfigFileNamesFileAndField(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("card.yaml");
        Files.writeString(file, "ports: []\n");

        Run r = runStartThatMustNotServe("-c", file.toString(), "--port", "0", "--discovery-port", "-1");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("k200: ").contains(file.toString(), "ports", "at least one port");
    }

    @Test
    void portOutOfRangeIsBadArguments() {
        Run r = runStartThatMustNotServe("--port", "65536", "--discovery-port", "-1");

        assertBadArguments(r, "k200 start", "--port");
        assertThat(r.errLines().get(0)).isEqualTo("k200: invalid value for --port: 65536 (must be 0..65535)");
    }

    @Test
    void negativePortIsBadArguments() {
        Run r = runStartThatMustNotServe("--port", "-1", "--discovery-port", "-1");

        assertBadArguments(r, "k200 start", "invalid value for --port: -1");
    }

    @Test
    void discoveryPortBelowMinusOneIsBadArguments() {
        Run r = runStartThatMustNotServe("--port", "0", "--discovery-port", "-2");

        assertBadArguments(r, "k200 start", "invalid value for --discovery-port: -2 (must be -1..65535)");
    }

    @Test
    void zeroHostThreadsIsBadArguments() {
        Run r = runStartThatMustNotServe("--host-threads", "0", "--port", "0", "--discovery-port", "-1");

        assertBadArguments(r, "k200 start", "invalid value for --host-threads: 0 (must be at least 1)");
    }

    @Test
    void badCpuListIsBadArguments() {
        Run r = runStartThatMustNotServe("--cpus", "3-1", "--port", "0", "--discovery-port", "-1");

        assertBadArguments(r, "k200 start", "invalid value for --cpus: CPU range '3-1' runs backwards");
    }

    @Test
    void unknownTcpCongestionControlIsBadArguments() {
        Run r = runStartThatMustNotServe("--tcp-congestion", "nosuchcc", "--port", "0", "--discovery-port", "-1");

        assertBadArguments(r, "k200 start", "invalid value for --tcp-congestion: TCP congestion control 'nosuchcc'"
                + " is not available; this kernel has ");
    }

    @Test
    void unknownLogLevelIsBadArgumentsEvenWithVerbose() {
        Run r = runStartThatMustNotServe("-v", "--log-level", "loud", "--port", "0", "--discovery-port", "-1");

        assertBadArguments(r, "k200 start", "unknown log level 'loud'");
    }

    @Test
    void portInUseFailsWithOneLine() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();

            Run r = runStartThatMustNotServe("--listen", "127.0.0.1", "--port", String.valueOf(port),
                    "--discovery-port", "-1", "--host-threads", "1");

            assertThat(r.exitCode()).as("exit status; stderr: %s", r.err()).isEqualTo(1);
            assertThat(r.errLines()).hasSize(1);
            assertThat(r.errLines().get(0)).startsWith("k200: cannot listen on 127.0.0.1:" + port);
            assertThat(r.err()).doesNotContain("\tat ", "Try '");
        }
    }

    @Test
    void oneLineJoinsCauseChainWithoutRepeats() {
        Exception e = new IllegalStateException("cannot start",
                new RuntimeException("cannot start: wrapped", new IOException("disk gone")));

        assertThat(Errors.oneLine(e)).isEqualTo("cannot start: cannot start: wrapped: disk gone");
        assertThat(Errors.oneLine(new IllegalStateException("same", new RuntimeException("same"))))
                .isEqualTo("same");
        assertThat(Errors.oneLine(new NullPointerException())).isEqualTo("java.lang.NullPointerException");
    }
}
