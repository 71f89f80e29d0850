package org.k200emu.bdev;

/** Outcome codes of a {@link BdevIo}; the NVMe layer maps each to an NVMe status. */
public final class BdevStatus {
    public static final int SUCCESS = 0;
    /** The range lies (partly) outside the device. */
    public static final int OUT_OF_RANGE = 1;
    /** The operation is not implemented by this bdev. */
    public static final int UNSUPPORTED = 2;
    /** The medium or the host file failed (I/O error). */
    public static final int MEDIA_ERROR = 3;
    /** The buffer does not hold exactly {@code numBlocks * blockSize} bytes. */
    public static final int BAD_BUFFER = 4;
    /** The bdev is closing or closed. */
    public static final int ABORTED = 5;
    /**
     * The way to the medium is down for now (a remote target unreachable, timed out or
     * reconnecting): the I/O did not happen or its outcome is unknown; retrying later may work.
     */
    public static final int PATH_ERROR = 6;

    private BdevStatus() {
    }

    public static String name(int status) {
        switch (status) {
            case SUCCESS: return "SUCCESS";
            case OUT_OF_RANGE: return "OUT_OF_RANGE";
            case UNSUPPORTED: return "UNSUPPORTED";
            case MEDIA_ERROR: return "MEDIA_ERROR";
            case BAD_BUFFER: return "BAD_BUFFER";
            case ABORTED: return "ABORTED";
            case PATH_ERROR: return "PATH_ERROR";
            default: return "STATUS_" + status;
        }
    }
}
