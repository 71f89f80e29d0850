package org.k200emu.bdev;

import java.io.IOException;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.k200emu.bdev.file.FileBdev;
import org.k200emu.bdev.malloc.MallocBdev;
import org.k200emu.bdev.nullbdev.NullBdev;
import org.k200emu.card.config.CardConfig;
import org.k200emu.card.config.ConfigException;
import org.k200emu.cluster.SystemClock;
import org.k200emu.cluster.accel.Accelerators;

/**
 * The card's named block devices: created from the configuration (or at run time by the control
 * plane), looked up by name, closed together. Lookups read an immutable snapshot; changes are
 * rare control-plane operations and synchronized.
 */
public final class BdevRegistry implements AutoCloseable {

    private static final int FILE_WORKERS = 2;

    private volatile Map<String, Bdev> bdevs = Collections.emptyMap();
    /** The card's co-processors, which the storage services made here submit their work to. */
    private final Accelerators accelerators;
    /** Everything to close, in creation order: bdevs and the volume stores behind lvol bdevs. */
    private final java.util.List<AutoCloseable> owned = new java.util.ArrayList<>();

    /**
     * Makes a bdev of a type the core does not know (remote namespaces, made by the fabric
     * module); {@code path} names the configuration entry for error messages.
     */
    @FunctionalInterface
    public interface Factory {
        Bdev make(CardConfig.BdevConfig config, String path);
    }

    /** Creates every bdev of {@code config}; on failure closes those already made. */
    public static BdevRegistry create(CardConfig config) {
        return create(config, (b, path) -> {
            throw new ConfigException(path + ".type", "unknown bdev type '" + b.type() + "'");
        });
    }

    private BdevRegistry(Accelerators accelerators) {
        this.accelerators = java.util.Objects.requireNonNull(accelerators, "accelerators");
    }

    /**
     * Creates every bdev of {@code config}, asking {@code others} for the types the core does not
     * make; the services submit to accelerators with the configuration's model on the host clock.
     */
    public static BdevRegistry create(CardConfig config, Factory others) {
        return create(config, others, new Accelerators(config.accelerators(), SystemClock.INSTANCE));
    }

