package org.k200emu.bench.job;

/**
 * A job file or a job option that cannot be used. The message is complete and meant for the
 * user as is: it names the place (file and line, or {@code command line}) when known, the
 * option and the offending value, e.g. {@code jobs.fio line 9: bs: '3k' is not a multiple of 512}.
 */
public final class JobException extends Exception {

    private static final long serialVersionUID = 1L;

    public JobException(String message) {
        super(message);
    }

    public JobException(String message, Throwable cause) {
        super(message, cause);
    }
}
