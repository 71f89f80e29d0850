package org.k200emu.cluster;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The simulated MPPA chip: every {@link SimCore} of a {@link MppaLayout}, with the clock they
 * share. Owned by the emulator (or a test); it only holds the cores, runners
 * ({@link HostThreads}, {@code CoreEventLoops}, {@link StepRunner}) make them run.
 */
public final class Mppa {

    private final MppaLayout layout;
    private final Clock clock;
    private final List<SimCore> all;
    private final List<SimCore> controlPlane;
    private final List<SimCore> dataPlane;

    private Mppa(MppaLayout layout, Clock clock) {
        this.layout = layout;
        this.clock = clock;
        List<SimCore> cores = new ArrayList<>(layout.totalCores());
        List<SimCore> cp = new ArrayList<>();
        List<SimCore> dp = new ArrayList<>();
        for (int flat = 0; flat < layout.totalCores(); flat++) {
            SimCore core = new SimCore(layout.coreId(flat), clock, layout.ringCapacity());
            cores.add(core);
            (core.id().controlPlane() ? cp : dp).add(core);
        }
        this.all = Collections.unmodifiableList(cores);
        this.controlPlane = Collections.unmodifiableList(cp);
        this.dataPlane = Collections.unmodifiableList(dp);
    }

    /** A chip running on the host's clock. */
    public static Mppa create(MppaLayout layout) {
        return create(layout, SystemClock.INSTANCE);
    }

    /** A chip whose cores use {@code clock} (a {@link VirtualClock} for step mode). */
    public static Mppa create(MppaLayout layout, Clock clock) {
        return new Mppa(Objects.requireNonNull(layout, "layout"), Objects.requireNonNull(clock, "clock"));
    }

    /** The layout. */
    public MppaLayout layout() {
        return layout;
    }

    /** The clock shared by all cores. */
    public Clock clock() {
        return clock;
    }

    /** The core at {@code id}. */
    public SimCore core(CoreId id) {
        SimCore core = core(id.flat());
        if (!core.id().equals(id)) {
            throw new IllegalArgumentException(id + " does not belong to layout " + layout);
        }
        return core;
    }

    /** The core with flat index {@code flat}. */
    public SimCore core(int flat) {
        if (flat < 0 || flat >= all.size()) {
            throw new IllegalArgumentException("flat core index out of range [0, " + all.size() + "): " + flat);
        }
        return all.get(flat);
    }

    /** Control-plane cores in flat order. */
    public List<SimCore> controlPlaneCores() {
        return controlPlane;
    }

    /** Data-plane cores in flat order. */
    public List<SimCore> dataPlaneCores() {
        return dataPlane;
    }

    /** All cores in flat order. */
    public List<SimCore> all() {
        return all;
    }

    @Override
    public String toString() {
        return "Mppa[" + layout + "]";
    }
}
