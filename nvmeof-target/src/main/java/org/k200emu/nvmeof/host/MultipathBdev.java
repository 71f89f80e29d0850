package org.k200emu.nvmeof.host;

import io.netty.util.Recycler;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevCompletion;
import org.k200emu.bdev.BdevGeometry;
import org.k200emu.bdev.BdevIo;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.BdevStatus;
import org.k200emu.nvme.AnaState;

/**
 * One remote namespace reached through several paths (target ports: the card's two Ethernet
 * ports, or a dual-port drive behind a target), each a {@link RemoteBdev} of its own controller.
 * I/O goes to the optimized paths, round robin when there are several (active-active), to a
 * non-optimized path only when no optimized one is up, never to an inaccessible or disconnected
 * one; an I/O that fails for a path reason is sent again on another path (failover). The paths'
 * own bdevs should not hold I/O ({@code holdTimeout 0}), so failover is immediate.
 */
public final class MultipathBdev implements Bdev, BdevCompletion {

    private final String name;
    private final RemoteBdev[] paths;
    private final int blockSize;
    private final long blockCount;
    private final AtomicInteger roundRobin = new AtomicInteger();
    private final AtomicLongArray ioPerPath;
    private final Recycler<PathIo> pool = new Recycler<>() {
        @Override
        protected PathIo newObject(Handle<PathIo> handle) {
            return new PathIo(handle);
        }
    };

    /** The state of one parent I/O on its way over the paths. */
    private static final class PathIo {
        final Recycler.Handle<PathIo> handle;
        final BdevIo child = new BdevIo();
        BdevIo parent;
        /** Paths tried, as bits. */
        long tried;
        int path;
        int readStart;

        PathIo(Recycler.Handle<PathIo> handle) {
            this.handle = handle;
        }
    }

    public MultipathBdev(String name, List<RemoteBdev> paths) {
        if (paths.isEmpty() || paths.size() > 64) {
            throw new IllegalArgumentException("a multipath bdev needs 1 to 64 paths, not " + paths.size());
        }
        RemoteBdev first = paths.get(0);
        for (RemoteBdev p : paths) {
            if (p.blockSize() != first.blockSize() || p.blockCount() != first.blockCount()) {
                throw new IllegalArgumentException("path " + p + " has another geometry than " + first
                        + ": not the same namespace");
            }
        }
        this.name = name;
        this.paths = paths.toArray(new RemoteBdev[0]);
        this.blockSize = first.blockSize();
        this.blockCount = first.blockCount();
        this.ioPerPath = new AtomicLongArray(paths.size());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blockCount() {
        return blockCount;
    }

    @Override
    public String module() {
        return "multipath";
    }

    @Override
    public boolean supports(BdevOp op) {
        return true;
    }

    @Override
    public boolean hasVolatileWriteCache() {
        return true;
    }

    /** The paths, in configuration order. */
    public List<RemoteBdev> paths() {
        return List.of(paths);
    }

    /** The ANA state of path {@code i} as last reported (inaccessible while disconnected). */
    public AnaState pathState(int i) {
        RemoteBdev p = paths[i];
        RemoteController c = p.controller();
        return c.state() == RemoteController.State.CONNECTED ? c.anaState(p.nsid()) : AnaState.INACCESSIBLE;
    }

    /** I/Os sent on path {@code i} so far (statistics). */
    public long ioCount(int i) {
        return ioPerPath.get(i);
    }

    @Override
    public void submit(BdevIo io) {
        int status = BdevGeometry.validate(io, blockSize, blockCount);
        if (status != BdevStatus.SUCCESS) {
            io.complete(status);
            return;
        }
        PathIo p = pool.get();
        p.parent = io;
        p.tried = 0;
        p.readStart = io.op() == BdevOp.READ ? io.buffer().writerIndex() : 0;
        send(p);
    }

    /** Sends on the best path not tried yet, or completes PATH_ERROR when none is left. */
    private void send(PathIo p) {
        int path = choose(p.tried);
        if (path < 0) {
            BdevIo parent = p.parent;
            recycle(p);
            parent.complete(BdevStatus.PATH_ERROR);
            return;
        }
        p.path = path;
        p.tried |= 1L << path;
        ioPerPath.incrementAndGet(path);
        BdevIo parent = p.parent;
        paths[path].submit(p.child.prepare(parent.op(), parent.offsetBlocks(), parent.numBlocks(), parent.buffer(),
                parent.core(), this, p));
    }

    /** Optimized paths round robin; else non-optimized; never inaccessible ones. -1 if none. */
    private int choose(long tried) {
        int n = paths.length;
        int start = Math.floorMod(roundRobin.getAndIncrement(), n);
        int fallback = -1;
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if ((tried & 1L << i) != 0) {
                continue;
            }
            AnaState s = pathState(i);
            if (s == AnaState.OPTIMIZED) {
                return i;
            }
            if (s == AnaState.NON_OPTIMIZED && fallback < 0) {
                fallback = i;
            }
        }
        return fallback;
    }

    @Override
    public void bdevIoDone(BdevIo child) {
        PathIo p = (PathIo) child.context();
        int status = child.status();
        if (status == BdevStatus.PATH_ERROR) {
            if (p.parent.op() == BdevOp.READ) {
                p.parent.buffer().writerIndex(p.readStart); // drop what the failed path delivered
            }
            send(p);
            return;
        }
        BdevIo parent = p.parent;
        recycle(p);
        parent.complete(status);
    }

    private void recycle(PathIo p) {
        p.parent = null;
        p.handle.recycle(p);
    }

    /** The paths' bdevs belong to their own owners (the configuration that made them). */
    @Override
    public void close() {
        for (RemoteBdev p : paths) {
            p.close();
        }
    }

    @Override
    public String toString() {
        return "MultipathBdev[" + name + ", " + paths.length + " paths]";
    }
}