    /** {@link #create(CardConfig, Factory)} with these accelerators (a test's, on a virtual clock). */
    public static BdevRegistry create(CardConfig config, Factory others, Accelerators accelerators) {
        BdevRegistry registry = new BdevRegistry(accelerators);
        try {
            for (int i = 0; i < config.bdevs().size(); i++) {
                registry.create(config.bdevs().get(i), "bdevs[" + i + "]", others);
            }
            return registry;
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
    }

    /**
     * Creates one bdev (at start, or at run time from the control plane) and registers it; its
     * members must exist. {@code path} names the configuration entry in error messages.
     */
    public void create(CardConfig.BdevConfig b, String path, Factory others) {
        if (b.type().equals("lvstore")) {
            volumeStore(b, path);
            return;
        }
        Bdev bdev = Set.of("null", "malloc", "file").contains(b.type()) ? make(b, path)
                : b.service() != null ? stack(b, path) : others.make(b, path);
        if (bdev instanceof Accelerated) {
            ((Accelerated) bdev).useAccelerators(accelerators);
        }
        try {
            add(bdev);
        } catch (RuntimeException e) {
            bdev.close(); // made but not registered: the registry's close would miss it
            throw e;
        }
    }

    /** The card's co-processors, shared by every service bdev made here. */
    public Accelerators accelerators() {
        return accelerators;
    }

    /** The logical volume store named {@code name}, or null. */
    public synchronized org.k200emu.bdev.lvol.LvolStore volumeStore(String name) {
        for (AutoCloseable c : owned) {
            if (c instanceof org.k200emu.bdev.lvol.LvolStore && ((org.k200emu.bdev.lvol.LvolStore) c).name().equals(name)) {
                return (org.k200emu.bdev.lvol.LvolStore) c;
            }
        }
        return null;
    }

    private static Bdev make(CardConfig.BdevConfig b, String path) {
        switch (b.type()) {
            case "null":
                return new NullBdev(b.name(), b.blockSize(), b.blockCount());
            case "malloc":
                return new MallocBdev(b.name(), b.blockSize(), b.blockCount());
            case "file":
                try {
                    return FileBdev.open(b.name(), b.path(), b.sizeBytes(), b.blockSize(), b.create(), FILE_WORKERS);
                } catch (IOException e) {
                    throw new ConfigException(path + ".path", "cannot open " + b.path() + ": " + e.getMessage());
                }
            default:
                throw new ConfigException(path + ".type", "unknown bdev type '" + b.type() + "'");
        }
    }

    /** A logical volume store on its member, and each configured volume registered as store/volume. */
    private void volumeStore(CardConfig.BdevConfig b, String path) {
        java.util.Map<String, String> settings = b.service().settings();
        org.k200emu.bdev.lvol.LvolStore store;
        try {
            store = org.k200emu.bdev.lvol.LvolStore.create(b.name(), get(b.service().members().get(0)),
                    Integer.parseInt(settings.get("clusterSize")));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConfigException(path, e.getMessage());
        }
        synchronized (this) {
            owned.add(store);
        }
        for (String v : settings.get("volumes").split(";")) {
            if (v.isEmpty()) {
                continue;
            }
            String[] f = v.split(":");
            try {
                org.k200emu.bdev.lvol.Lvol volume = store.volumes().stream().anyMatch(i -> i.name().equals(f[0]))
                        ? store.volume(f[0]) : store.createVolume(f[0], Long.parseLong(f[1]), Boolean.parseBoolean(f[2]));
                add(volume);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new ConfigException(path + ".volumes", f[0] + ": " + e.getMessage());
            }
        }
    }

    /** A storage service over members made earlier. */
    private Bdev stack(CardConfig.BdevConfig b, String path) {
        java.util.List<Bdev> members = new java.util.ArrayList<>();
        for (String m : b.service().members()) {
            Bdev member = get(m);
            if (member instanceof org.k200emu.bdev.pi.PiBdev) {
                // Its I/O carries 8 bytes of metadata per block, which only the NVMe controller handles.
                throw new ConfigException(path + (b.service().members().size() == 1 ? ".member" : ".members"),
                        "'" + m + "' is a pi bdev: it can only back a namespace, not another bdev");
            }
            members.add(member);
        }
        java.util.Map<String, String> settings = b.service().settings();
        try {
            switch (b.type()) {
                case "crypt": {
                    byte[] key = readKey(java.nio.file.Path.of(settings.get("keyFile")), path);
                    try {
                        return org.k200emu.bdev.crypto.CryptoBdev.create(b.name(), members.get(0), key);
                    } finally {
                        java.util.Arrays.fill(key, (byte) 0);
                    }
                }
                case "integrity":
                    return org.k200emu.bdev.integrity.IntegrityBdev.create(b.name(), members.get(0),
                            settings.get("algorithm"));
                case "pi":
                    return org.k200emu.bdev.pi.PiBdev.create(b.name(), members.get(0),
                            Integer.parseInt(settings.get("piType")));
                default:
                    return ServiceFactories.make(b, members, path);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ConfigException(path, e.getMessage());
        }
    }

    /** A 64-byte AES-256-XTS key: raw bytes, or 128 hexadecimal digits. Never logged. */
    private static byte[] readKey(java.nio.file.Path file, String path) {
        byte[] raw;
        try {
            raw = java.nio.file.Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(path + ".keyFile", "cannot read " + file + ": " + e.getMessage());
        }
        if (raw.length == 64) {
            return raw;
        }
        String hex = new String(raw, java.nio.charset.StandardCharsets.US_ASCII).strip();
        java.util.Arrays.fill(raw, (byte) 0);
        if (hex.matches("[0-9a-fA-F]{128}")) {
            byte[] key = new byte[64];
            for (int i = 0; i < 64; i++) {
                key[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
            }
            return key;
        }
        throw new ConfigException(path + ".keyFile", file + " must hold a 64-byte key: 64 raw bytes or 128"
                + " hexadecimal digits");
    }

    /** Registers a bdev; its name must be new. */
    public synchronized void add(Bdev bdev) {
        if (bdevs.containsKey(bdev.name())) {
            throw new IllegalArgumentException("a bdev named '" + bdev.name() + "' exists already");
        }
        owned.add(bdev);
        Map<String, Bdev> next = new LinkedHashMap<>(bdevs);
        next.put(bdev.name(), bdev);
        bdevs = Collections.unmodifiableMap(next);
    }

    /** The bdev with this name; throws if there is none. */
    public Bdev get(String name) {
        Bdev b = bdevs.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no bdev named '" + name + "'");
        }
        return b;
    }

    public Collection<Bdev> all() {
        return bdevs.values();
    }

    /** Closes every bdev (file bdevs finish their outstanding I/O and sync first). */
    @Override
    public synchronized void close() {
        // Newest first: a stacked bdev closes (and writes its clean state) before its members.
        java.util.List<AutoCloseable> all = new java.util.ArrayList<>(owned);
        java.util.Collections.reverse(all);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(BdevRegistry.class).warn("closing {} failed: {}", c, e.toString());
            }
        }
        owned.clear();
        bdevs = Collections.emptyMap();
    }
}
