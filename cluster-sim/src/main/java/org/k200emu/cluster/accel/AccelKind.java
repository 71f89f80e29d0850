package org.k200emu.cluster.accel;

/** What a co-processor job does: each kind has its own engines and throughput in every cluster. */
public enum AccelKind {
    /** AES-XTS encryption and decryption. */
    CRYPTO("crypto"),
    /** Digests: SHA-256 / SHA3-256 of blocks, deduplication fingerprints. */
    HASH("hash"),
    /** Erasure coding: Reed-Solomon encode and reconstruct, RAID 5/6 parity. */
    ERASURE_CODE("ec");

    private static final AccelKind[] ALL = values();

    private final String label;

    AccelKind(String label) {
        this.label = label;
    }

    /** The short name used in status output and configuration: {@code crypto}, {@code hash}, {@code ec}. */
    public String label() {
        return label;
    }

    /** Every kind, in ordinal order; a shared array, not to be modified. */
    static AccelKind[] all() {
        return ALL;
    }
}
