package org.k200emu.nvme.pcie;

import static org.k200emu.nvme.pcie.HostMemory.PAGE_MASK;
import static org.k200emu.nvme.pcie.HostMemory.PAGE_SIZE;

import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.controller.NvmeRequest;

/**
 * Reads a command's data pointer (DPTR, bytes 24..39 of the SQE) into a {@link DmaList}: PRP1,
 * PRP2 and PRP lists (NVMe Base 1.4, section 4.3), or an SGL of Data Block, Segment and Last
 * Segment descriptors (section 4.4). Every range is checked against host memory here, before the
 * command runs, so the copies that follow cannot fail halfway; a range outside it is a Data
 * Transfer Error. Returns an NVMe status, never throws.
 */
final class DataPointer {

    static final int PSDT_PRP = 0;
    static final int PSDT_SGL = 1;
    static final int PSDT_SGL_MPTR_SEGMENT = 2;

    static final int SGL_DATA_BLOCK = 0x0;
    static final int SGL_BIT_BUCKET = 0x1;
    static final int SGL_SEGMENT = 0x2;
    static final int SGL_LAST_SEGMENT = 0x3;
    static final int SGL_DESCRIPTOR_LENGTH = 16;
    /** Descriptors one command may use: enough for any list a host builds, a bound on looping segments. */
    static final int MAX_SGL_DESCRIPTORS = 1 << 16;

    private static final int PRP_ENTRY = 8;
    private static final int DTE = NvmeStatus.withDnr(NvmeStatus.DATA_TRANSFER_ERROR);
    private static final int PRP_OFFSET = NvmeStatus.withDnr(PcieStatus.PRP_OFFSET_INVALID);
    private static final int SGL_TYPE = NvmeStatus.withDnr(NvmeStatus.SGL_DESCRIPTOR_TYPE_INVALID);
    private static final int SGL_SEGMENT_INVALID = NvmeStatus.withDnr(NvmeStatus.INVALID_SGL_SEG_DESCRIPTOR);

    private DataPointer() {
    }

