package org.k200emu.cli;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * How the CLI reports failure: bad arguments get one readable line plus a hint and exit status 2;
 * a command that fails at run time gets one line (its cause chain in short) and status 1, with
 * the stack trace only when {@code -v} was given.
 */
final class Errors {
    static final int BAD_ARGUMENTS = 2;
    static final int FAILED = 1;

    private Errors() {
    }

    static int onBadArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println("k200: " + e.getMessage());
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return BAD_ARGUMENTS;
    }

    static int onFailure(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        err.println("k200: " + oneLine(e));
        if (verbose(parsed)) {
            e.printStackTrace(err);
        }
        err.flush();
        return FAILED;
    }

    static String oneLine(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage() != null ? e.getMessage() : e.toString()));
        Throwable cause = e.getCause();
        while (cause != null && cause != e) {
            String m = cause.getMessage();
            if (m != null && !sb.toString().contains(m)) {
                sb.append(": ").append(m);
            }
            e = cause;
            cause = cause.getCause();
        }
        return sb.toString();
    }

    private static boolean verbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("-v")) {
                return true;
            }
        }
        return false;
    }
}
