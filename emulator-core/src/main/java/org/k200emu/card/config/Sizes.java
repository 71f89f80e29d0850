package org.k200emu.card.config;

import java.util.Locale;

/** Byte sizes as people write them: {@code 1GiB}, {@code 512MiB}, {@code 4096}, {@code 16G}. */
public final class Sizes {

    private Sizes() {
    }

    /** Parses a size; binary units (K, M, G, T with optional iB or B). */
    public static long parse(String text) {
        String s = text.trim();
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == 0) {
            throw new IllegalArgumentException("not a size: '" + text + "' (use e.g. 1GiB, 512MiB or bytes)");
        }
        long value;
        try {
            value = Long.parseLong(s.substring(0, i));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        String unit = s.substring(i).trim().toUpperCase(Locale.ROOT);
        int shift;
        switch (unit) {
            case "": case "B": shift = 0; break;
            case "K": case "KB": case "KIB": shift = 10; break;
            case "M": case "MB": case "MIB": shift = 20; break;
            case "G": case "GB": case "GIB": shift = 30; break;
            case "T": case "TB": case "TIB": shift = 40; break;
            default:
                throw new IllegalArgumentException("unknown size unit '" + s.substring(i).trim() + "' in '" + text
                        + "' (use KiB, MiB, GiB or TiB)");
        }
        if (value > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        return value << shift;
    }

    /** The largest exact binary unit: 1GiB, 512MiB, 4100B. */
    public static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        long v = bytes;
        while (u < units.length - 1 && v != 0 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }
}