    /**
     * Maps {@code length} bytes of the command's data. Admin commands use PRPs only (PSDT must be
     * 00b on PCIe); I/O commands may use an SGL, which Identify Controller advertises (SGLS).
     */
    static int map(NvmeRequest req, boolean admin, long length, HostMemory memory, DmaList out) {
        out.clear();
        int psdt = req.psdt();
        if (psdt == PSDT_PRP) {
            return prp(req.sqe().getLongLE(24), req.sqe().getLongLE(32), length, memory, out);
        }
        if (admin || psdt != PSDT_SGL && psdt != PSDT_SGL_MPTR_SEGMENT) {
            return NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD);
        }
        return sgl(req.sglAddress(), req.sglLength() & 0xFFFF_FFFFL, req.sglType(), length, memory, out);
    }

    // ---- PRPs --------------------------------------------------------------------------

    /**
     * PRP1 may start anywhere dword aligned in its page and covers up to that page's end. If the
     * rest fits in one page, PRP2 is that page; otherwise PRP2 points (qword aligned, possibly at
     * an offset) to a PRP list whose entries are whole pages; when a list page cannot hold the
     * remaining entries, its last entry points to the next list page.
     */
    static int prp(long prp1, long prp2, long length, HostMemory memory, DmaList out) {
        out.clear();
        if (length == 0) {
            return NvmeStatus.SUCCESS;
        }
        if ((prp1 & 0x3) != 0) {
            return PRP_OFFSET;
        }
        int first = (int) Math.min(length, PAGE_SIZE - (prp1 & PAGE_MASK));
        if (!add(memory, out, prp1, first)) {
            return DTE;
        }
        long remaining = length - first;
        if (remaining == 0) {
            return NvmeStatus.SUCCESS;
        }
        if (remaining <= PAGE_SIZE) {
            if ((prp2 & PAGE_MASK) != 0) {
                return PRP_OFFSET;
            }
            return add(memory, out, prp2, (int) remaining) ? NvmeStatus.SUCCESS : DTE;
        }
        if ((prp2 & 0x7) != 0) {
            return PRP_OFFSET;
        }
        long list = prp2;
        while (remaining > 0) {
            int slots = (int) ((PAGE_SIZE - (list & PAGE_MASK)) / PRP_ENTRY);
            long needed = (remaining + PAGE_SIZE - 1) / PAGE_SIZE;
            boolean chained = needed > slots;
            int entries = chained ? slots - 1 : (int) needed;
            if (!memory.contains(list, (long) (chained ? slots : entries) * PRP_ENTRY)) {
                return DTE;
            }
            for (int i = 0; i < entries; i++) {
                long entry = memory.dmaLong(list + (long) i * PRP_ENTRY);
                if ((entry & PAGE_MASK) != 0) {
                    return PRP_OFFSET;
                }
                int n = (int) Math.min(PAGE_SIZE, remaining);
                if (!add(memory, out, entry, n)) {
                    return DTE;
                }
                remaining -= n;
            }
            if (chained) {
                long next = memory.dmaLong(list + (long) (slots - 1) * PRP_ENTRY);
                // A list page other than the first starts at a page boundary, like every later entry.
                if ((next & PAGE_MASK) != 0) {
                    return PRP_OFFSET;
                }
                list = next;
            }
        }
        return NvmeStatus.SUCCESS;
    }

    private static boolean add(HostMemory memory, DmaList out, long address, int length) {
        if (!memory.contains(address, length)) {
            return false;
        }
        out.add(address, length);
        return true;
    }

    // ---- SGLs --------------------------------------------------------------------------

    /**
     * SGL1 is a Data Block (the whole buffer) or a (Last) Segment descriptor pointing to a list of
     * descriptors in host memory. In a Segment, only the last descriptor may point to the next
     * segment; a Last Segment holds data blocks only. A buffer longer than the transfer is
     * allowed (the rest is not touched); a shorter one is Data SGL Length Invalid. Bit Bucket is
     * not supported (SGLS bit 16 clear), nor are the fabrics-only keyed and transport types.
     */
    static int sgl(long address, long descriptorLength, int type, long length, HostMemory memory, DmaList out) {
        out.clear();
        long remaining = length;
        int budget = MAX_SGL_DESCRIPTORS;
        int descriptorType = type >>> 4;
        if ((type & 0xF) != 0) {
            return SGL_TYPE;
        }
        if (descriptorType == SGL_DATA_BLOCK) {
            return finishData(memory, out, address, descriptorLength, remaining);
        }
        if (descriptorType != SGL_SEGMENT && descriptorType != SGL_LAST_SEGMENT) {
            return SGL_TYPE;
        }
        long segment = address;
        long segmentLength = descriptorLength;
        boolean last = descriptorType == SGL_LAST_SEGMENT;
        for (;;) {
            if (segmentLength == 0 || segmentLength % SGL_DESCRIPTOR_LENGTH != 0) {
                return SGL_SEGMENT_INVALID;
            }
            if (!memory.contains(segment, segmentLength)) {
                return DTE;
            }
            int descriptors = (int) Math.min(segmentLength / SGL_DESCRIPTOR_LENGTH, Integer.MAX_VALUE);
            budget -= descriptors;
            if (budget < 0) {
                return NvmeStatus.withDnr(PcieStatus.INVALID_NUMBER_OF_SGL_DESCRIPTORS);
            }
            long nextSegment = 0;
            long nextLength = 0;
            int nextType = -1;
            for (int i = 0; i < descriptors; i++) {
                long at = segment + (long) i * SGL_DESCRIPTOR_LENGTH;
                long dAddress = memory.dmaLong(at);
                // Bytes 8..11 length, 12..14 reserved, 15 the identifier (type << 4 | subtype).
                long word = memory.dmaLong(at + 8);
                long dLength = word & 0xFFFF_FFFFL;
                int dType = (int) (word >>> 56);
                if ((dType & 0xF) != 0) {
                    return SGL_TYPE;
                }
                int t = dType >>> 4;
                if (t == SGL_SEGMENT || t == SGL_LAST_SEGMENT) {
                    if (last || i != descriptors - 1) {
                        return SGL_SEGMENT_INVALID;
                    }
                    nextSegment = dAddress;
                    nextLength = dLength;
                    nextType = t;
                } else if (t == SGL_DATA_BLOCK) {
                    long take = Math.min(dLength, remaining);
                    if (take > 0) {
                        if (!add(memory, out, dAddress, (int) take)) {
                            return DTE;
                        }
                        remaining -= take;
                    }
                } else {
                    return SGL_TYPE;
                }
            }
            if (last) {
                break;
            }
            if (nextType < 0) {
                // A Segment must end with a pointer to the next segment.
                return SGL_SEGMENT_INVALID;
            }
            segment = nextSegment;
            segmentLength = nextLength;
            last = nextType == SGL_LAST_SEGMENT;
        }
        return remaining == 0 ? NvmeStatus.SUCCESS : NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID);
    }

    private static int finishData(HostMemory memory, DmaList out, long address, long dataLength, long length) {
        if (dataLength < length) {
            return NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID);
        }
        return add(memory, out, address, (int) length) ? NvmeStatus.SUCCESS : DTE;
    }
}
