package org.k200emu.bench.job;

import java.util.Locale;

/** Data verification of a job: fio's {@code verify} option, reduced to what k200 bench does. */
public enum Verify {
    /** No verification: fio {@code verify=0} or {@code verify=none}. */
    NONE("0"),
    /**
     * Blocks carry a CRC32C the job checks on read: fio {@code verify=crc32c} (also
     * {@code crc32c-intel} and {@code 1}).
     */
    CRC32C("crc32c");

    private final String fioName;

    Verify(String fioName) {
        this.fioName = fioName;
    }

    /** fio's name for the method: {@code 0} or {@code crc32c}. */
    public String fioName() {
        return fioName;
    }

    /**
     * Parses fio's spelling (case-insensitive): 0 or none; crc32c, crc32c-intel or 1.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Verify parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "0":
            case "none":
                return NONE;
            case "1":
            case "crc32c":
            case "crc32c-intel":
                return CRC32C;
            default:
                throw new IllegalArgumentException("'" + text + "' is not a supported verify method;"
                        + " use 0 or none, or crc32c (also crc32c-intel or 1)");
        }
    }
}
