package org.k200emu.nvme.controller;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.k200emu.nvme.subsystem.Namespace;
import org.k200emu.nvme.subsystem.Subsystem;

/**
 * The Identify data structures (NVMe Base 1.4, section 5.15.2; NVMe-oF 1.1 for the fabrics
 * fields), laid out byte by byte. Every field we do not implement stays zero, which the
 * specification defines as "not supported".
 */
final class IdentifyData {
    static final int LENGTH = 4096;

    /** PCI vendor IDs: none, this controller is not a PCI function (the emulator claims no vendor's ID). */
    private static final int VENDOR_ID = 0;

    private IdentifyData() {
    }

    static void controller(NvmeController c, ByteBuf out) {
        int s = out.writerIndex();
        out.writeZero(LENGTH);
        Subsystem sub = c.subsystem();
        TransportParams t = c.transport();
        boolean discovery = c.isDiscovery();
        out.setShortLE(s, VENDOR_ID);
        out.setShortLE(s + 2, VENDOR_ID);
        ascii(out, s + 4, 20, sub.serial());
        ascii(out, s + 24, 40, sub.model());
        ascii(out, s + 64, 8, sub.firmware());
        out.setByte(s + 72, 6); // RAB: 64 commands
        // CMIC: several ports, several controllers, ANA reporting.
        out.setByte(s + 76, discovery ? 0 : 1 | 1 << 1 | 1 << 3);
        out.setByte(s + 77, t.mdts());
        out.setShortLE(s + 78, c.cntlid());
        out.setIntLE(s + 80, NvmeController.VERSION);
        out.setIntLE(s + 92, discovery ? 0 : Features.SUPPORTED_AEN); // OAES
        out.setByte(s + 111, discovery ? 2 : 1); // CNTRLTYPE: discovery / I/O controller
        out.setShortLE(s + 256, 0); // OACS: no optional admin commands
        out.setByte(s + 258, 3); // ACL: 4 concurrent Aborts
        out.setByte(s + 259, AsyncEvents.LIMIT - 1); // AERL
        out.setByte(s + 260, 1 | 1 << 1); // FRMW: slot 1 read-only, one slot
        // LPA: bit 1 commands supported and effects, bit 2 extended Get Log Page data.
        out.setByte(s + 261, discovery ? 1 << 2 : (1 << 1) | (1 << 2));
        out.setByte(s + 262, ErrorLog.ENTRIES - 1); // ELPE
        out.setByte(s + 263, 0); // NPSS: one power state
        if (!discovery) {
            out.setShortLE(s + 266, Features.DEFAULT_OVER_TEMP); // WCTEMP
            out.setShortLE(s + 268, 358); // CCTEMP: 85 C
        }
        out.setShortLE(s + 320, 1); // KAS: 100 ms granularity
        if (!discovery) {
            out.setByte(s + 343, 10); // ANATT: 10 s
            // ANACAP: optimized, non-optimized, inaccessible reported; ANAGRPID never changes.
            out.setByte(s + 344, 1 | 1 << 1 | 1 << 2 | 1 << 6);
            out.setIntLE(s + 345, 1); // ANAGRPMAX: one group
            out.setIntLE(s + 349, 1); // NANAGRPID
        }
        out.setByte(s + 512, 0x66); // SQES
        out.setByte(s + 513, 0x44); // CQES
        out.setShortLE(s + 514, t.maxQueueEntries()); // MAXCMD
        if (!discovery) {
            out.setIntLE(s + 516, Math.max(sub.maxNsid(), 1)); // NN
            // MNAN: a host using ANA sizes its ANA log buffer from it (Linux refuses 0).
            out.setIntLE(s + 540, Math.max(sub.maxNsid(), 1));
            out.setShortLE(s + 520, 1 | 1 << 2 | 1 << 3); // ONCS: Compare, DSM, Write Zeroes
            // VWC: present if a namespace caches writes; bits 2:1 = 10b, no broadcast Flush.
            out.setByte(s + 525, (c.features().volatileCachePresent() ? 1 : 0) | 0x4);
        }
        // SGLS: SGLs supported (bit 0), SGL offset (bit 20) for in-capsule data.
        out.setIntLE(s + 536, 1 | 1 << 20);
        ascii0(out, s + 768, 256, sub.nqn());
        // Fabrics: capsule sizes, in-capsule data offset, dynamic controller model, one SGL descriptor.
        out.setIntLE(s + 1792, t.ioccsz());
        out.setIntLE(s + 1796, t.iorcsz());
        out.setShortLE(s + 1800, t.icdoff());
        out.setByte(s + 1802, 0); // FCATT: dynamic controller model
        out.setByte(s + 1803, 1); // MSDBD
        // Power state 0: 25 W maximum power (MP in centiwatts), the card's budget.
        out.setShortLE(s + 2048, 2500);
    }

