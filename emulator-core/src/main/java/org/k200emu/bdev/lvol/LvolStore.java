package org.k200emu.bdev.lvol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;
import org.k200emu.bdev.Bdev;
import org.k200emu.bdev.BdevOp;
import org.k200emu.bdev.SyncIo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A logical volume store: one member bdev cut into clusters, handed out to volumes
 * ({@link Lvol}, module {@code lvol}) that may be thick, thin, read-only snapshots or writable
 * clones sharing clusters copy-on-write.
 *
 * <p><b>On the member</b>, in member blocks: block 0 the superblock (written once at format:
 * geometry and a random store id), then a journal ring of {@code journalSlots} blocks, then two
 * checkpoint copies, then the data clusters. Every volume has a map from its clusters to physical
 * clusters (0 unallocated, p + 1 physical cluster p); a cluster's reference count is the number of
 * map entries pointing to it and is rebuilt from the maps at open, so are the free clusters.
 *
 * <p><b>Crash consistency: journal plus checkpoints.</b> A data-path map change (a thin cluster's
 * first write, a copy-on-write) writes the whole new cluster first; when that has completed it
 * writes one journal record (one member block: store id, sequence number, volume id, cluster,
 * new entry, CRC32C) to slot {@code seq % journalSlots}; only when the record has completed is the
 * in-memory map switched, the old cluster's reference dropped and the write acknowledged. A crash
 * before the record leaves the old entry; the new cluster is referenced by no map and is free
 * again at open, so nothing leaks. A checkpoint holds the volume table and every map; its header
 * (generation, first journal sequence S it does not cover, CRC32C of header and payload) is
 * written after the payload and a flush, to the older copy; the valid copy with the higher
 * generation wins. Open loads it and replays, in sequence order, the valid records of this store
 * with sequence at least S (records of one map entry are serialised by the in-flight table, so
 * order is all replay needs), then takes a fresh checkpoint. Control operations (create, resize,
 * snapshot, clone, delete) change the memory image and take a checkpoint before they return.
 * Checkpoints run on the store's checkpoint thread when the journal is half full; a writer that
 * finds it full parks on a lock-free queue and resumes on its own core after the checkpoint. On a
 * member with a volatile write cache this order holds on the medium once the host flushes.
 *
 * <p><b>What the caller must ensure</b> for control operations: they block on member I/O, so they
 * must not run on a core thread that completes this store's I/O. They must not run concurrently
 * with I/O to the volumes they touch (and, for delete, to the volumes sharing clusters with it):
 * quiesce or accept SPDK's rule for snapshots: writes submitted after {@link #snapshot} returns go
 * copy-on-write; writes in flight during the call may land in the snapshot or only in the volume.
 * Control operations are serialised among themselves by the store.
 *
 * <p><b>Failures.</b> A failed cluster read or write fails the I/O (MEDIA_ERROR or the member's
 * status) and frees the new cluster. A failed journal write fails the I/O but keeps the new
 * cluster taken, since the record may have landed: the next open decides (mapped if the record is
 * there, free otherwise). No free cluster for a thin first write or a copy-on-write (a thick
 * volume with a snapshot copies too): MEDIA_ERROR, nothing else touched. A control operation whose
 * checkpoint fails throws IllegalStateException; its change stays in memory and becomes durable
 * with the next successful checkpoint, or is lost if the card stops first.
 *
 * <p>Shrinking a volume is refused (outstanding clusters of the cut part would have to be dropped
 * while a host may still address them). Deleting a snapshot with clones is allowed: clusters are
 * reference counted, the clones keep their data and lose the parent link.
 *
 * <p>Owned by whoever created it (the configuration code); it does not own or close the member.
 * {@link #close()} takes a last checkpoint and stops the checkpoint thread.
 */
public final class LvolStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LvolStore.class);

    /** Default cluster size, as SPDK's lvol store. */
    public static final int DEFAULT_CLUSTER_BYTES = 1 << 20;
    /** Journal ring slots (one member block each). */
    public static final int DEFAULT_JOURNAL_SLOTS = 512;

    /** "K200LVOL" */
    static final long MAGIC = 0x4B3230304C564F4CL;
    /** "K200LVJR" */
    static final long JOURNAL_MAGIC = 0x4B3230304C564A52L;
    /** "K200LVCP" */
    static final long CHECKPOINT_MAGIC = 0x4B3230304C564350L;
    static final int VERSION = 1;
    private static final long SYNC_TIMEOUT_SECONDS = SyncIo.TIMEOUT_SECONDS;
    private static final int MAX_NAME_BYTES = 255;

    private final String name;
    private final Bdev member;
    private final int blockSize;
    private final int clusterBytes;
    private final int blocksPerCluster;
    private final long storeId;
    private final int journalSlots;
    private final long journalStart;
    private final long checkpointStart;
    private final long checkpointBlocks;
    private final long dataStart;
    private final int clusterCount;

    /** Reference count of each physical cluster; 0 is free. */
    private final AtomicIntegerArray refs;
    private final AtomicLong freeClusters = new AtomicLong();
    private final AtomicLong allocHint = new AtomicLong();

    private final Map<String, Lvol> byName = new ConcurrentHashMap<>();
    /** Copy-on-write and first-write allocations in flight, by (volume id, cluster). */
    final ConcurrentHashMap<Long, ClusterOp> inFlight = new ConcurrentHashMap<>();

    private final AtomicLong nextSeq = new AtomicLong(1);
    /** Every record below this is covered by the durable checkpoint: slots up to this + slots are free. */
    private volatile long durableStart = 1;
    /** Per slot: the sequence number of the last record there whose outcome has been applied. */
    private final AtomicLongArray appliedSeq;
    private final ConcurrentLinkedQueue<Lvol.LvolIo> stalled = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean checkpointQueued = new AtomicBoolean();
    private final ExecutorService checkpointer;
    /** Serialises control operations and checkpoints (control plane only, never the I/O path). */
    private final Object control = new Object();
    private long generation;
    private long nextVolumeId = 1;
    private volatile boolean closed;
    /** Set by {@link #crash()} only: checkpoints give up instead of waiting for lost records. */
    private volatile boolean crashedFlag;

    private LvolStore(String name, Bdev member, int clusterBytes, long storeId, int journalSlots,
                      long checkpointBlocks) {
        this.name = name;
        this.member = member;
        this.blockSize = member.blockSize();
        this.clusterBytes = clusterBytes;
        this.blocksPerCluster = clusterBytes / blockSize;
        this.storeId = storeId;
        this.journalSlots = journalSlots;
        this.journalStart = 1;
        this.checkpointStart = journalStart + journalSlots;
        this.checkpointBlocks = checkpointBlocks;
        this.dataStart = checkpointStart + 2 * checkpointBlocks;
        long clusters = (member.blockCount() - dataStart) / blocksPerCluster;
        if (clusters < 1 || clusters > Integer.MAX_VALUE - 1) {
            throw new IllegalArgumentException("lvol store " + name + ": member " + member.name()
                    + " holds no room for a cluster of " + clusterBytes + " bytes after its metadata");
        }
        this.clusterCount = (int) clusters;
        this.refs = new AtomicIntegerArray(clusterCount);
        this.appliedSeq = new AtomicLongArray(journalSlots);
        this.checkpointer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "k200-lvol-" + name + "-checkpoint");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * The store named {@code name} over {@code member}: reopens it if block 0 holds an lvol
     * superblock (keeping its own cluster size), formats it with {@code clusterBytes} clusters if
     * block 0 is all zeroes, and refuses anything else. Blocks on member I/O (control plane).
     * Throws IllegalArgumentException for bad parameters, IllegalStateException if the member
     * fails or holds something else.
     */
    public static LvolStore create(String name, Bdev member, int clusterBytes) {
        return create(name, member, clusterBytes, DEFAULT_JOURNAL_SLOTS);
    }

    /** {@link #create(String, Bdev, int)} with a journal of {@code journalSlots} member blocks. */
    public static LvolStore create(String name, Bdev member, int clusterBytes, int journalSlots) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("lvol store name must not be empty");
        }
        int bs = member.blockSize();
        ByteBuf sb = PooledByteBufAllocator.DEFAULT.directBuffer(bs);
        try {
            sync(name, member, BdevOp.READ, 0, 1, sb, "reading the superblock");
            if (sb.getLong(0) == MAGIC) {
                return openExisting(name, member, sb);
            }
            for (int i = 0; i < bs; i++) {
                if (sb.getByte(i) != 0) {
                    throw new IllegalStateException("lvol store " + name + ": member " + member.name()
                            + " is neither blank nor an lvol store");
                }
            }
        } finally {
            sb.release();
        }
        if (clusterBytes <= 0 || clusterBytes % bs != 0) {
            throw new IllegalArgumentException("lvol store " + name + ": cluster size " + clusterBytes
                    + " must be a positive multiple of the member block size " + bs);
        }
        if (journalSlots < 4) {
            throw new IllegalArgumentException("lvol store " + name + ": journal needs at least 4 slots");
        }
        long maxClusters = member.blockCount() / (clusterBytes / bs);
        // Room for the volume table and eight map entries per physical cluster (thin over-commit).
        long ckptBytes = (256L << 10) + 32 * maxClusters;
        long ckptBlocks = 1 + (ckptBytes + bs - 1) / bs;
        long id = new SecureRandom().nextLong() | 1;
        LvolStore store = new LvolStore(name, member, clusterBytes, id, journalSlots, ckptBlocks);
        try {
            store.freeClusters.set(store.clusterCount);
            synchronized (store.control) {
                store.checkpointLocked();
            }
            store.writeSuperblock();
        } catch (RuntimeException e) {
            store.checkpointer.shutdownNow();
            throw e;
        }
        LOG.info("lvol store {} formatted on {}: {} clusters of {} bytes", name, member.name(),
                store.clusterCount, clusterBytes);
        return store;
    }

    private static LvolStore openExisting(String name, Bdev member, ByteBuf sb) {
        int bs = member.blockSize();
        CRC32C crc = new CRC32C();
        crc.update(sb.nioBuffer(0, 56));
        if (sb.getInt(8) != VERSION || sb.getInt(12) != bs || (int) crc.getValue() != sb.getInt(56)) {
            throw new IllegalStateException("lvol store " + name + ": superblock on " + member.name()
                    + " is damaged or of another version/block size");
        }
        int clusterBytes = sb.getInt(16);
        int slots = sb.getInt(20);
        long id = sb.getLong(24);
        long ckptBlocks = sb.getLong(32);
        LvolStore store = new LvolStore(name, member, clusterBytes, id, slots, ckptBlocks);
        try {
            store.load();
        } catch (RuntimeException e) {
            store.checkpointer.shutdownNow();
            throw e;
        }
        return store;
    }

    private void writeSuperblock() {
        ByteBuf sb = PooledByteBufAllocator.DEFAULT.directBuffer(blockSize);
        try {
            sb.writeZero(blockSize);
            sb.setLong(0, MAGIC);
            sb.setInt(8, VERSION);
            sb.setInt(12, blockSize);
            sb.setInt(16, clusterBytes);
            sb.setInt(20, journalSlots);
            sb.setLong(24, storeId);
            sb.setLong(32, checkpointBlocks);
            CRC32C crc = new CRC32C();
            crc.update(sb.nioBuffer(0, 56));
            sb.setInt(56, (int) crc.getValue());
            sync(BdevOp.WRITE, 0, 1, sb, "writing the superblock");
            flushMember("flushing the superblock");
        } finally {
            sb.release();
        }
    }

    // ---- public control API

    public String name() {
        return name;
    }

    public Bdev member() {
        return member;
    }

    public int clusterBytes() {
        return clusterBytes;
    }

    public int clusterCount() {
        return clusterCount;
    }

    /** Clusters not referenced by any volume. */
    public long freeClusters() {
        return freeClusters.get();
    }

    /** The generation of the current checkpoint: it grows by one with each checkpoint taken. */
    public long generation() {
        synchronized (control) {
            return generation;
        }
    }

    /** The volume (or snapshot) named {@code volumeName} as a bdev; IllegalArgumentException if none. */
    public Lvol volume(String volumeName) {
        Lvol v = byName.get(volumeName);
        if (v == null) {
            throw new IllegalArgumentException("lvol store " + name + ": no volume " + volumeName);
        }
        return v;
    }

    /** Every volume, snapshot and clone, by name. */
    public List<LvolInfo> volumes() {
        List<LvolInfo> out = new ArrayList<>();
        for (Lvol v : byName.values()) {
            Lvol p = v.parentId() == 0 ? null : byId(v.parentId());
            out.add(new LvolInfo(v.volumeName(), v.sizeBytes(), v.allocatedClusters() * (long) clusterBytes,
                    p == null ? null : p.volumeName(), v.thin(), v.readOnly()));
        }
        out.sort(Comparator.comparing(LvolInfo::name));
        return out;
    }

    /**
     * Creates a volume of {@code sizeBytes} (a multiple of the member block size). Thick: all its
     * clusters are allocated and zeroed now (IllegalStateException if the store lacks them);
     * thin: on first write. Durable when it returns.
     */
    public Lvol createVolume(String volumeName, long sizeBytes, boolean thin) {
        synchronized (control) {
            checkOpen();
            checkNewName(volumeName);
            checkSize(sizeBytes);
            int clusters = clustersFor(sizeBytes);
            reserveMetadata(volumeName, clusters);
            AtomicIntegerArray map = new AtomicIntegerArray(clusters);
            if (!thin) {
                if (!reserve(clusters)) {
                    throw new IllegalStateException("lvol store " + name + ": no room for " + clusters
                            + " clusters of thick volume " + volumeName + " (" + freeClusters.get() + " free)");
                }
                for (int i = 0; i < clusters; i++) {
                    map.set(i, takeReserved() + 1);
                }
                zeroClusters(map, 0);
            }
            Lvol v = new Lvol(this, nextVolumeId++, volumeName, sizeBytes, thin, false, 0, map);
            byName.put(volumeName, v);
            commit();
            return v;
        }
    }

    /** Grows a volume; refuses to shrink. New clusters of a thick volume are allocated now. */
    public void resize(String volumeName, long newSize) {
        synchronized (control) {
            checkOpen();
            Lvol v = volume(volumeName);
            checkSize(newSize);
            if (v.readOnly()) {
                throw new IllegalStateException("lvol store " + name + ": snapshot " + volumeName + " cannot be resized");
            }
            if (newSize < v.sizeBytes()) {
                throw new IllegalArgumentException("lvol store " + name + ": shrinking " + volumeName
                        + " is not supported");
            }
            AtomicIntegerArray old = v.map();
            int clusters = clustersFor(newSize);
            int added = clusters - old.length();
            reserveMetadata("", added);
            AtomicIntegerArray map = new AtomicIntegerArray(clusters);
            for (int i = 0; i < old.length(); i++) {
                map.set(i, old.get(i));
            }
            if (!v.thin() && added > 0) {
                if (!reserve(added)) {
                    throw new IllegalStateException("lvol store " + name + ": no room to grow " + volumeName);
                }
                for (int i = old.length(); i < clusters; i++) {
                    map.set(i, takeReserved() + 1);
                }
                zeroClusters(map, old.length());
            }
            v.resized(newSize, map);
            commit();
        }
    }

    /** Deletes a volume, snapshot or clone and drops its cluster references. */
    public void delete(String volumeName) {
        synchronized (control) {
            checkOpen();
            Lvol v = volume(volumeName);
            byName.remove(volumeName);
            v.deleted();
            AtomicIntegerArray map = v.map();
            for (int i = 0; i < map.length(); i++) {
                int e = map.get(i);
                if (e != 0) {
                    unref(e - 1);
                }
            }
            commit();
        }
    }

    /**
     * A read-only snapshot of {@code volumeName}: it shares every cluster of the volume; later
     * writes to the volume copy the touched cluster first. See the class comment for writes in
     * flight during the call.
     */
    public Lvol snapshot(String volumeName, String snapshotName) {
        synchronized (control) {
            checkOpen();
            Lvol v = volume(volumeName);
            checkNewName(snapshotName);
            reserveMetadata(snapshotName, v.map().length());
            Lvol s = new Lvol(this, nextVolumeId++, snapshotName, v.sizeBytes(), true, true, v.parentId(),
                    share(v.map()));
            byName.put(snapshotName, s);
            v.reparent(s.id());
            commit();
            return s;
        }
    }

    /** A writable thin clone of snapshot {@code snapshotName}, sharing its clusters copy-on-write. */
    public Lvol clone(String snapshotName, String cloneName) {
        synchronized (control) {
            checkOpen();
            Lvol s = volume(snapshotName);
            if (!s.readOnly()) {
                throw new IllegalArgumentException("lvol store " + name + ": " + snapshotName + " is not a snapshot");
            }
            checkNewName(cloneName);
            reserveMetadata(cloneName, s.map().length());
            Lvol c = new Lvol(this, nextVolumeId++, cloneName, s.sizeBytes(), true, false, s.id(), share(s.map()));
            byName.put(cloneName, c);
            commit();
            return c;
        }
    }

    /** Takes a last checkpoint and stops the checkpoint thread; the member stays open. */
    @Override
    public void close() {
        synchronized (control) {
            if (closed) {
                return;
            }
            try {
                checkpointLocked();
            } catch (RuntimeException e) {
                LOG.warn("lvol store {}: last checkpoint failed: {}", name, e.toString());
            }
            closed = true;
        }
        checkpointer.shutdown();
        Lvol.LvolIo io;
        while ((io = stalled.poll()) != null) {
            io.resumeOn();
        }
    }

    /**
     * Simulates a power loss for tests: stops the store without a last checkpoint; I/O still in
     * flight or submitted later completes ABORTED or never, as on a dead card.
     */
    void crash() {
        // No lock: a checkpoint stuck waiting on a lost record must not block the crash.
        crashedFlag = true;
        closed = true;
        checkpointer.shutdownNow();
        try {
            // A checkpoint of the dead store must not write over the one a reopened store takes.
            if (!checkpointer.awaitTermination(SYNC_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("lvol store {}: checkpoint thread did not stop", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- for Lvol (data path)

    int blockSize() {
        return blockSize;
    }

    int blocksPerCluster() {
        return blocksPerCluster;
    }

    boolean closed() {
        return closed;
    }

    private boolean crashed() {
        return crashedFlag;
    }

    /** Member LBA of the first block of physical cluster {@code p}. */
    long clusterLba(int p) {
        return dataStart + (long) p * blocksPerCluster;
    }

    int refCount(int p) {
        return refs.get(p);
    }

    /** A free cluster, its count set to 1, or -1 if the store is full. Lock-free. */
    int allocate() {
        return reserve(1) ? takeReserved() : -1;
    }

    /** Drops one reference; the cluster is free again at zero. */
    void unref(int p) {
        if (refs.decrementAndGet(p) == 0) {
            freeClusters.incrementAndGet();
        }
    }

    /**
     * Takes the next journal sequence number; 0 if the journal is full: then {@code io} has been
     * queued and will be resumed on its core after the next checkpoint; -1 if the store is closed.
     */
    long admit(Lvol.LvolIo io) {
        for (;;) {
            if (closed) {
                return -1;
            }
            long s = nextSeq.get();
            if (s >= durableStart + journalSlots) {
                kickCheckpoint();
                stalled.add(io);
                // A checkpoint may have finished between the test and the queueing: look again.
                if ((closed || nextSeq.get() < durableStart + journalSlots) && stalled.remove(io)) {
                    continue;
                }
                return 0;
            }
            if (nextSeq.compareAndSet(s, s + 1)) {
                if (s - durableStart >= journalSlots / 2) {
                    kickCheckpoint();
                }
                return s;
            }
        }
    }

    long journalLba(long seq) {
        return journalStart + seq % journalSlots;
    }

    /** Fills a journal record block for (volume, cluster) := entry. */
    void encodeRecord(ByteBuf buf, long seq, long volumeId, int cluster, int entry) {
        int at = buf.writerIndex();
        buf.writeZero(blockSize);
        buf.setLong(at, JOURNAL_MAGIC);
        buf.setLong(at + 8, storeId);
        buf.setLong(at + 16, seq);
        buf.setLong(at + 24, volumeId);
        buf.setInt(at + 32, cluster);
        buf.setInt(at + 36, entry);
        CRC32C crc = new CRC32C();
        crc.update(buf.nioBuffer(at, 40));
        buf.setInt(at + 40, (int) crc.getValue());
    }

    /** The outcome of record {@code seq} is in memory (or it failed): a checkpoint may pass it. */
    void applied(long seq) {
        appliedSeq.set((int) (seq % journalSlots), seq);
    }

    // ---- helpers

    private Lvol byId(long id) {
        for (Lvol v : byName.values()) {
            if (v.id() == id) {
                return v;
            }
        }
        return null;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("lvol store " + name + " is closed");
        }
    }

    private void checkNewName(String volumeName) {
        if (volumeName == null || volumeName.isBlank()
                || volumeName.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw new IllegalArgumentException("lvol store " + name + ": bad volume name '" + volumeName + "'");
        }
        if (byName.containsKey(volumeName)) {
            throw new IllegalArgumentException("lvol store " + name + ": volume " + volumeName + " exists");
        }
    }

    private void checkSize(long sizeBytes) {
        if (sizeBytes <= 0 || sizeBytes % blockSize != 0) {
            throw new IllegalArgumentException("lvol store " + name + ": size " + sizeBytes
                    + " must be a positive multiple of " + blockSize);
        }
        if ((sizeBytes + clusterBytes - 1) / clusterBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("lvol store " + name + ": size " + sizeBytes + " too large");
        }
    }

    private int clustersFor(long sizeBytes) {
        return (int) ((sizeBytes + clusterBytes - 1) / clusterBytes);
    }

    /** Refuses a change whose checkpoint would not fit its region. */
    private void reserveMetadata(String newName, int newEntries) {
        long need = payloadBytes() + volumeRecordBytes(newName) + 4L * newEntries;
        if (need > (checkpointBlocks - 1) * blockSize) {
            throw new IllegalStateException("lvol store " + name + ": metadata region full");
        }
    }

    private static long volumeRecordBytes(String volumeName) {
        return 8 + 8 + 8 + 1 + 2 + volumeName.getBytes(StandardCharsets.UTF_8).length + 4;
    }

    private long payloadBytes() {
        long n = 4;
        for (Lvol v : byName.values()) {
            n += volumeRecordBytes(v.volumeName()) + 4L * v.map().length();
        }
        return n;
    }

    /**
     * Zeroes the clusters a thick volume just took (from entry {@code from} on): a freed cluster
     * still holds its last owner's data, and an unwritten block must read as zeroes. On failure
     * the clusters go back to the free pool.
     */
    private void zeroClusters(AtomicIntegerArray map, int from) {
        try {
            if (member.supports(BdevOp.WRITE_ZEROES)) {
                for (int i = from; i < map.length(); i++) {
                    sync(BdevOp.WRITE_ZEROES, clusterLba(map.get(i) - 1), blocksPerCluster, null, "zeroing a cluster");
                }
                return;
            }
            ByteBuf zeroes = PooledByteBufAllocator.DEFAULT.directBuffer(clusterBytes);
            try {
                zeroes.writeZero(clusterBytes);
                for (int i = from; i < map.length(); i++) {
                    sync(BdevOp.WRITE, clusterLba(map.get(i) - 1), blocksPerCluster, zeroes, "zeroing a cluster");
                }
            } finally {
                zeroes.release();
            }
        } catch (RuntimeException e) {
            for (int i = from; i < map.length(); i++) {
                unref(map.get(i) - 1);
            }
            throw e;
        }
    }

    private AtomicIntegerArray share(AtomicIntegerArray map) {
        AtomicIntegerArray copy = new AtomicIntegerArray(map.length());
        for (int i = 0; i < map.length(); i++) {
            int e = map.get(i);
            if (e != 0) {
                refs.incrementAndGet(e - 1);
                copy.set(i, e);
            }
        }
        return copy;
    }

    private boolean reserve(long n) {
        for (;;) {
            long f = freeClusters.get();
            if (f < n) {
                return false;
            }
            if (freeClusters.compareAndSet(f, f - n)) {
                return true;
            }
        }
    }

    /** One cluster out of a reservation: there is a free one, find and claim it. */
    private int takeReserved() {
        int start = (int) Math.floorMod(allocHint.getAndIncrement(), (long) clusterCount);
        for (;;) {
            for (int k = 0; k < clusterCount; k++) {
                int p = (start + k) % clusterCount;
                if (refs.get(p) == 0 && refs.compareAndSet(p, 0, 1)) {
                    allocHint.set(p + 1L);
                    return p;
                }
            }
            // A freed cluster's count reaches 0 just before the free count rises: look again.
            Thread.onSpinWait();
        }
    }

    private void commit() {
        checkpointLocked();
    }

    private void kickCheckpoint() {
        if (!closed && checkpointQueued.compareAndSet(false, true)) {
            try {
                checkpointer.execute(() -> {
                    checkpointQueued.set(false);
                    synchronized (control) {
                        if (closed) {
                            return;
                        }
                        try {
                            checkpointLocked();
                        } catch (RuntimeException e) {
                            LOG.warn("lvol store {}: checkpoint failed: {}", name, e.toString());
                        }
                    }
                });
            } catch (RejectedExecutionException e) {
                checkpointQueued.set(false);
            }
        }
    }

    /**
     * Writes the memory image to the older checkpoint copy and makes it current; then lets writers
     * reuse the journal slots it covers. Holds {@link #control}.
     */
    private void checkpointLocked() {
        long t = nextSeq.get();
        // Every record below t was admitted: wait until each has been applied (or has failed).
        for (long s = durableStart; s < t; s++) {
            int slot = (int) (s % journalSlots);
            while (appliedSeq.get(slot) < s) {
                if (crashed()) {
                    throw new IllegalStateException("lvol store " + name + " stopped during a checkpoint");
                }
                LockSupport.parkNanos(20_000);
            }
        }
        long gen = generation + 1;
        int copy = (int) (gen & 1);
        long base = checkpointStart + copy * checkpointBlocks;
        ByteBuf payload = PooledByteBufAllocator.DEFAULT.directBuffer();
        ByteBuf header = PooledByteBufAllocator.DEFAULT.directBuffer(blockSize);
        try {
            List<Lvol> vols = new ArrayList<>(byName.values());
            payload.writeInt(vols.size());
            for (Lvol v : vols) {
                byte[] nm = v.volumeName().getBytes(StandardCharsets.UTF_8);
                payload.writeLong(v.id());
                payload.writeLong(v.parentId());
                payload.writeLong(v.sizeBytes());
                payload.writeByte((v.thin() ? 1 : 0) | (v.readOnly() ? 2 : 0));
                payload.writeShort(nm.length);
                payload.writeBytes(nm);
                AtomicIntegerArray map = v.map();
                payload.writeInt(map.length());
                for (int i = 0; i < map.length(); i++) {
                    payload.writeInt(map.get(i));
                }
            }
            int len = payload.readableBytes();
            if (len > (checkpointBlocks - 1) * blockSize) {
                throw new IllegalStateException("lvol store " + name + ": metadata region full");
            }
            CRC32C crc = new CRC32C();
            crc.update(payload.nioBuffer(0, len));
            int payloadCrc = (int) crc.getValue();
            int padded = (len + blockSize - 1) / blockSize * blockSize;
            payload.writeZero(padded - len);
            if (crashed()) {
                throw new IllegalStateException("lvol store " + name + " stopped during a checkpoint");
            }
            if (padded > 0) {
                sync(BdevOp.WRITE, base + 1, padded / blockSize, payload, "writing a checkpoint");
            }
            flushMember("flushing a checkpoint");
            header.writeZero(blockSize);
            header.setLong(0, CHECKPOINT_MAGIC);
            header.setLong(8, storeId);
            header.setLong(16, gen);
            header.setLong(24, t);
            header.setInt(32, len);
            header.setInt(36, payloadCrc);
            header.setLong(40, nextVolumeId);
            CRC32C hc = new CRC32C();
            hc.update(header.nioBuffer(0, 48));
            header.setInt(48, (int) hc.getValue());
            if (crashed()) {
                throw new IllegalStateException("lvol store " + name + " stopped during a checkpoint");
            }
            sync(BdevOp.WRITE, base, 1, header, "writing a checkpoint header");
            flushMember("flushing a checkpoint header");
        } finally {
            payload.release();
            header.release();
        }
        generation = gen;
        durableStart = t;
        Lvol.LvolIo io;
        while ((io = stalled.poll()) != null) {
            io.resumeOn();
        }
    }

    /** Loads the newer valid checkpoint, replays the journal, rebuilds counts, checkpoints. */
    private void load() {
        long bestGen = -1;
        long bestStart = 0;
        long bestNextId = 1;
        ByteBuf best = null;
        try {
            for (int copy = 0; copy < 2; copy++) {
                long base = checkpointStart + copy * checkpointBlocks;
                ByteBuf h = PooledByteBufAllocator.DEFAULT.directBuffer(blockSize);
                try {
                    sync(BdevOp.READ, base, 1, h, "reading a checkpoint header");
                    CRC32C hc = new CRC32C();
                    hc.update(h.nioBuffer(0, 48));
                    if (h.getLong(0) != CHECKPOINT_MAGIC || h.getLong(8) != storeId
                            || h.getInt(48) != (int) hc.getValue() || h.getLong(16) <= bestGen) {
                        continue;
                    }
                    int len = h.getInt(32);
                    if (len < 4 || len > (checkpointBlocks - 1) * blockSize) {
                        continue;
                    }
                    long blocks = (len + blockSize - 1) / blockSize;
                    ByteBuf p = PooledByteBufAllocator.DEFAULT.directBuffer((int) (blocks * blockSize));
                    sync(BdevOp.READ, base + 1, blocks, p, "reading a checkpoint");
                    CRC32C pc = new CRC32C();
                    pc.update(p.nioBuffer(0, len));
                    if ((int) pc.getValue() != h.getInt(36)) {
                        p.release();
                        continue;
                    }
                    p.writerIndex(len);
                    if (best != null) {
                        best.release();
                    }
                    best = p;
                    bestGen = h.getLong(16);
                    bestStart = h.getLong(24);
                    bestNextId = h.getLong(40);
                } finally {
                    h.release();
                }
            }
            if (best == null) {
                throw new IllegalStateException("lvol store " + name + ": no valid checkpoint on " + member.name());
            }
            Map<Long, Lvol> byId = new ConcurrentHashMap<>();
            int count = best.readInt();
            for (int k = 0; k < count; k++) {
                long id = best.readLong();
                long parent = best.readLong();
                long size = best.readLong();
                int flags = best.readByte();
                byte[] nm = new byte[best.readShort()];
                best.readBytes(nm);
                int n = best.readInt();
                AtomicIntegerArray map = new AtomicIntegerArray(n);
                for (int i = 0; i < n; i++) {
                    map.set(i, best.readInt());
                }
                Lvol v = new Lvol(this, id, new String(nm, StandardCharsets.UTF_8), size, (flags & 1) != 0,
                        (flags & 2) != 0, parent, map);
                byName.put(v.volumeName(), v);
                byId.put(id, v);
            }
            generation = bestGen;
            nextVolumeId = bestNextId;
            long last = replay(bestStart, byId);
            nextSeq.set(Math.max(bestStart, last + 1));
            durableStart = nextSeq.get();
        } finally {
            if (best != null) {
                best.release();
            }
        }
        long used = 0;
        for (Lvol v : byName.values()) {
            AtomicIntegerArray map = v.map();
            for (int i = 0; i < map.length(); i++) {
                int e = map.get(i);
                if (e != 0) {
                    if (e - 1 >= clusterCount) {
                        throw new IllegalStateException("lvol store " + name + ": volume " + v.volumeName()
                                + " maps beyond the data area");
                    }
                    if (refs.getAndIncrement(e - 1) == 0) {
                        used++;
                    }
                }
            }
        }
        freeClusters.set(clusterCount - used);
        synchronized (control) {
            checkpointLocked();
        }
        LOG.info("lvol store {} opened on {}: {} volumes, {} of {} clusters free", name, member.name(),
                byName.size(), freeClusters.get(), clusterCount);
    }

    /** Applies valid records at or after {@code start} in sequence order; returns the last sequence seen. */
    private long replay(long start, Map<Long, Lvol> byId) {
        List<long[]> records = new ArrayList<>();
        int batch = Math.max(1, (1 << 20) / blockSize);
        long last = start - 1;
        for (int s = 0; s < journalSlots; s += batch) {
            int n = Math.min(batch, journalSlots - s);
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(n * blockSize);
            try {
                sync(BdevOp.READ, journalStart + s, n, buf, "reading the journal");
                for (int k = 0; k < n; k++) {
                    int at = k * blockSize;
                    CRC32C crc = new CRC32C();
                    crc.update(buf.nioBuffer(at, 40));
                    long seq = buf.getLong(at + 16);
                    if (buf.getLong(at) != JOURNAL_MAGIC || buf.getLong(at + 8) != storeId
                            || buf.getInt(at + 40) != (int) crc.getValue() || seq < start
                            || seq % journalSlots != s + k) {
                        continue;
                    }
                    records.add(new long[] {seq, buf.getLong(at + 24), buf.getInt(at + 32), buf.getInt(at + 36)});
                    last = Math.max(last, seq);
                }
            } finally {
                buf.release();
            }
        }
        records.sort(Comparator.comparingLong(r -> r[0]));
        for (long[] r : records) {
            Lvol v = byId.get(r[1]);
            if (v != null && r[2] >= 0 && r[2] < v.map().length() && r[3] >= 0 && r[3] <= clusterCount) {
                v.map().set((int) r[2], (int) r[3]);
            }
        }
        if (!records.isEmpty()) {
            LOG.info("lvol store {}: replayed {} journal records", name, records.size());
        }
        return last;
    }

    private void flushMember(String what) {
        if (member.supports(BdevOp.FLUSH)) {
            sync(BdevOp.FLUSH, 0, 0, null, what);
        }
    }

    private void sync(BdevOp op, long lba, long blocks, ByteBuf buf, String what) {
        sync(name, member, op, lba, blocks, buf, what);
    }

    private static void sync(String name, Bdev member, BdevOp op, long lba, long blocks, ByteBuf buf, String what) {
        SyncIo.run("lvol store " + name, member, op, lba, blocks, buf, what);
    }

    /**
     * One allocation or copy-on-write of a (volume, cluster) in flight: later writers of that
     * cluster queue on its lock-free waiter stack and are resumed, each on its own core, when it
     * ends. Owned by the {@link Lvol.LvolIo} that created it.
     */
    static final class ClusterOp {
        private static final Waiter CLOSED = new Waiter(null, null);
        private final java.util.concurrent.atomic.AtomicReference<Waiter> waiters =
                new java.util.concurrent.atomic.AtomicReference<>();

        /** False if the op has already ended: the caller looks at the map again. */
        boolean addWaiter(Lvol.LvolIo io) {
            for (;;) {
                Waiter head = waiters.get();
                if (head == CLOSED) {
                    return false;
                }
                if (waiters.compareAndSet(head, new Waiter(io, head))) {
                    return true;
                }
            }
        }

        /** Ends the op: removes it from the table, then resumes every waiter in arrival order. */
        void end(ConcurrentHashMap<Long, ClusterOp> table, Long key) {
            table.remove(key, this);
            Waiter w = waiters.getAndSet(CLOSED);
            Waiter fifo = null;
            while (w != null && w != CLOSED) {
                Waiter next = w.next;
                w.next = fifo;
                fifo = w;
                w = next;
            }
            while (fifo != null) {
                Waiter next = fifo.next;
                fifo.io.resumeOn();
                fifo = next;
            }
        }
    }

    /** A writer queued behind a {@link ClusterOp}; the stack is private to the op once closed. */
    private static final class Waiter {
        final Lvol.LvolIo io;
        Waiter next;

        Waiter(Lvol.LvolIo io, Waiter next) {
            this.io = io;
            this.next = next;
        }
    }
}
