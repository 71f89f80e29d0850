package org.k200emu.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Which host thread runs which simulated core. Immutable; made once from an {@link Mppa} and
 * given to a runner ({@link HostThreads} or {@code CoreEventLoops}).
 *
 * <p>Interleaved placement: the j-th control-plane core goes to host thread {@code j % N} and the
 * k-th data-plane core to {@code k % N}, so each kind is spread evenly and, as long as N is not
 * larger than the number of control-plane cores (16 on the card), every host thread runs both
 * control-plane and data-plane cores. N is capped at the number of cores.
 */
public final class CorePlacement {

    private final Mppa mppa;
    private final int[] hostOfCore;
    private final List<List<SimCore>> coresOnHost;

    private CorePlacement(Mppa mppa, int hostThreads) {
        this.mppa = mppa;
        this.hostOfCore = new int[mppa.all().size()];
        List<List<SimCore>> hosts = new ArrayList<>(hostThreads);
        for (int h = 0; h < hostThreads; h++) {
            hosts.add(new ArrayList<>());
        }
        place(mppa.controlPlaneCores(), hosts);
        place(mppa.dataPlaneCores(), hosts);
        List<List<SimCore>> frozen = new ArrayList<>(hostThreads);
        for (List<SimCore> cores : hosts) {
            // Flat order inside a host thread keeps duty cycles deterministic in order.
            cores.sort((a, b) -> Integer.compare(a.id().flat(), b.id().flat()));
            frozen.add(Collections.unmodifiableList(cores));
        }
        this.coresOnHost = Collections.unmodifiableList(frozen);
    }

    private void place(List<SimCore> cores, List<List<SimCore>> hosts) {
        for (int i = 0; i < cores.size(); i++) {
            int host = i % hosts.size();
            hosts.get(host).add(cores.get(i));
            hostOfCore[cores.get(i).id().flat()] = host;
        }
    }

    /**
     * Interleaved placement of all of {@code mppa}'s cores on {@code hostThreads} threads.
     *
     * @param hostThreads at least 1; capped at the number of cores
     */
    public static CorePlacement interleaved(Mppa mppa, int hostThreads) {
        Objects.requireNonNull(mppa, "mppa");
        if (hostThreads < 1) {
            throw new IllegalArgumentException("need at least one host thread: " + hostThreads);
        }
        return new CorePlacement(mppa, Math.min(hostThreads, mppa.all().size()));
    }

    /** Interleaved placement on {@link Runtime#availableProcessors()} host threads. */
    public static CorePlacement interleaved(Mppa mppa) {
        return interleaved(mppa, Runtime.getRuntime().availableProcessors());
    }

    /** The chip being placed. */
    public Mppa mppa() {
        return mppa;
    }

    /** Number of host threads. */
    public int hostThreads() {
        return coresOnHost.size();
    }

    /** Index of the host thread that runs {@code core}. */
    public int hostOf(CoreId core) {
        return hostOfCore[mppa.core(core).id().flat()];
    }

    /** Index of the host thread that runs {@code core}. */
    public int hostOf(SimCore core) {
        return hostOf(core.id());
    }

    /** The cores that host thread {@code host} runs, in flat order. */
    public List<SimCore> coresOn(int host) {
        return coresOnHost.get(host);
    }

    @Override
    public String toString() {
        return "CorePlacement[" + mppa.all().size() + " cores on " + hostThreads() + " host threads]";
    }
}
