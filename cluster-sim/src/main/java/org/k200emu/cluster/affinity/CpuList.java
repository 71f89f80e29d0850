package org.k200emu.cluster.affinity;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * A list of host CPUs in the syntax of {@code taskset -c}: numbers and ranges separated by commas,
 * e.g. {@code 0}, {@code 2-5}, {@code 0,2,4-7}. Order is kept (host thread {@code i} goes to the
 * {@code i}-th CPU); a CPU named twice is an error.
 */
public final class CpuList {

    /** The highest CPU number accepted (Linux's default CONFIG_NR_CPUS ceiling). */
    public static final int MAX_CPU = 8191;

    private final int[] cpus;

    private CpuList(int[] cpus) {
        this.cpus = cpus;
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with a message that names the bad item
     */
    public static CpuList parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("an empty CPU list");
        }
        List<Integer> out = new ArrayList<>();
        BitSet seen = new BitSet();
        for (String raw : text.split(",", -1)) {
            String item = raw.trim();
            int dash = item.indexOf('-');
            int first = number(dash < 0 ? item : item.substring(0, dash), item);
            int last = dash < 0 ? first : number(item.substring(dash + 1), item);
            if (last < first) {
                throw new IllegalArgumentException("CPU range '" + item + "' runs backwards");
            }
            for (int cpu = first; cpu <= last; cpu++) {
                if (seen.get(cpu)) {
                    throw new IllegalArgumentException("CPU " + cpu + " is listed twice");
                }
                seen.set(cpu);
                out.add(cpu);
            }
        }
        return new CpuList(out.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int number(String digits, String item) {
        String d = digits.trim();
        if (d.isEmpty() || !d.chars().allMatch(Character::isDigit) || d.length() > 4) {
            throw new IllegalArgumentException("'" + item + "' is not a CPU number or range (e.g. 0, 2-5)");
        }
        int cpu = Integer.parseInt(d);
        if (cpu > MAX_CPU) {
            throw new IllegalArgumentException("CPU " + cpu + " is above " + MAX_CPU);
        }
        return cpu;
    }

    /** The CPUs, in the order given. */
    public int[] cpus() {
        return cpus.clone();
    }

    public int size() {
        return cpus.length;
    }

    /** The CPU for host thread {@code i}: the list is used round robin when there are more threads. */
    public int forThread(int i) {
        return cpus[i % cpus.length];
    }

    /** The list in {@code taskset -c} syntax, ranges collapsed where consecutive. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        int i = 0;
        while (i < cpus.length) {
            int j = i;
            while (j + 1 < cpus.length && cpus[j + 1] == cpus[j] + 1) {
                j++;
            }
            if (s.length() > 0) {
                s.append(',');
            }
            s.append(cpus[i]);
            if (j > i) {
                s.append('-').append(cpus[j]);
            }
            i = j + 1;
        }
        return s.toString();
    }
}