    static void namespace(Namespace ns, ByteBuf out) {
        int s = out.writerIndex();
        out.writeZero(LENGTH);
        long blocks = ns.blocks();
        out.setLongLE(s, blocks); // NSZE
        out.setLongLE(s + 8, blocks); // NCAP
        out.setLongLE(s + 16, blocks); // NUSE
        out.setByte(s + 24, 0); // NSFEAT
        out.setByte(s + 30, 1); // NMIC: may be attached to several controllers (multipath)
        out.setIntLE(s + 92, 1); // ANAGRPID: every namespace is in group 1
        out.setByte(s + 25, 0); // NLBAF: one format
        out.setByte(s + 26, 0); // FLBAS: format 0
        // DLFEAT: deallocated blocks read as zeroes (001b); Write Zeroes may deallocate (bit 3).
        out.setByte(s + 33, 0x1 | 1 << 3);
        byte[] nguid = ns.nguid();
        if (nguid != null) {
            out.setBytes(s + 104, nguid);
        }
        out.setByte(s + 128 + 2, Integer.numberOfTrailingZeros(ns.blockSize())); // LBAF0.LBADS
        if (ns.bdev() instanceof org.k200emu.bdev.pi.PiBdev) {
            int type = ((org.k200emu.bdev.pi.PiBdev) ns.bdev()).piType();
            // FLBAS bit 4: metadata at the end of an extended LBA (fabrics carry no separate buffer).
            out.setByte(s + 26, 1 << 4);
            out.setByte(s + 27, 1); // MC: extended LBAs
            // DPC: the configured type; protection information in the last 8 bytes of metadata.
            out.setByte(s + 28, 1 << (type - 1) | 1 << 4);
            out.setByte(s + 29, type); // DPS: that type, PI at the end of the metadata (bit 3 clear)
            out.setShortLE(s + 128, org.k200emu.bdev.pi.PiBdev.METADATA_BYTES); // LBAF0.MS
        }
    }

    /** Active namespace IDs greater than {@code after} (unsigned), ascending, up to 1024. */
    static void activeNamespaces(Subsystem sub, int after, ByteBuf out) {
        int s = out.writerIndex();
        out.writeZero(LENGTH);
        if (after < 0 || after == Integer.MAX_VALUE) {
            return; // NSIDs are 1..0x7FFFFFFF here: none is greater (and after + 1 would wrap)
        }
        int i = 0;
        for (int nsid : sub.namespaces().tailMap(after + 1).keySet()) {
            if (i == 1024) {
                break;
            }
            out.setIntLE(s + 4 * i++, nsid);
        }
    }

    /** Namespace Identification Descriptor list: NGUID (type 2) and UUID (type 3). */
    static void descriptors(Namespace ns, ByteBuf out) {
        int s = out.writerIndex();
        out.writeZero(LENGTH);
        int at = s;
        byte[] nguid = ns.nguid();
        if (nguid != null) {
            out.setByte(at, 2);
            out.setByte(at + 1, 16);
            out.setBytes(at + 4, nguid);
            at += 4 + 16;
        }
        UUID uuid = ns.uuid();
        if (uuid != null) {
            out.setByte(at, 3);
            out.setByte(at + 1, 16);
            out.setLong(at + 4, uuid.getMostSignificantBits());
            out.setLong(at + 12, uuid.getLeastSignificantBits());
        }
    }

    /** Space-padded ASCII (SN, MN, FR). */
    private static void ascii(ByteBuf out, int at, int width, String value) {
        byte[] b = value.getBytes(StandardCharsets.US_ASCII);
        int n = Math.min(width, b.length);
        out.setBytes(at, b, 0, n);
        for (int i = n; i < width; i++) {
            out.setByte(at + i, ' ');
        }
    }

    /** NUL-padded UTF-8 (SUBNQN). */
    private static void ascii0(ByteBuf out, int at, int width, String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        out.setBytes(at, b, 0, Math.min(width - 1, b.length));
    }
}
