package org.k200emu.nvmeof.target;

import java.net.InetSocketAddress;
import java.util.List;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.cluster.CorePlacement;
import org.k200emu.cluster.Mppa;
import org.k200emu.cluster.MppaLayout;
import org.k200emu.cluster.netty.CoreEventLoops;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;

/**
 * A small card for tests: 2 clusters x 2 cores on 2 host threads, one 32 MiB malloc namespace in
 * subsystem {@link #NQN} (any host), an empty subsystem {@link #RESTRICTED} that admits one other
 * host, and the target listening on an ephemeral 127.0.0.1 port.
 */
public final class LoopbackTarget implements AutoCloseable {

    public static final String NQN = "nqn.2014-08.org.k200emu:test";
    public static final String RESTRICTED = "nqn.2014-08.org.k200emu:restricted";
    /** With a protection type: a subsystem whose namespace 1 is a pi bdev over a 32 MiB malloc member. */
    public static final String PROTECTED = "nqn.2014-08.org.k200emu:protected";
    public static final int BLOCK = 512;
    public static final long BLOCKS = 65536;

    private final CoreEventLoops loops;
    private final MallocBdev bdev;
    private final MallocBdev piMember;
    private final org.k200emu.bdev.pi.PiBdev piBdev;
    private final TcpTransportSettings settings;
    private final List<Subsystem> subsystems;
    private NvmeofTarget target;
    private int port;

    public LoopbackTarget(TcpTransportSettings settings) {
        this(settings, 0);
    }

    /** Also serves {@link #PROTECTED} with protection information of {@code piType} (1..3; 0: not). */
    public LoopbackTarget(TcpTransportSettings settings, int piType) {
        this(settings, piType, CoreEventLoops.Transport.AUTO);
    }

    /** The card's event loops on {@code transport} (epoll, NIO, io_uring). */
    public LoopbackTarget(TcpTransportSettings settings, int piType, CoreEventLoops.Transport transport) {
        this.settings = settings;
        Mppa mppa = Mppa.create(MppaLayout.of(2, 2, 1));
        loops = CoreEventLoops.start(CorePlacement.interleaved(mppa, 2), transport, false);
        bdev = new MallocBdev("m0", BLOCK, BLOCKS);
        Subsystem open = Subsystem.nvm(NQN, null, "K200-LP test", true, List.of());
        open.addNamespace(new Namespace(1, bdev, null, null));
        Subsystem restricted = Subsystem.nvm(RESTRICTED, null, "K200-LP test", false,
                List.of("nqn.2014-08.org.k200emu:someone-else"));
        if (piType == 0) {
            piMember = null;
            piBdev = null;
            subsystems = List.of(open, restricted);
        } else {
            piMember = new MallocBdev("m1", BLOCK, BLOCKS);
            piBdev = org.k200emu.bdev.pi.PiBdev.create("pi1", piMember, piType);
            Subsystem prot = Subsystem.nvm(PROTECTED, null, "K200-LP test", true, List.of());
            prot.addNamespace(new Namespace(1, piBdev, null, null));
            subsystems = List.of(open, restricted, prot);
        }
        startTarget();
        port = address().getPort();
    }

    /** Starts the target (again) on its port; the namespace keeps its data. */
    public void startTarget() {
        target = new NvmeofTarget(loops, settings, subsystems, List.of(new TargetPort(1, "127.0.0.1", port, true)));
        target.start();
    }

    /** Stops the target as if the card went away: every connection closes; the data stays. */
    public void stopTarget() {
        target.close();
    }

    public NvmeofTarget target() {
        return target;
    }

    public InetSocketAddress address() {
        return target.boundAddresses().get(0);
    }

    /** The pi bdev of {@link #PROTECTED} (null without a protection type). */
    public org.k200emu.bdev.pi.PiBdev piBdev() {
        return piBdev;
    }

    /** The malloc member under {@link #piBdev()}: writing it directly corrupts what the pi bdev stores. */
    public MallocBdev piMember() {
        return piMember;
    }

    /** The simulated cores and their event loops (to run initiators on the same threads). */
    public CoreEventLoops loops() {
        return loops;
    }

    @Override
    public void close() {
        target.close();
        bdev.close();
        if (piBdev != null) {
            piBdev.close();
            piMember.close();
        }
        loops.close();
    }
}
