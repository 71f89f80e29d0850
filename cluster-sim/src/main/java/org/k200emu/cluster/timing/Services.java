package org.k200emu.cluster.timing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The storage services on the modelled volume: AES-XTS encryption, an erasure code, hashing
 * (SHA-256 of every block, computed on writes and verified on reads).
 *
 * @param encryption  AES-XTS on every byte read and written
 * @param erasureCode the erasure code writes are protected with, or null for none
 * @param hashing     a hash of every byte read and written
 */
public record Services(boolean encryption, ErasureCode erasureCode, boolean hashing) {

    /** No service. */
    public static final Services NONE = new Services(false, null, false);

    /** True if an erasure code is on. */
    public boolean hasErasureCode() {
        return erasureCode != null;
    }

    /** True if no service is on. */
    public boolean none() {
        return !encryption && erasureCode == null && !hashing;
    }

    /** The same services with encryption on or off. */
    public Services withEncryption(boolean on) {
        return new Services(on, erasureCode, hashing);
    }

    /** The same services with this erasure code (null: none). */
    public Services withErasureCode(ErasureCode code) {
        return new Services(encryption, code, hashing);
    }

    /** The same services with hashing on or off. */
    public Services withHashing(boolean on) {
        return new Services(encryption, erasureCode, on);
    }

    /**
     * Parses a comma list of {@code crypt}, {@code ecK+M} (e.g. {@code ec4+2}, {@code ec8+3}) and
     * {@code hash}; {@code none} or an empty list is no service. Case-insensitive; blanks around
     * items are ignored.
     *
     * @throws IllegalArgumentException on an unknown item, or two erasure codes
     */
    public static Services parse(String text) {
        Services s = NONE;
        if (text == null) {
            return s;
        }
        for (String raw : text.split(",", -1)) {
            String item = raw.trim().toLowerCase(Locale.ROOT);
            if (item.isEmpty() || item.equals("none")) {
                continue;
            }
            if (item.equals("crypt") || item.equals("crypto") || item.equals("aes-xts")) {
                s = s.withEncryption(true);
            } else if (item.equals("hash")) {
                s = s.withHashing(true);
            } else if (item.startsWith("ec")) {
                if (s.hasErasureCode()) {
                    throw new IllegalArgumentException("more than one erasure code in '" + text + "'");
                }
                s = s.withErasureCode(ErasureCode.parse(item));
            } else {
                throw new IllegalArgumentException("'" + raw.trim() + "' is not a service; use crypt, ec4+2, ec8+3"
                        + " (any ecK+M) or hash");
            }
        }
        return s;
    }

    /** The comma list {@link #parse} reads, e.g. {@code crypt,ec4+2}; {@code none} for no service. */
    @Override
    public String toString() {
        List<String> items = new ArrayList<>();
        if (encryption) {
            items.add("crypt");
        }
        if (erasureCode != null) {
            items.add(erasureCode.toString());
        }
        if (hashing) {
            items.add("hash");
        }
        return items.isEmpty() ? "none" : String.join(",", items);
    }
}
