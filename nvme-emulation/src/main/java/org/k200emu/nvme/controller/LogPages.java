package org.k200emu.nvme.controller;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.k200emu.nvme.AdminOpcode;
import org.k200emu.nvme.IoOpcode;
import org.k200emu.nvme.NvmeStatus;
import org.k200emu.nvme.subsystem.DiscoveryEntry;
import org.k200emu.nvme.subsystem.DiscoveryLogSource;

/**
 * Get Log Page: builds the whole page, then returns the window the host asked for (offset and
 * length in dwords, NVMe Base 1.4 figure 189), zero-filled past the page's end.
 */
final class LogPages {
    static final int ERROR_INFORMATION = 0x01;
    static final int SMART_HEALTH = 0x02;
    static final int FIRMWARE_SLOT = 0x03;
    static final int CHANGED_NAMESPACES = 0x04;
    static final int COMMANDS_EFFECTS = 0x05;
    static final int ANA = 0x0C;
    static final int DISCOVERY = 0x70;

    /** The composite temperature we report: 313 K (40 C). The emulator has no thermal model. */
    static final int COMPOSITE_TEMPERATURE = 313;

    private final NvmeController c;

    LogPages(NvmeController controller) {
        this.c = controller;
    }

    void get(NvmeRequest req) {
        int cdw10 = req.cdw(10);
        int lid = cdw10 & 0xFF;
        boolean retain = (cdw10 & (1 << 15)) != 0;
        long numd = ((long) (req.cdw(11) & 0xFFFF) << 16 | (cdw10 >>> 16)) + 1;
        long offset = (req.cdw(12) & 0xFFFF_FFFFL) | (long) req.cdw(13) << 32;
        long length = numd * 4;
        if ((offset & 3) != 0 || length > Integer.MAX_VALUE) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
            return;
        }
        if (req.transferLength() < length) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.DATA_SGL_LENGTH_INVALID));
            return;
        }
        if (!exists(lid)) {
            c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_LOG_PAGE));
            return;
        }
        // Direct, as every other buffer the data path sends: a heap arena would cost a fresh 4 MiB chunk per thread.
        ByteBuf page = req.allocator().directBuffer();
        try {
            build(lid, req, page);
            if (offset > page.readableBytes()) {
                c.complete(req, NvmeStatus.withDnr(NvmeStatus.INVALID_FIELD));
                return;
            }
            ByteBuf out = req.allocator().buffer((int) length, (int) length);
            int available = (int) Math.min(length, page.readableBytes() - offset);
            out.writeBytes(page, (int) offset, available);
            out.writeZero((int) length - available);
            if (lid == CHANGED_NAMESPACES && !retain) {
                // Cleared (and the notice unmasked) only by a read that succeeds.
                c.asyncEvents().changedNamespaces(false);
            }
            if (lid == ANA && !retain) {
                c.asyncEvents().anaLogRead();
            }
            req.data(out);
            c.complete(req, NvmeStatus.SUCCESS);
        } finally {
            page.release();
        }
    }

    private boolean exists(int lid) {
        if (c.isDiscovery()) {
            return lid == DISCOVERY;
        }
        switch (lid) {
            case ERROR_INFORMATION:
            case SMART_HEALTH:
            case FIRMWARE_SLOT:
            case CHANGED_NAMESPACES:
            case COMMANDS_EFFECTS:
            case ANA:
                return true;
            default:
                return false;
        }
    }

    private void build(int lid, NvmeRequest req, ByteBuf page) {
        switch (lid) {
            case ERROR_INFORMATION:
                c.errorLog().encode(page);
                break;
            case SMART_HEALTH:
                smart(page);
                break;
            case FIRMWARE_SLOT:
                firmware(page);
                break;
            case CHANGED_NAMESPACES:
                changedNamespaces(page);
                break;
            case COMMANDS_EFFECTS:
                effects(page);
                break;
            case ANA:
                ana((req.cdw(10) >>> 8 & 1) != 0, page);
                break;
            case DISCOVERY:
                discovery(c.subsystem().discoveryLog(), c.hostNqn(), page);
                break;
            default:
                throw new IllegalStateException("log page 0x" + Integer.toHexString(lid));
        }
    }

    /**
     * The ANA log (NVMe Base 1.4, figure 205): one group (1) holding every namespace, in the state
     * of this controller's port; with RGO (return groups only) without the NSID list.
     */
    private void ana(boolean groupsOnly, ByteBuf page) {
        int s = page.writerIndex();
        java.util.SortedMap<Integer, org.k200emu.nvme.subsystem.Namespace> namespaces = c.subsystem().namespaces();
        int nsids = groupsOnly ? 0 : namespaces.size();
        page.writeZero(16 + 32 + 4 * nsids);
        page.setLongLE(s, c.anaChangeCount()); // CHGCNT
        page.setShortLE(s + 8, 1); // NGRPS
        int g = s + 16;
        page.setIntLE(g, 1); // ANAGRPID
        page.setIntLE(g + 4, nsids); // NNSID
        page.setLongLE(g + 8, c.anaChangeCount()); // CHGCNT of the group
        page.setByte(g + 16, c.anaState().code()); // ANAS
        int at = g + 32;
        if (!groupsOnly) {
            for (int nsid : namespaces.keySet()) {
                page.setIntLE(at, nsid);
                at += 4;
            }
        }
    }

    private void smart(ByteBuf page) {
        int s = page.writerIndex();
        page.writeZero(512);
        HealthCounters h = c.health();
        page.setByte(s, 0); // critical warning: none
        page.setShortLE(s + 1, COMPOSITE_TEMPERATURE);
        page.setByte(s + 3, 100); // available spare
        page.setByte(s + 4, 10); // available spare threshold
        page.setByte(s + 5, 0); // percentage used
        setU128(page, s + 32, HealthCounters.dataUnits(h.bytesRead.sum()));
        setU128(page, s + 48, HealthCounters.dataUnits(h.bytesWritten.sum()));
        setU128(page, s + 64, h.readCommands.sum());
        setU128(page, s + 80, h.writeCommands.sum());
        setU128(page, s + 112, 1); // power cycles
        long hours = TimeUnit.NANOSECONDS.toHours(System.nanoTime() - c.subsystem().createdNanos());
        setU128(page, s + 128, hours);
        setU128(page, s + 160, h.mediaErrors.sum());
        setU128(page, s + 176, c.errorLog().total());
    }

    private static void setU128(ByteBuf page, int at, long value) {
        page.setLongLE(at, value);
        page.setLongLE(at + 8, 0);
    }

    private void firmware(ByteBuf page) {
        int s = page.writerIndex();
        page.writeZero(512);
        page.setByte(s, 1); // AFI: slot 1 active
        byte[] fr = c.subsystem().firmware().getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 8; i++) {
            page.setByte(s + 8 + i, i < fr.length ? fr[i] : ' ');
        }
    }

    private void changedNamespaces(ByteBuf page) {
        int s = page.writerIndex();
        page.writeZero(4096);
        int[] list = c.asyncEvents().changedNamespaces(true);
        for (int i = 0; i < list.length; i++) {
            page.setIntLE(s + 4 * i, list[i]);
        }
    }

    private static void effects(ByteBuf page) {
        int s = page.writerIndex();
        page.writeZero(4096);
        for (AdminOpcode op : AdminOpcode.values()) {
            page.setIntLE(s + 4 * op.opcode(), op.effects());
        }
        for (IoOpcode op : IoOpcode.values()) {
            page.setIntLE(s + 1024 + 4 * op.opcode(), op.effects());
        }
    }

    /** Discovery log page (NVMe-oF 1.1, figure 37): 1024-byte header, then 1024-byte entries. */
    static void discovery(DiscoveryLogSource source, String hostNqn, ByteBuf page) {
        List<DiscoveryEntry> entries = source.entries(hostNqn);
        int s = page.writerIndex();
        page.writeZero(1024);
        page.setLongLE(s, source.generation());
        page.setLongLE(s + 8, entries.size());
        page.setShortLE(s + 16, 0); // RECFMT
        for (DiscoveryEntry e : entries) {
            e.encode(page);
        }
    }
}
