package org.k200emu.nvme.controller;

import io.netty.buffer.ByteBuf;
import org.k200emu.bdev.pi.Crc16T10Dif;
import org.k200emu.nvme.NvmeStatus;

/**
 * End-to-end data protection of the NVM command set for namespaces formatted with 8 bytes of
 * protection information per block (NVM Command Set 1.0, section 5.2): the PRINFO field of
 * CDW12 (PRACT and the three PRCHK bits), the expected tags of CDW14 (ILBRT) and CDW15 (LBAT,
 * LBATM), and the checks, insertion and stripping the controller does with them. Protection
 * information is the T10 tuple, big-endian: a 16-bit guard (CRC-16 T10-DIF of the block's data),
 * a 16-bit application tag and a 32-bit reference tag, read here as one {@code long}.
 *
 * <p>Stateless and allocation-free: every method works on the caller's buffers and returns an
 * NVMe status.
 */
final class ProtectionInfo {

    /** PRACT: the controller inserts protection information on writes and strips it on reads. */
    static final int PRACT = 1 << 29;
    static final int PRCHK_GUARD = 1 << 28;
    static final int PRCHK_APP = 1 << 27;
    static final int PRCHK_REF = 1 << 26;
    static final int BYTES = 8;

    private ProtectionInfo() {
    }

    /** The tuple as a big-endian long. */
    static long tuple(int guard, int appTag, int refTag) {
        return ((long) (guard & 0xFFFF) << 48) | ((long) (appTag & 0xFFFF) << 32) | (refTag & 0xFFFF_FFFFL);
    }

    /**
     * Whether PRINFO and ILBRT fit the namespace: for type 1 with the reference tag checked, ILBRT
     * must be the low 32 bits of the starting LBA (Invalid Protection Information otherwise).
     */
    static int validate(int piType, int cdw12, long slba, int ilbrt) {
        if (piType == 1 && (cdw12 & PRCHK_REF) != 0 && (int) slba != ilbrt) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_PROTECTION_INFO);
        }
        return NvmeStatus.SUCCESS;
    }

    /**
     * Checks {@code blocks} extended blocks of {@code buf} from {@code at} (each {@code blockSize}
     * data bytes then 8 bytes of protection information) as PRCHK in {@code cdw12} asks. Blocks
     * whose tags hold the escape values (application tag FFFFh for types 1 and 2; that and
     * reference tag FFFFFFFFh for type 3) are not checked. The reference tag expected for block
     * {@code i} is ILBRT + i for types 1 and 2, ILBRT for type 3. Returns SUCCESS or the first
     * failure (guard before application tag before reference tag, within the first failing
     * block), with DNR: the same data fails the same way again.
     */
    static int check(ByteBuf buf, int at, int blocks, int blockSize, int piType, int cdw12, int ilbrt, int cdw15) {
        int prchk = cdw12 & (PRCHK_GUARD | PRCHK_APP | PRCHK_REF);
        if (prchk == 0) {
            return NvmeStatus.SUCCESS;
        }
        int lbat = cdw15 & 0xFFFF;
        int lbatm = cdw15 >>> 16;
        int ext = blockSize + BYTES;
        for (int i = 0; i < blocks; i++) {
            int base = at + i * ext;
            long pi = buf.getLong(base + blockSize);
            int app = (int) (pi >>> 32) & 0xFFFF;
            int ref = (int) pi;
            if (app == 0xFFFF && (piType != 3 || ref == -1)) {
                continue; // escape: this block is not checked
            }
            if ((prchk & PRCHK_GUARD) != 0 && Crc16T10Dif.compute(buf, base, blockSize) != (int) (pi >>> 48)) {
                return NvmeStatus.withDnr(NvmeStatus.GUARD_CHECK_ERROR);
            }
            if ((prchk & PRCHK_APP) != 0 && ((app ^ lbat) & lbatm) != 0) {
                return NvmeStatus.withDnr(NvmeStatus.APP_TAG_CHECK_ERROR);
            }
            if ((prchk & PRCHK_REF) != 0 && ref != (piType == 3 ? ilbrt : ilbrt + i)) {
                return NvmeStatus.withDnr(NvmeStatus.REF_TAG_CHECK_ERROR);
            }
        }
        return NvmeStatus.SUCCESS;
    }

    /**
     * PRACT on a write: appends to {@code out}, for each of {@code blocks} blocks of {@code src}
     * from {@code at}, its data and generated protection information (guard computed, application
     * tag LBAT, reference tag ILBRT + i, or ILBRT for type 3).
     */
    static void insert(ByteBuf src, int at, ByteBuf out, int blocks, int blockSize, int piType, int ilbrt, int cdw15) {
        int lbat = cdw15 & 0xFFFF;
        for (int i = 0; i < blocks; i++) {
            int base = at + i * blockSize;
            out.writeBytes(src, base, blockSize);
            out.writeLong(tuple(Crc16T10Dif.compute(src, base, blockSize), lbat, piType == 3 ? ilbrt : ilbrt + i));
        }
    }

    /** PRACT on a read: appends the data of {@code blocks} extended blocks of {@code ext} from {@code at} to {@code out}. */
    static void strip(ByteBuf ext, int at, ByteBuf out, int blocks, int blockSize) {
        int step = blockSize + BYTES;
        for (int i = 0; i < blocks; i++) {
            out.writeBytes(ext, at + i * step, blockSize);
        }
    }

    /** Whether the data of extended blocks in {@code ext} equals the plain blocks of {@code plain}. */
    static boolean sameData(ByteBuf ext, int extAt, ByteBuf plain, int plainAt, int blocks, int blockSize) {
        int step = blockSize + BYTES;
        for (int i = 0; i < blocks; i++) {
            if (!io.netty.buffer.ByteBufUtil.equals(ext, extAt + i * step, plain, plainAt + i * blockSize, blockSize)) {
                return false;
            }
        }
        return true;
    }
}
