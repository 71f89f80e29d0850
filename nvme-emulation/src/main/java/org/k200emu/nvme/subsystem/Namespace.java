package org.k200emu.nvme.subsystem;

import java.util.Objects;
import java.util.UUID;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.HostRoutedBdev;
import org.k200emu.bdev.pi.PiBdev;

/**
 * A namespace of an NVM subsystem: an NSID, the bdev (stack) behind it, and its globally unique
 * identifiers. Immutable; a subsystem derives missing identifiers from its NQN and the NSID so
 * they stay the same across restarts (hosts key multipath and udev names on them).
 */
public final class Namespace {

    private final int nsid;
    private final Bdev bdev;
    private final UUID uuid;
    private final byte[] nguid;

    /** {@code uuid} and {@code nguid} may be null: the subsystem then derives them. */
    public Namespace(int nsid, Bdev bdev, UUID uuid, byte[] nguid) {
        if (nguid != null && nguid.length != 16) {
            throw new IllegalArgumentException("NGUID must be 16 bytes");
        }
        this.nsid = nsid;
        this.bdev = Objects.requireNonNull(bdev, "bdev");
        this.uuid = uuid;
        this.nguid = nguid == null ? null : nguid.clone();
    }

    public int nsid() {
        return nsid;
    }

    public Bdev bdev() {
        return bdev;
    }

    public UUID uuid() {
        return uuid;
    }

    public byte[] nguid() {
        return nguid == null ? null : nguid.clone();
    }

    /** Size in logical blocks (NSZE). */
    public long blocks() {
        return bdev.blockCount();
    }

    public int blockSize() {
        return bdev.blockSize();
    }

    /** Protection information type of the namespace's format (1..3), 0 if it has none. */
    public int piType() {
        return bdev instanceof PiBdev ? ((PiBdev) bdev).piType() : 0;
    }

    /**
     * Bytes of host data a Read, Write or Compare of {@code blocks} moves, given its CDW12: on a
     * namespace with protection information and PRACT (bit 29) clear, extended blocks of
     * {@code blockSize + 8} bytes; otherwise {@code blockSize} bytes a block.
     */
    public long transferBytes(long blocks, int cdw12) {
        int extra = bdev instanceof PiBdev && (cdw12 & (1 << 29)) == 0 ? PiBdev.METADATA_BYTES : 0;
        return blocks * (bdev.blockSize() + extra);
    }

    /**
     * This namespace as host {@code hostNqn} sees it: the same namespace, its I/O going to the face
     * of the bdev that the bdev routes the host to ({@link HostRoutedBdev}, such as a QoS class).
     * This namespace itself when the bdev routes nobody or the host to the bdev itself. A
     * controller asks once per namespace, not per I/O.
     */
    public Namespace forHost(String hostNqn) {
        if (!(bdev instanceof HostRoutedBdev) || hostNqn == null) {
            return this;
        }
        Bdev routed = ((HostRoutedBdev) bdev).bdevFor(hostNqn);
        return routed == bdev ? this : new Namespace(nsid, routed, uuid, nguid);
    }

    Namespace withIdentifiers(int nsid, UUID uuid, byte[] nguid) {
        return new Namespace(nsid, bdev, uuid, nguid);
    }

    @Override
    public String toString() {
        return "Namespace[" + nsid + " on " + bdev.name() + "]";
    }
}
