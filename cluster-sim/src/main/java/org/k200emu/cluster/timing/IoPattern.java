package org.k200emu.cluster.timing;

import java.util.Locale;

/**
 * The I/O pattern of a modelled workload, in fio's names. The model only uses the share of reads
 * it implies: the card has no data cache and the media are not modelled, so sequential and random
 * offsets cost the same.
 */
public enum IoPattern {
    /** Sequential reads. */
    READ("read", 100),
    /** Sequential writes. */
    WRITE("write", 0),
    /** Random reads. */
    RANDREAD("randread", 100),
    /** Random writes. */
    RANDWRITE("randwrite", 0),
    /** Random mixed reads and writes. */
    RANDRW("randrw", -1),
    /** Sequential mixed reads and writes. */
    RW("rw", -1);

    private final String fioName;
    private final int fixedReadPercent;

    IoPattern(String fioName, int fixedReadPercent) {
        this.fioName = fioName;
        this.fixedReadPercent = fixedReadPercent;
    }

    /** fio's name: {@code read}, {@code randrw}... */
    public String fioName() {
        return fioName;
    }

    /** True for the patterns that mix reads and writes (their read share is a parameter). */
    public boolean mixed() {
        return fixedReadPercent < 0;
    }

    /** The read share of a mixed pattern given as {@code mixedReadPercent}, or the pattern's own (100 or 0). */
    public int readPercent(int mixedReadPercent) {
        return mixed() ? mixedReadPercent : fixedReadPercent;
    }

    /**
     * Parses fio's spelling, case-insensitive ({@code readwrite} is {@code rw}).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static IoPattern parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("readwrite")) {
            return RW;
        }
        for (IoPattern p : values()) {
            if (p.fioName.equals(s)) {
                return p;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not an I/O pattern; use read, write, randread,"
                + " randwrite, randrw or rw");
    }
}
