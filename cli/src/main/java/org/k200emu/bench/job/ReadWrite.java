package org.k200emu.bench.job;

import java.util.Locale;

/** The I/O pattern of a job: fio's {@code rw} (alias {@code readwrite}) option. */
public enum ReadWrite {
    /** Sequential reads: fio {@code read}. */
    READ("read", false, true, false),
    /** Sequential writes: fio {@code write}. */
    WRITE("write", false, false, true),
    /** Random reads: fio {@code randread}. */
    RANDREAD("randread", true, true, false),
    /** Random writes: fio {@code randwrite}. */
    RANDWRITE("randwrite", true, false, true),
    /** Random mixed reads and writes, split by {@code rwmixread}: fio {@code randrw}. */
    RANDRW("randrw", true, true, true),
    /** Sequential mixed reads and writes, split by {@code rwmixread}: fio {@code rw} or {@code readwrite}. */
    READWRITE("rw", false, true, true);

    private final String fioName;
    private final boolean random;
    private final boolean reads;
    private final boolean writes;

    ReadWrite(String fioName, boolean random, boolean reads, boolean writes) {
        this.fioName = fioName;
        this.random = random;
        this.reads = reads;
        this.writes = writes;
    }

    /** True for random offsets, false for sequential ones. */
    public boolean random() {
        return random;
    }

    /** True if the job issues reads. */
    public boolean reads() {
        return reads;
    }

    /** True if the job issues writes. */
    public boolean writes() {
        return writes;
    }

    /** True if the job both reads and writes ({@code rwmixread} applies). */
    public boolean mixed() {
        return reads && writes;
    }

    /** fio's name for the pattern: {@code read}, {@code randrw}, {@code rw} (for READWRITE)... */
    public String fioName() {
        return fioName;
    }

    /**
     * Parses fio's spelling (case-insensitive): read, write, randread, randwrite, randrw, rw or
     * readwrite.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static ReadWrite parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("readwrite")) {
            return READWRITE;
        }
        for (ReadWrite rw : values()) {
            if (rw.fioName.equals(s)) {
                return rw;
            }
        }
        String why;
        if (s.contains("trim")) {
            why = " (trim workloads are not supported)";
        } else if (s.contains(":")) {
            why = " (the ':<nr>' offset modifier is not supported)";
        } else {
            why = "";
        }
        throw new IllegalArgumentException("'" + text + "' is not an I/O pattern" + why
                + "; use read, write, randread, randwrite, randrw or rw (readwrite)");
    }
}
