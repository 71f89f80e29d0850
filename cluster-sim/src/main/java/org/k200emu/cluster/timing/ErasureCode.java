package org.k200emu.cluster.timing;

import java.util.Locale;

/**
 * A Reed-Solomon erasure code: {@code k} data strips and {@code m} parity strips per stripe.
 *
 * @param k data strips, 2..16
 * @param m parity strips, 1..4
 */
public record ErasureCode(int k, int m) {

    /** Checks the ranges. */
    public ErasureCode {
        if (k < 2 || k > 16) {
            throw new IllegalArgumentException("erasure code k must be 2..16: " + k);
        }
        if (m < 1 || m > 4) {
            throw new IllegalArgumentException("erasure code m must be 1..4: " + m);
        }
    }

    /**
     * Parses {@code K+M}, with or without an {@code ec} prefix: {@code 4+2}, {@code ec8+3}.
     *
     * @throws IllegalArgumentException if the text is not of that form or out of range
     */
    public static ErasureCode parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("ec")) {
            s = s.substring(2);
        }
        int plus = s.indexOf('+');
        if (plus <= 0 || plus == s.length() - 1) {
            throw new IllegalArgumentException("'" + text + "' is not an erasure code; use ecK+M, e.g. ec4+2");
        }
        try {
            return new ErasureCode(Integer.parseInt(s.substring(0, plus)), Integer.parseInt(s.substring(plus + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not an erasure code; use ecK+M, e.g. ec4+2", e);
        }
    }

    /** {@code ecK+M}. */
    @Override
    public String toString() {
        return "ec" + k + "+" + m;
    }
}
