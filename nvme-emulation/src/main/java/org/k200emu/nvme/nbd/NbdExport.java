package org.k200emu.nvme.nbd;

import java.util.Objects;
import org.k200emu.bdev.Bdev;

/**
 * One export of the {@link NbdServer}: the name a client asks for and the bdev behind it.
 *
 * @param name     export name (UTF-8, at most 4096 bytes; the empty name asks for the first export)
 * @param bdev     the card's bdev served, owned by the card's registry
 * @param readOnly writes, trims and write-zeroes fail with EPERM
 */
public record NbdExport(String name, Bdev bdev, boolean readOnly) {

    public NbdExport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bdev, "bdev");
        if (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 4096) {
            throw new IllegalArgumentException("an export name has 1..4096 bytes: '" + name + "'");
        }
    }

    /** Capacity in bytes. */
    public long sizeBytes() {
        return bdev.blockCount() * bdev.blockSize();
    }

    /** The transmission flags advertised for this export. */
    public int transmissionFlags() {
        int flags = NbdProtocol.FLAG_HAS_FLAGS | NbdProtocol.FLAG_SEND_FLUSH | NbdProtocol.FLAG_SEND_FUA
                // A bdev flush is device-wide: it covers writes completed on every connection.
                | NbdProtocol.FLAG_CAN_MULTI_CONN;
        if (readOnly) {
            flags |= NbdProtocol.FLAG_READ_ONLY;
        }
        if (bdev.supports(org.k200emu.bdev.BdevOp.UNMAP)) {
            flags |= NbdProtocol.FLAG_SEND_TRIM;
        }
        if (bdev.supports(org.k200emu.bdev.BdevOp.WRITE_ZEROES)) {
            flags |= NbdProtocol.FLAG_SEND_WRITE_ZEROES;
        }
        return flags;
    }
}
