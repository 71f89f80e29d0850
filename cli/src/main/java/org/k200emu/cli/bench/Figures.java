package org.k200emu.cli.bench;

import java.util.Locale;

/** How {@code k200 bench} prints its figures: counts with k/M, latencies in us or ms. */
final class Figures {

    private Figures() {
    }

    static String count(double v) {
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%6.2fM", v / 1e6);
        }
        if (v >= 1e3) {
            return String.format(Locale.ROOT, "%6.1fk", v / 1e3);
        }
        return String.format(Locale.ROOT, "%7.0f", v);
    }

    static String micros(double us) {
        if (us >= 10_000) {
            return String.format(Locale.ROOT, "%.1fms", us / 1000);
        }
        return String.format(Locale.ROOT, "%.1fus", us);
    }
}
